import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** One invalid field of a request, as listed in a 400 response. */
export interface FieldProblem {
  /** JSON Pointer into the body (`/user_info/email`), or a header name (`header Idempotency-Key`). */
  readonly field: string;
  readonly problem: string;
}

/**
 * A request the API refuses: carries the HTTP status and the JSON body the client gets.
 * Handlers throw it from deep helpers; the handler's top level turns it into a response.
 */
export class ApiError extends Error {
  readonly statusCode: number;
  readonly errors: readonly FieldProblem[] | undefined;
  readonly headers: Record<string, string>;
  /** More body fields, e.g. the `reason` of an operator route's 409. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    statusCode: number,
    message: string,
    errors?: readonly FieldProblem[],
    headers?: Record<string, string>,
    details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.errors = errors;
    this.headers = headers ?? {};
    this.details = details ?? {};
  }
}

/**
 * Problems an error response lists at most; `problem_count` gives the total. A body with 20,000
 * unknown keys must not get a megabyte back (or log one).
 */
export const MAX_LISTED_PROBLEMS = 20;

/** Longest field pointer shown in a response or a log line (a key can be 200 KB long). */
export const MAX_FIELD_CHARS = 200;

/** A problem fit for a response: its pointer cut to {@link MAX_FIELD_CHARS}. */
function boundedProblem(problem: FieldProblem): FieldProblem {
  return problem.field.length <= MAX_FIELD_CHARS
    ? problem
    : { ...problem, field: `${problem.field.slice(0, MAX_FIELD_CHARS)}… (truncated)` };
}

/** The first {@link MAX_LISTED_PROBLEMS} problems, bounded, and how many there were. */
export function listedProblems(problems: readonly FieldProblem[]): {
  errors: FieldProblem[];
  problem_count: number;
} {
  return {
    errors: problems.slice(0, MAX_LISTED_PROBLEMS).map(boundedProblem),
    problem_count: problems.length,
  };
}

/**
 * Correlation IDs become Step Functions execution names, so they follow the stricter of the two
 * rules: execution names allow 1-80 characters and forbid `:` (which the schema would allow).
 */
export const CORRELATION_ID_PATTERN = /^[A-Za-z0-9_.-]{1,80}$/;

/** Idempotency keys: 1-128 characters, safe in a DynamoDB key, a log line and a URL. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** A JSON response with the API's common headers. */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * The response for an {@link ApiError}: `{ message, errors?, problem_count? }` plus its details;
 * at most {@link MAX_LISTED_PROBLEMS} problems are listed, `problem_count` is the total.
 */
export function errorResponse(error: ApiError): APIGatewayProxyResult {
  const body = error.errors
    ? { message: error.message, ...listedProblems(error.errors), ...error.details }
    : { message: error.message, ...error.details };
  return jsonResponse(error.statusCode, body, error.headers);
}

/**
 * Case-insensitive header lookup (clients and API Gateway keep the case the client sent).
 * A header sent more than once with different values is ambiguous: reported by name.
 */
export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const values = new Set<string>();
  for (const [key, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted) for (const value of list ?? []) values.add(value);
  }
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) values.add(value);
  }
  if (values.size > 1) {
    throw new ApiError(400, `Header ${name} was sent more than once with different values`, [
      { field: `header ${name}`, problem: 'must be sent once' },
    ]);
  }
  return values.values().next().value;
}

/** The public base URL of this API as the client called it (stage prefix included in AWS). */
export function apiBaseUrl(event: APIGatewayProxyEvent): string {
  const proto = header(event, 'X-Forwarded-Proto') ?? 'https';
  const host = event.requestContext.domainName ?? header(event, 'Host') ?? 'localhost';
  // requestContext.path is the path as the client used it: `/v1/<resource>` on the execute-api
  // domain, `/<resource>` behind a custom domain or locally.
  const requestPath = event.requestContext.path ?? event.path;
  const prefix = requestPath.endsWith(event.path)
    ? requestPath.slice(0, requestPath.length - event.path.length)
    : '';
  return `${proto}://${host}${prefix}`;
}
