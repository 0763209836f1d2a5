/**
 * Parallel: every branch gets the effective input; the result is the array of branch outputs.
 * A failing branch fails the state with the branch's own error and cancels the others.
 */
import type { ParallelDefinition } from '../definition.ts';
import { effectiveInput, stateOutput } from '../io.ts';
import { runChildren } from './children.ts';
import { nextOf, type StateHandler } from './types.ts';

export const runParallel: StateHandler = async (definition, raw, scope) => {
  const state = definition as ParallelDefinition;
  const { run, context, name } = scope;
  const input = effectiveInput(state, raw, context);
  run.chain.add('ParallelStateStarted');
  let results: Awaited<ReturnType<typeof runChildren>>;
  try {
    results = await runChildren(
      scope,
      state.Branches.map((list) => ({ list, input })),
      0,
    );
  } catch (error) {
    run.chain.last = run.chain.log.lastId;
    run.chain.add('ParallelStateFailed');
    throw error;
  }
  run.chain.last = run.chain.log.lastId;
  run.chain.add('ParallelStateSucceeded');
  return { output: stateOutput(state, raw, results, context, name), next: nextOf(state) };
};
