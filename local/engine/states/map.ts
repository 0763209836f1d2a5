/**
 * Map (inline): ItemsPath selects the items from the effective input; each item, through
 * ItemSelector (or the legacy Parameters) with `$$.Map.Item`, runs the ItemProcessor (or the
 * legacy Iterator), at most MaxConcurrency at once. The result is the array of iteration outputs.
 */
import type { MapDefinition } from '../definition.ts';
import { StatesRuntime } from '../errors.ts';
import { selectPath, stateOutput } from '../io.ts';
import type { Json } from '../json.ts';
import { NOT_FOUND, queryPath } from '../json-path.ts';
import { resolveTemplate } from '../payload-template.ts';
import { runChildren } from './children.ts';
import { nextOf, type StateHandler } from './types.ts';

export const runMap: StateHandler = async (definition, raw, scope) => {
  const state = definition as MapDefinition;
  const { run, context, name } = scope;
  const input = selectPath('InputPath', state.InputPath, raw, context);
  const items = state.ItemsPath === undefined ? input : queryPath(state.ItemsPath, input, context);
  if (!Array.isArray(items)) {
    const found = items === NOT_FOUND ? 'nothing' : JSON.stringify(items);
    throw new StatesRuntime(
      `The ItemsPath '${state.ItemsPath ?? '$'}' of state '${name}' selected ${found}, not an array`,
    );
  }
  const selector = state.ItemSelector ?? state.Parameters;
  const list = (state.ItemProcessor ?? state.Iterator)!;
  const children = items.map((value, index) => {
    const item = { Index: index, Value: value };
    const itemInput: Json =
      selector === undefined ? value : resolveTemplate(selector, input, { ...context, Map: { Item: item } });
    return { list, input: itemInput };
  });
  run.chain.add('MapStateStarted', { length: items.length });
  const iteration = { name };
  let results: Json[];
  try {
    results = await runChildren(scope, children, state.MaxConcurrency ?? 0, {
      started: (chain, index) => chain.add('MapIterationStarted', { ...iteration, index }),
      succeeded: (chain, index) => chain.add('MapIterationSucceeded', { ...iteration, index }),
      failed: (chain, index) => chain.add('MapIterationFailed', { ...iteration, index }),
      aborted: (chain, index) => chain.add('MapIterationAborted', { ...iteration, index }),
    });
  } catch (error) {
    run.chain.last = run.chain.log.lastId;
    run.chain.add('MapStateFailed');
    throw error;
  }
  run.chain.last = run.chain.log.lastId;
  run.chain.add('MapStateSucceeded');
  return { output: stateOutput(state, raw, results, context, name), next: nextOf(state) };
};
