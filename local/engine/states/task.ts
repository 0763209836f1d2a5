/**
 * Task: InputPath → Parameters (with `$$.Task.Token` for callback tasks) → the integration's call
 * → ResultSelector → ResultPath → OutputPath. TimeoutSeconds/HeartbeatSeconds (or their Path
 * forms) bound the call; AWS's default for TimeoutSeconds is 99999999 s, so none is set here.
 */
import type { TaskDefinition } from '../definition.ts';
import { StatesRuntime } from '../errors.ts';
import { effectiveInput, stateOutput } from '../io.ts';
import type { Json, JsonObject } from '../json.ts';
import { queryPath } from '../json-path.ts';
import { nextOf, type StateHandler } from './types.ts';

function seconds(
  state: TaskDefinition,
  field: 'TimeoutSeconds' | 'HeartbeatSeconds',
  input: Json,
  context: JsonObject,
): number | undefined {
  const path = state[`${field}Path`];
  const value = typeof path === 'string' ? queryPath(path, input, context) : state[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new StatesRuntime(`The ${field} of state must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value * 1000;
}

export const runTask: StateHandler = async (definition, raw, { context, name, run }) => {
  const state = definition as TaskDefinition;
  const { execution } = run;
  const integration = execution.integrations.find(state.Resource);
  if (!integration) throw new StatesRuntime(`Task resource ${state.Resource} is not supported`);
  const token = integration.usesToken ? execution.tokens.issue(execution.executionArn) : undefined;
  const taskContext = token === undefined ? context : { ...context, Task: { Token: token } };
  const parameters = effectiveInput(state, raw, taskContext);
  const timeoutMs = seconds(state, 'TimeoutSeconds', raw, taskContext);
  const heartbeatMs = seconds(state, 'HeartbeatSeconds', raw, taskContext);
  const result = await integration.run(
    {
      stateName: name,
      resource: state.Resource,
      parameters,
      chain: run.chain,
      clock: execution.clock,
      signal: run.signal,
      tokens: execution.tokens,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(heartbeatMs === undefined ? {} : { heartbeatMs }),
      ...(token === undefined ? {} : { token }),
    },
    execution.integrations.invoke,
  );
  return { output: stateOutput(state, raw, result, context, name), next: nextOf(state) };
};
