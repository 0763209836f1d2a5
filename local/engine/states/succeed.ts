/** Succeed: ends its run with the input, after InputPath and OutputPath. */
import { selectPath } from '../io.ts';
import type { StateHandler } from './types.ts';

export const runSucceed: StateHandler = async (state, raw, { context }) => {
  const input = selectPath('InputPath', state.InputPath, raw, context);
  return { output: selectPath('OutputPath', state.OutputPath, input, context), next: undefined };
};
