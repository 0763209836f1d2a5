/** JSON values as the engine passes them between states. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON object (not an array, not null). */
export type JsonObject = { [key: string]: Json };

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A deep copy, so no state can change another state's data through a shared reference. */
export function cloneJson<T extends Json>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  return structuredClone(value);
}

/** Deep equality of JSON values (object key order ignored). */
export function jsonEquals(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEquals(item, b[i]!));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => key in b && jsonEquals(a[key]!, b[key]!));
}

/** JSON text of a value, as AWS writes it in history and outputs (`null` for undefined). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value ?? null);
}
