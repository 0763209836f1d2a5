/**
 * Runs the branches of a Parallel state or the iterations of a Map state: each on its own event
 * chain and cancellation signal. The first failure cancels the others (their in-flight state gets
 * a `<Type>StateAborted` event) and becomes the state's error. The state's checkpoint keeps each
 * child's outcome, so a redrive runs only the children that did not succeed.
 */
import type { StateList } from '../definition.ts';
import { RunCancelled, type StatesError, toStatesError } from '../errors.ts';
import { EventChain } from '../history.ts';
import type { Json } from '../json.ts';
import { runStates } from '../run.ts';
import { type ChildCheckpoint, childController, RunScope, type StateScope } from '../scope.ts';

/** One branch or iteration. */
export interface ChildRun {
  readonly list: StateList;
  readonly input: Json;
}

/** Events a Map writes around each iteration (a Parallel writes none). */
export interface ChildEvents {
  started?(chain: EventChain, index: number): void;
  succeeded?(chain: EventChain, index: number): void;
  failed?(chain: EventChain, index: number): void;
  aborted?(chain: EventChain, index: number): void;
}

const ABORTABLE = new Set(['Task', 'Wait', 'Parallel', 'Map']);

/**
 * Runs the children with at most `concurrency` at once (0: all) and resolves with their outputs
 * in order; rejects with the first child's error.
 */
export async function runChildren(
  scope: StateScope,
  children: readonly ChildRun[],
  concurrency: number,
  events: ChildEvents = {},
): Promise<Json[]> {
  const { run } = scope;
  const outcomes: ChildCheckpoint[] = children.map((_, i) => {
    const previous = scope.resume?.children?.[i];
    return previous && 'output' in previous ? previous : { resume: previous?.resume };
  });
  if (run.checkpoint) run.checkpoint.children = outcomes;
  const controller = childController(run.signal);
  const forkAt = run.chain.fork(run.signal);
  const runs = new Map<number, RunScope>();
  let failure: StatesError | undefined;
  let failedIndex = -1;

  const runOne = async (index: number): Promise<void> => {
    const outcome = outcomes[index]!;
    if ('output' in outcome || controller.signal.aborted) return;
    const child = children[index]!;
    const chain = forkAt.fork(controller.signal);
    const childRun = new RunScope(run.execution, chain, controller.signal);
    runs.set(index, childRun);
    events.started?.(chain, index);
    try {
      const output = await runStates(child.list, child.input, childRun, outcome.resume);
      outcomes[index] = { output };
      events.succeeded?.(chain, index);
    } catch (thrown) {
      outcomes[index] = { resume: childRun.checkpoint };
      if (thrown instanceof RunCancelled || failure) return;
      failure = toStatesError(thrown);
      failedIndex = index;
      events.failed?.(chain, index);
      controller.abort();
    }
  };

  let nextIndex = 0;
  const worker = async (): Promise<void> => {
    while (nextIndex < children.length) await runOne(nextIndex++);
  };
  const width = concurrency > 0 ? Math.min(concurrency, children.length) : children.length;
  await Promise.all(Array.from({ length: width }, worker));
  run.throwIfCancelled();
  if (failure) {
    for (const [index, childRun] of runs) {
      const outcome = outcomes[index]!;
      if (index === failedIndex || 'output' in outcome) continue;
      // The cancelled child's chain stopped recording at the abort; close it on the parent's signal.
      const chain = new EventChain(run.chain.log, childRun.chain.last, run.signal);
      const stateName = childRun.checkpoint?.stateName;
      const type = stateName === undefined ? undefined : children[index]!.list.States[stateName]?.Type;
      if (type && ABORTABLE.has(type)) chain.add(`${type}StateAborted`);
      events.aborted?.(chain, index);
    }
    throw failure;
  }
  return outcomes.map((outcome) => ('output' in outcome ? outcome.output : null));
}
