/**
 * The declarative HTTP step's `handler_config.request` (the `HttpStepRequest` contract in
 * lambdas/contracts.ts, before Step Functions resolves its `.$` keys):
 *
 *   method: POST                        # required
 *   path: /charges                      # or path.$: States.Format('/orders/{}/ship', $.order_id)
 *   query:   { page: 1, id.$: $.id }    # or query.$: <JSONPath>
 *   headers: { X-Tenant: acme }         # or headers.$: <JSONPath>
 *   body:    { order_id.$: $.order_id } # or body.$: <JSONPath>; any JSON
 *
 * The template is compiled into the Task's Parameters as written; these checks make sure Step
 * Functions and the HTTP step handler can use it.
 */
import { didYouMean } from './diagnostics.ts';
import { templatePathProblems } from './payload-paths.ts';
import type { PathSegment } from './yaml-source.ts';
import { describe } from './zod-diagnostics.ts';

/** Methods an HTTP step may use. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Headers the shared HTTP policy sets on every call; a template must not replace them. */
export const POLICY_HEADERS = ['x-correlation-id', 'idempotency-key'] as const;

/** The fields of a request, each also allowed with `.$` except `method`. */
const PARTS = ['path', 'query', 'headers', 'body'] as const;
const REQUEST_FIELDS = ['method', ...PARTS.flatMap((part) => [part, `${part}.$`])];

/** An HTTP header name: an RFC 9110 token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** One problem in a request: where it is (under `request`) and the whole message. */
export type RequestProblem = readonly [path: PathSegment[], message: string];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(path: PathSegment[]): string {
  return ['handler_config', 'request', ...path]
    .map((p) => (typeof p === 'number' ? `[${p}]` : p))
    .join('.')
    .replace(/\.\[/g, '[');
}

/** Every problem of a `handler_config.request` value. */
export function requestProblems(request: unknown): RequestProblem[] {
  if (!isRecord(request)) {
    return [[[], `${field([])} must be a mapping with method and path, got ${describe(request)}`]];
  }
  const problems: RequestProblem[] = [];
  for (const key of Object.keys(request)) {
    if (!REQUEST_FIELDS.includes(key)) {
      const hint = key === 'method.$' ? ' (the method cannot come from the state: name it)' : '';
      problems.push([
        [key],
        `unknown field '${field([key])}'${hint || didYouMean(key, REQUEST_FIELDS).replace(/'(.*)'/, (_, k: string) => `'${field([k])}'`)}`,
      ]);
    }
  }
  problems.push(...methodProblems(request), ...pathProblems(request));
  if (isRecord(request.query)) problems.push(...queryProblems(request.query));
  else if (request.query !== undefined) {
    problems.push([['query'], `${field(['query'])} must be a mapping, got ${describe(request.query)}`]);
  }
  if (isRecord(request.headers)) problems.push(...headerProblems(request.headers));
  else if (request.headers !== undefined) {
    problems.push([['headers'], `${field(['headers'])} must be a mapping, got ${describe(request.headers)}`]);
  }
  const bodyKey = 'body' in request ? 'body' : 'body.$';
  if ((request.method === 'GET' || request.method === 'HEAD') && bodyKey in request) {
    problems.push([
      [bodyKey],
      `a ${request.method} request cannot have a body (send the values in ${field(['query'])}, or use POST)`,
    ]);
  }
  for (const [path, problem] of templatePathProblems(request)) {
    problems.push([path, `${field(path)} ${problem}`]);
  }
  return problems;
}

function methodProblems(request: Record<string, unknown>): RequestProblem[] {
  const { method } = request;
  if (method === undefined) {
    return [[[], `${field([])} needs a method (one of ${HTTP_METHODS.join(', ')})`]];
  }
  if (typeof method === 'string' && (HTTP_METHODS as readonly string[]).includes(method)) return [];
  const upper = typeof method === 'string' ? method.toUpperCase() : '';
  const hint = (HTTP_METHODS as readonly string[]).includes(upper) ? ` (did you mean '${upper}'?)` : '';
  return [
    [
      ['method'],
      `${field(['method'])} must be one of ${HTTP_METHODS.join(', ')}, got ${describe(method)}${hint}`,
    ],
  ];
}

function pathProblems(request: Record<string, unknown>): RequestProblem[] {
  if (!('path' in request) && !('path.$' in request)) {
    return [
      [
        [],
        `${field([])} needs a path (e.g. path: /charges) or a path.$ (e.g. path.$: States.Format('/orders/{}', $.order_id))`,
      ],
    ];
  }
  const { path } = request;
  if (path === undefined) return [];
  if (typeof path !== 'string' || !path.startsWith('/')) {
    return [
      [
        ['path'],
        `${field(['path'])} must be a path under the service's URL starting with '/', got ${describe(path)}`,
      ],
    ];
  }
  if (/[?#]/.test(path)) {
    return [[['path'], `${field(['path'])} must not hold '?' or '#' (put query parameters under query:)`]];
  }
  if (/\s/.test(path)) return [[['path'], `${field(['path'])} must not contain spaces (encode them as %20)`]];
  return [];
}

function isScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function queryProblems(query: Record<string, unknown>): RequestProblem[] {
  return Object.entries(query).flatMap(([name, value]): RequestProblem[] => {
    if (name.endsWith('.$')) return [];
    if (isScalar(value) || (Array.isArray(value) && value.every(isScalar))) return [];
    return [
      [
        ['query', name],
        `${field(['query', name])} must be a string, a number, true/false or a list of them, got ${describe(value)}`,
      ],
    ];
  });
}

function headerProblems(headers: Record<string, unknown>): RequestProblem[] {
  return Object.entries(headers).flatMap(([key, value]): RequestProblem[] => {
    const name = key.replace(/\.\$$/, '');
    const here = ['headers', key];
    if (!HEADER_NAME.test(name)) {
      return [[here, `${field(here)}: '${name}' is not a valid header name`]];
    }
    if ((POLICY_HEADERS as readonly string[]).includes(name.toLowerCase())) {
      return [
        [
          here,
          `${field(here)} is set by the HTTP policy on every call (the execution's correlation ID and a per-step idempotency key); remove it`,
        ],
      ];
    }
    if (key.endsWith('.$') || typeof value === 'string' || typeof value === 'number') return [];
    return [[here, `${field(here)} must be a string, got ${describe(value)}`]];
  });
}
