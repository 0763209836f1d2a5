import type { StateDefinition } from '../definition.ts';
import type { Json } from '../json.ts';
import type { StateOutcome, StateScope } from '../scope.ts';

/** Runs one attempt of a state: from its raw input to its output and next state. */
export type StateHandler = (state: StateDefinition, raw: Json, scope: StateScope) => Promise<StateOutcome>;

/** The next state, or undefined for an end state. */
export function nextOf(state: StateDefinition): string | undefined {
  return state.End === true ? undefined : state.Next;
}
