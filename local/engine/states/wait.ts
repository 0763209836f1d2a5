/** Wait: waits Seconds/SecondsPath or until Timestamp/TimestampPath on the virtual clock. */
import type { WaitDefinition } from '../definition.ts';
import { StatesRuntime } from '../errors.ts';
import { selectPath } from '../io.ts';
import { NOT_FOUND, queryPath } from '../json-path.ts';
import { nextOf, type StateHandler } from './types.ts';

export const runWait: StateHandler = async (definition, raw, { context, name, run }) => {
  const state = definition as WaitDefinition;
  const input = selectPath('InputPath', state.InputPath, raw, context);
  const clock = run.execution.clock;
  let ms: number;
  if (state.Seconds !== undefined) ms = state.Seconds * 1000;
  else if (state.SecondsPath !== undefined) {
    const seconds = queryPath(state.SecondsPath, input, context);
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
      throw new StatesRuntime(
        `The SecondsPath '${state.SecondsPath}' of state '${name}' must select a non-negative integer`,
      );
    }
    ms = seconds * 1000;
  } else {
    const stamp =
      state.Timestamp ?? (state.TimestampPath ? queryPath(state.TimestampPath, input, context) : NOT_FOUND);
    const at = typeof stamp === 'string' ? Date.parse(stamp) : Number.NaN;
    if (Number.isNaN(at)) {
      throw new StatesRuntime(`The Timestamp of state '${name}' is not an RFC 3339 timestamp`);
    }
    ms = Math.max(0, at - clock.nowMs());
  }
  run.execution.onWait({ kind: 'wait', stateName: name, askedMs: ms });
  await clock.sleep(ms, run.signal);
  run.throwIfCancelled();
  return { output: selectPath('OutputPath', state.OutputPath, input, context), next: nextOf(state) };
};
