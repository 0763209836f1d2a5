/**
 * The JSONPath intrinsic functions AWS documents, with their argument checks. Each takes the
 * evaluated arguments and returns the result or throws States.IntrinsicFailure.
 */
import { createHash, randomUUID } from 'node:crypto';
import { StatesIntrinsicFailure } from './errors.ts';
import { isJsonObject, type Json, type JsonObject, jsonEquals } from './json.ts';

type IntrinsicFunction = (args: readonly Json[], name: string) => Json;

const fail = (name: string, problem: string): never => {
  throw new StatesIntrinsicFailure(`Invalid arguments in ${name}: ${problem}`);
};

function arity(args: readonly Json[], name: string, min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : `${min} to ${max}`;
    fail(name, `expected ${expected} argument(s), got ${args.length}`);
  }
}

function arrayArg(value: Json | undefined, name: string, position: number): Json[] {
  if (!Array.isArray(value)) return fail(name, `argument ${position} must be an array`);
  return value;
}

function stringArg(value: Json | undefined, name: string, position: number): string {
  if (typeof value !== 'string') return fail(name, `argument ${position} must be a string`);
  return value;
}

function integerArg(value: Json | undefined, name: string, position: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return fail(name, `argument ${position} must be an integer`);
  }
  return value;
}

/** AWS limits string inputs of the encoding and hashing functions to 10,000 characters. */
const MAX_STRING_INPUT = 10_000;
/** AWS limits ArrayRange results to 1,000 items. */
const MAX_RANGE_ITEMS = 1000;
const HASH_ALGORITHMS: Record<string, string> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

function format(args: readonly Json[], name: string): Json {
  if (args.length < 1) fail(name, 'expected a template');
  const template = stringArg(args[0], name, 1);
  const values = args.slice(1);
  for (const value of values) {
    if (value !== null && typeof value === 'object')
      fail(name, 'placeholder values must not be objects or arrays');
  }
  let next = 0;
  const out = template.replace(/\\([{}])|\{\}/g, (_match, escaped: string | undefined) => {
    if (escaped) return escaped;
    if (next >= values.length) fail(name, 'more {} placeholders than values');
    const value = values[next++];
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
  if (next !== values.length) fail(name, 'more values than {} placeholders');
  return out;
}

/** Seeded integers for MathRandom: the same seed gives the same number (mulberry32). */
function seededRandom(seed: number): number {
  let t = (seed + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function arrayRange(args: readonly Json[], name: string): Json {
  arity(args, name, 3);
  const [start, end, step] = [0, 1, 2].map((i) => integerArg(args[i], name, i + 1)) as [
    number,
    number,
    number,
  ];
  if (step === 0) fail(name, 'step must not be 0');
  const count = Math.floor((end - start) / step) + 1;
  if (count > MAX_RANGE_ITEMS) fail(name, `the result would have more than ${MAX_RANGE_ITEMS} items`);
  return Array.from({ length: Math.max(0, count) }, (_, i) => start + i * step);
}

/** Every documented JSONPath intrinsic function by name. */
export const INTRINSIC_FUNCTIONS: Readonly<Record<string, IntrinsicFunction>> = {
  'States.Format': format,
  'States.StringToJson': (args, name) => {
    arity(args, name, 1);
    try {
      return JSON.parse(stringArg(args[0], name, 1)) as Json;
    } catch {
      return fail(name, 'argument 1 is not JSON text');
    }
  },
  'States.JsonToString': (args, name) => {
    arity(args, name, 1);
    return JSON.stringify(args[0]);
  },
  'States.Array': (args) => [...args],
  'States.ArrayPartition': (args, name) => {
    arity(args, name, 2);
    const array = arrayArg(args[0], name, 1);
    const size = integerArg(args[1], name, 2);
    if (size <= 0) fail(name, 'the chunk size must be a positive integer');
    const chunks: Json[] = [];
    for (let i = 0; i < array.length; i += size) chunks.push(array.slice(i, i + size));
    return chunks;
  },
  'States.ArrayContains': (args, name) => {
    arity(args, name, 2);
    return arrayArg(args[0], name, 1).some((item) => jsonEquals(item, args[1]!));
  },
  'States.ArrayRange': arrayRange,
  'States.ArrayGetItem': (args, name) => {
    arity(args, name, 2);
    const array = arrayArg(args[0], name, 1);
    const index = integerArg(args[1], name, 2);
    if (index < 0 || index >= array.length) fail(name, `index ${index} is out of bounds`);
    return array[index]!;
  },
  'States.ArrayLength': (args, name) => {
    arity(args, name, 1);
    return arrayArg(args[0], name, 1).length;
  },
  'States.ArrayUnique': (args, name) => {
    arity(args, name, 1);
    const unique: Json[] = [];
    for (const item of arrayArg(args[0], name, 1)) {
      if (!unique.some((seen) => jsonEquals(seen, item))) unique.push(item);
    }
    return unique;
  },
  'States.Base64Encode': (args, name) => {
    arity(args, name, 1);
    const text = stringArg(args[0], name, 1);
    if (text.length > MAX_STRING_INPUT) fail(name, `the input is over ${MAX_STRING_INPUT} characters`);
    return Buffer.from(text, 'utf8').toString('base64');
  },
  'States.Base64Decode': (args, name) => {
    arity(args, name, 1);
    const text = stringArg(args[0], name, 1);
    if (text.length > MAX_STRING_INPUT) fail(name, `the input is over ${MAX_STRING_INPUT} characters`);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) fail(name, 'the input is not base64');
    return Buffer.from(text, 'base64').toString('utf8');
  },
  'States.Hash': (args, name) => {
    arity(args, name, 2);
    const data = args[0];
    const algorithm = HASH_ALGORITHMS[stringArg(args[1], name, 2)];
    if (!algorithm) fail(name, `the algorithm must be one of ${Object.keys(HASH_ALGORITHMS).join(', ')}`);
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    if (text.length > MAX_STRING_INPUT) fail(name, `the input is over ${MAX_STRING_INPUT} characters`);
    return createHash(algorithm!).update(text).digest('hex');
  },
  'States.JsonMerge': (args, name) => {
    arity(args, name, 3);
    const [left, right, deep] = args;
    if (!isJsonObject(left) || !isJsonObject(right)) fail(name, 'arguments 1 and 2 must be objects');
    if (deep !== false) fail(name, 'argument 3 must be false (AWS supports shallow merges only)');
    return { ...(left as JsonObject), ...(right as JsonObject) };
  },
  'States.MathRandom': (args, name) => {
    arity(args, name, 2, 3);
    const start = integerArg(args[0], name, 1);
    const end = integerArg(args[1], name, 2);
    if (end < start) fail(name, 'the end must not be below the start');
    const random = args[2] === undefined ? Math.random() : seededRandom(integerArg(args[2], name, 3));
    return start + Math.floor(random * (end - start + 1));
  },
  'States.MathAdd': (args, name) => {
    arity(args, name, 2);
    return integerArg(args[0], name, 1) + integerArg(args[1], name, 2);
  },
  'States.StringSplit': (args, name) => {
    arity(args, name, 2);
    const text = stringArg(args[0], name, 1);
    const delimiters = [...stringArg(args[1], name, 2)];
    // AWS splits at every character of the delimiter string and drops empty pieces.
    const pieces: string[] = [];
    let current = '';
    for (const char of text) {
      if (delimiters.includes(char)) {
        if (current) pieces.push(current);
        current = '';
      } else current += char;
    }
    if (current) pieces.push(current);
    return pieces;
  },
  'States.UUID': (args, name) => {
    arity(args, name, 0);
    return randomUUID();
  },
};
