/** Pass: the result is `Result`, or the effective input; then ResultPath and OutputPath. */
import type { PassDefinition } from '../definition.ts';
import { effectiveInput, placeResult, selectPath } from '../io.ts';
import { nextOf, type StateHandler } from './types.ts';

export const runPass: StateHandler = async (definition, raw, { name, context }) => {
  const state = definition as PassDefinition;
  const result = state.Result !== undefined ? state.Result : effectiveInput(state, raw, context);
  const placed = placeResult(state.ResultPath, raw, result, name);
  return { output: selectPath('OutputPath', state.OutputPath, placed, context), next: nextOf(state) };
};
