/**
 * Request checks of the local Step Functions endpoint, with the error names and messages AWS
 * answers: required members, string types, enum values, numeric and length bounds, names, ARNs
 * and pagination tokens.
 */

/** A protocol error: `__type` and HTTP 400, as AWS answers. */
export class SfnError extends Error {
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = type;
    this.status = status;
  }
}

/** A request body (the JSON object of one operation). */
export type Body = Record<string, unknown>;

const validation = (message: string): SfnError =>
  new SfnError('ValidationException', `1 validation error detected: ${message}`);

/** A string member; `required` ones answer AWS's "Member must not be null". */
export function str(body: Body, field: string, required: true): string;
export function str(body: Body, field: string, required?: boolean): string | undefined;
export function str(body: Body, field: string, required = true): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (required)
      throw validation(`Value null at '${field}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof value !== 'string') throw new SfnError('SerializationException', `${field} must be a string`);
  return value;
}

/** A string member with AWS's length bounds. */
export function boundedStr(body: Body, field: string, max: number, required = true): string | undefined {
  const value = str(body, field, required);
  if (value === undefined) return undefined;
  if (required && value.length < 1) {
    throw validation(
      `Value at '${field}' failed to satisfy constraint: Member must have length greater than or equal to 1`,
    );
  }
  if (Buffer.byteLength(value, 'utf8') > max) {
    throw validation(
      `Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  }
  return value;
}

/** One of an enum's values; AWS lists the set in its message. */
export function enumValue<T extends string>(body: Body, field: string, values: readonly T[]): T | undefined {
  const value = str(body, field, false);
  if (value === undefined) return undefined;
  if (!(values as readonly string[]).includes(value)) {
    throw validation(
      `Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${values.join(', ')}]`,
    );
  }
  return value as T;
}

/** `maxResults`: 0 (or absent) means the default page of 100; the bounds are 0..1000. */
export function pageSize(value: unknown): number {
  if (value === undefined || value === null || value === 0) return 100;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new SfnError('SerializationException', 'maxResults must be an integer');
  }
  if (value < 0) {
    throw validation(
      `Value '${value}' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 0`,
    );
  }
  if (value > 1000) {
    throw validation(
      `Value '${value}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`,
    );
  }
  return value;
}

// Names: 1-80 chars, no whitespace, brackets, wildcards, special characters or control characters.
const INVALID_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;

export function isValidName(name: string): boolean {
  if (name.length < 1 || name.length > 80 || INVALID_NAME_CHARS.test(name)) return false;
  for (const char of name) {
    const code = char.codePointAt(0)!;
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return false;
  }
  return true;
}

const ARN_SHAPES = {
  execution: /^arn:aws:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/,
  /** A state machine, or one of its versions or aliases (`...:stateMachine:M:1`, `...:M:live`). */
  stateMachine: /^arn:aws:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+(?::[A-Za-z0-9_-]+)?$/,
} as const;

/** An ARN member of the given resource type, else InvalidArn with AWS's wording. */
export function arn(body: Body, field: string, type: keyof typeof ARN_SHAPES): string {
  const value = str(body, field, true);
  if (!ARN_SHAPES[type].test(value)) {
    throw new SfnError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${value}'`);
  }
  return value;
}

/** Pagination tokens hold a position that stays valid while lists and histories grow. */
export function encodeToken(value: number): string {
  return Buffer.from(JSON.stringify({ v: value })).toString('base64');
}

export function decodeToken(token: unknown): number | undefined {
  if (token === undefined || token === null) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(String(token), 'base64').toString('utf8')) as { v?: unknown };
    if (typeof parsed.v === 'number') return parsed.v;
  } catch {
    // fall through to the error below
  }
  throw new SfnError('InvalidToken', `Invalid Token: '${String(token)}'`);
}

/** Epoch seconds, as the JSON protocol carries timestamps. */
export const seconds = (date: Date | undefined): number | undefined =>
  date ? date.getTime() / 1000 : undefined;
