/**
 * Payload templates (Parameters, ResultSelector, ItemSelector): a field whose name ends in `.$`
 * takes the value of its path or intrinsic function; every other field is copied as written.
 */
import { StatesRuntime } from './errors.ts';
import { evaluateIntrinsic, isIntrinsic } from './intrinsics.ts';
import { isJsonObject, type Json, type JsonObject } from './json.ts';
import { NOT_FOUND, queryPath } from './json-path.ts';

/**
 * Resolves a payload template against `input` and the context object.
 * @throws StatesRuntime when a `.$` path selects nothing. The language spec names this
 *   `States.ParameterPathFailure`, but the live service (and Step Functions Local) fail the
 *   execution with `States.Runtime`, which no Catch matches: a fallback that caught it here would
 *   hide a bug that fails in AWS.
 */
export function resolveTemplate(template: Json, input: Json, context: JsonObject): Json {
  if (Array.isArray(template)) return template.map((item) => resolveTemplate(item, input, context));
  if (!isJsonObject(template)) return template;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$') && typeof value === 'string') {
      out[key.slice(0, -2)] = resolveField(key, value, input, context);
    } else {
      out[key] = resolveTemplate(value, input, context);
    }
  }
  return out;
}

function resolveField(key: string, expression: string, input: Json, context: JsonObject): Json {
  if (isIntrinsic(expression)) return evaluateIntrinsic(expression, input, context);
  const value = queryPath(expression, input, context);
  if (value === NOT_FOUND) {
    const source = expression.startsWith('$$') ? context : input;
    throw new StatesRuntime(
      `The JSONPath '${expression}' specified for the field '${key}' could not be found in the input '${JSON.stringify(source)}'`,
    );
  }
  return value;
}
