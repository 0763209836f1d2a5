/**
 * The declarative HTTP step's request (`payload.request`, `HttpStepRequest` in contracts.ts),
 * checked before anything is sent: its shape with zod, then what zod cannot say — a path that
 * stays under the service's base URL, headers the runtime owns, a body on a method that takes one.
 * Every problem is a `PermanentError` `INVALID_REQUEST` naming the field, never its value.
 */
import * as z from 'zod/mini';
import { HTTP_STEP_METHODS } from '../contracts.ts';
import { PermanentError, RUNTIME_ERROR_CODES } from './errors.ts';
import { RESERVED_HEADERS } from './http-client.ts';
import { parseInput } from './validation.ts';

/** A request ready for the service client: method upper case, every value a string. */
export interface CheckedHttpRequest {
  readonly method: (typeof HTTP_STEP_METHODS)[number];
  readonly path: string;
  readonly query: Readonly<Record<string, readonly string[]>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const requestSchema = z.strictObject({
  method: z.pipe(
    z.pipe(
      z.string(),
      z.transform((method) => method.toUpperCase()),
    ),
    z.enum(HTTP_STEP_METHODS),
  ),
  path: z.string(),
  query: z.optional(z.record(z.string(), z.union([scalar, z.array(scalar)]))),
  headers: z.optional(z.record(z.string(), scalar)),
  body: z.optional(z.unknown()),
});

/** RFC 9110 `token`: what a header name may be made of. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Control characters (CR/LF would split the header; the URL parser silently drops tab and LF). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Parses and checks `payload.request`.
 *
 * @example
 * const request = checkHttpStepRequest({ method: 'post', path: '/charges', body: { amount: 42 } });
 * // { method: 'POST', path: '/charges', query: {}, headers: {}, body: { amount: 42 } }
 */
export function checkHttpStepRequest(value: unknown): CheckedHttpRequest {
  if (value === undefined) {
    throw invalid(['request: missing (a declarative HTTP step needs handler_config.request)']);
  }
  const parsed = parseInput(requestSchema, value, RUNTIME_ERROR_CODES.invalidRequest, 'request');
  const problems = [
    ...pathProblems(parsed.path),
    ...headerProblems(parsed.headers ?? {}),
    ...bodyProblems(parsed.method, parsed.body),
  ];
  if (problems.length > 0) throw invalid(problems);
  return {
    method: parsed.method,
    path: parsed.path,
    query: Object.fromEntries(
      Object.entries(parsed.query ?? {}).map(([key, v]) => [key, (Array.isArray(v) ? v : [v]).map(String)]),
    ),
    headers: Object.fromEntries(Object.entries(parsed.headers ?? {}).map(([key, v]) => [key, String(v)])),
    body: parsed.body,
  };
}

/**
 * A path is appended to the service's base URL, so it must not be able to point anywhere else:
 * no scheme or host (`https://x`, `//x`, `\x`), no dot segments (`..`, `%2e%2e`, which the URL
 * parser resolves), no query or fragment (they belong in `query`, which is never logged).
 */
function pathProblems(path: string): string[] {
  if (!path.startsWith('/'))
    return [`request.path: must start with '/' (a path under the service's base URL, not a URL)`];
  if (path.startsWith('//')) return [`request.path: must not start with '//' (that names another host)`];
  const problems: string[] = [];
  if (path.includes('\\')) problems.push(`request.path: must not contain '\\'`);
  if (CONTROL.test(path)) problems.push('request.path: must not contain control characters');
  if (path.includes('?') || path.includes('#')) {
    problems.push(`request.path: must not contain '?' or '#' (put parameters in request.query)`);
  }
  if (path.split('/').some(isDotSegment)) {
    problems.push(`request.path: must not contain '.' or '..' segments (it may not leave the base URL)`);
  }
  return problems;
}

function isDotSegment(segment: string): boolean {
  const decoded = segment.replace(/%2e/gi, '.');
  return decoded === '.' || decoded === '..';
}

function headerProblems(headers: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) problems.push(`request.headers.${name}: not a valid header name`);
    else if (RESERVED_HEADERS.has(lower)) problems.push(`request.headers.${name}: ${reservedReason(lower)}`);
    else if (seen.has(lower))
      problems.push(`request.headers.${name}: given twice (header names ignore case)`);
    if (CONTROL.test(String(value))) {
      problems.push(`request.headers.${name}: the value must not contain control characters`);
    }
    seen.add(lower);
  }
  return problems;
}

function reservedReason(lower: string): string {
  if (lower === 'x-correlation-id')
    return 'set by the step runtime (the execution correlation ID); remove it';
  if (lower === 'idempotency-key') {
    return 'set by the step runtime (derived from the correlation ID and the step); remove it';
  }
  return 'set by the HTTP client, not the request; remove it';
}

function bodyProblems(method: string, body: unknown): string[] {
  if (body === undefined || (method !== 'GET' && method !== 'HEAD')) return [];
  return [`request.body: a ${method} request cannot have a body`];
}

function invalid(problems: readonly string[]): PermanentError {
  return new PermanentError(RUNTIME_ERROR_CODES.invalidRequest, problems.join('; '));
}
