/**
 * Input and output processing, in AWS's documented order:
 * InputPath → Parameters → (the state's work) → ResultSelector → ResultPath → OutputPath.
 * Each step is a small function so every state type runs the same pipeline.
 */
import { StatesRuntime } from './errors.ts';
import type { Json, JsonObject } from './json.ts';
import { NOT_FOUND, queryPath, writePath } from './json-path.ts';
import { resolveTemplate } from './payload-template.ts';

/** The processing fields of a state (all optional). */
export interface IoFields {
  readonly InputPath?: string | null;
  readonly Parameters?: Json;
  readonly ResultSelector?: Json;
  readonly ResultPath?: string | null;
  readonly OutputPath?: string | null;
}

/** InputPath or OutputPath: `null` gives `{}`; a path that selects nothing is States.Runtime. */
export function selectPath(
  field: 'InputPath' | 'OutputPath',
  path: string | null | undefined,
  value: Json,
  context: JsonObject,
): Json {
  if (path === undefined || path === '$') return value;
  if (path === null) return {};
  const selected = queryPath(path, value, context);
  if (selected === NOT_FOUND) {
    throw new StatesRuntime(
      `Invalid path '${path}' : The ${field} '${path}' could not be found in the input '${JSON.stringify(value)}'`,
    );
  }
  return selected;
}

/** InputPath then Parameters: the effective input of the state's work. */
export function effectiveInput(state: IoFields, raw: Json, context: JsonObject): Json {
  const selected = selectPath('InputPath', state.InputPath, raw, context);
  return state.Parameters === undefined ? selected : resolveTemplate(state.Parameters, selected, context);
}

/** ResultSelector, applied to a Task, Parallel or Map result. */
export function selectResult(state: IoFields, result: Json, context: JsonObject): Json {
  return state.ResultSelector === undefined ? result : resolveTemplate(state.ResultSelector, result, context);
}

/** ResultPath: where the result goes in the state's raw input (`null` discards it). */
export function placeResult(
  resultPath: string | null | undefined,
  raw: Json,
  result: Json,
  stateName: string,
): Json {
  if (resultPath === null) return raw;
  if (resultPath === undefined || resultPath === '$') return result;
  return writePath(raw, resultPath, result, stateName);
}

/** ResultSelector → ResultPath → OutputPath: a state's output from its result. */
export function stateOutput(
  state: IoFields,
  raw: Json,
  result: Json,
  context: JsonObject,
  stateName: string,
): Json {
  const placed = placeResult(state.ResultPath, raw, selectResult(state, result, context), stateName);
  return selectPath('OutputPath', state.OutputPath, placed, context);
}
