/**
 * JSONPath as Step Functions uses it. Evaluation is jsonpath-plus's; what is ours is the Step
 * Functions reading of it: `$$` addresses the context object, a path that selects several nodes
 * (wildcards, filters, slices, unions, `..`) yields an array, a definite path yields its one value,
 * and ResultPath writes through a reference path.
 */
import { JSONPath } from 'jsonpath-plus';
import { StatesResultPathMatchFailure } from './errors.ts';
import { isJsonObject, type Json, type JsonObject } from './json.ts';

/** Whether a path can select more than one node (its result is then always an array). */
export function isIndefinite(path: string): boolean {
  return /\*|\.\.|\?\(|:|,/.test(path.replace(/'[^']*'|"[^"]*"/g, "''"));
}

const NOT_FOUND = Symbol('not found');

/**
 * Evaluates a path against the input (`$...`) or the context object (`$$...`).
 * @returns the value, or {@link NOT_FOUND} when a definite path selects nothing
 */
export function queryPath(path: string, input: Json, context: JsonObject): Json | typeof NOT_FOUND {
  const onContext = path.startsWith('$$');
  const json = onContext ? context : input;
  const expression = onContext ? path.slice(1) : path;
  if (expression === '$') return json;
  const results = JSONPath({ path: expression, json, wrap: true, eval: 'safe' }) as Json[];
  if (isIndefinite(expression)) return results;
  return results.length === 0 ? NOT_FOUND : results[0]!;
}

export { NOT_FOUND };

/** The steps of a reference path: `$.a['b'][0]` → ['a', 'b', 0]. */
export function referenceSteps(path: string): Array<string | number> {
  if (path === '$') return [];
  const parts = JSONPath.toPathArray(path).slice(1);
  return parts.map((part) => (/^\d+$/.test(part) && path.includes(`[${part}]`) ? Number(part) : part));
}

/**
 * Writes `value` at a reference path inside a copy of `target` (ResultPath). Missing objects on the
 * way are created; a step into something that is not an object (or an index outside an array)
 * fails with States.ResultPathMatchFailure, as AWS does.
 */
export function writePath(target: Json, path: string, value: Json, stateName: string): Json {
  const steps = referenceSteps(path);
  if (steps.length === 0) return value;
  const fail = (): never => {
    throw new StatesResultPathMatchFailure(
      `Unable to apply ResultPath '${path}' to input '${JSON.stringify(target)}' in state '${stateName}'`,
    );
  };
  const write = (node: Json | undefined, index: number): Json => {
    const step = steps[index]!;
    const last = index === steps.length - 1;
    if (typeof step === 'number') {
      if (!Array.isArray(node) || step >= node.length) return fail();
      const copy = [...node];
      copy[step] = last ? value : write(copy[step], index + 1);
      return copy;
    }
    if (node !== undefined && !isJsonObject(node)) return fail();
    const copy: JsonObject = { ...(node ?? {}) };
    copy[step] = last ? value : write(copy[step], index + 1);
    return copy;
  };
  if (!isJsonObject(target) && !Array.isArray(target)) return fail();
  return write(target, 0);
}
