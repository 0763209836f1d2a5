import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { Logger } from '@aws-lambda-powertools/logger';
import { HTTP_STEP_RESERVED_HEADERS } from '../contracts.ts';
import type { BreakerGuard } from './circuit-breaker.ts';
import { PermanentError, RetryableError, RUNTIME_ERROR_CODES } from './errors.ts';
import { classifyStatus, errorForStatus } from './http-policy.ts';
import type { StepMetrics } from './metrics.ts';

/**
 * A downstream answer the handler gets to look at: 2xx, 409 for idempotency resolution, or 404
 * when the request said `notFound: 'resolve'`.
 */
export interface ServiceResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
}

/** Per-request options. */
export interface RequestOptions {
  /** JSON request body. */
  readonly body?: unknown;
  /** Query parameters (an array repeats the parameter); never logged (they may hold an email). */
  readonly query?: Readonly<Record<string, string | readonly string[]>>;
  /**
   * Extra request headers; never logged. They may add to or replace `Accept` and `Content-Type`,
   * but a name in {@link RESERVED_HEADERS} is refused (`PermanentError` `INVALID_REQUEST`).
   * @default none
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Send the step's Idempotency-Key. Off for reads (GET, HEAD, OPTIONS), which have no side effect.
   * @default true for every other method
   */
  readonly idempotent?: boolean;
  /**
   * What a 409 is: `resolve` returns it to the caller (a handler that can tell "already done"
   * from a real conflict), `fail` throws `PermanentError` `CONFLICT`.
   * @default 'resolve'
   */
  readonly conflict?: 'resolve' | 'fail';
  /**
   * What a 404 is: `fail` throws `PermanentError` `NOT_FOUND`; `resolve` returns it to the caller,
   * for a compensation, where "not found" means "already undone".
   * @default 'fail'
   */
  readonly notFound?: 'resolve' | 'fail';
  /**
   * How an answer's body is read: `json` parses it (empty = `{}`; not JSON = `RetryableError`,
   * since the handler cannot work with it), `json-or-null` gives null for an empty or non-JSON body.
   * @default 'json'
   */
  readonly responseBody?: 'json' | 'json-or-null';
}

/** The HTTP client a step's business logic uses to call its one downstream service. */
export interface ServiceClient {
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<ServiceResponse<T>>;
}

/** Options for {@link createServiceClient}. */
export interface ServiceClientOptions {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly correlationId: string;
  readonly idempotencyKey: string;
  readonly logger: Logger;
  readonly metrics: StepMetrics;
  /**
   * The service's shared circuit breaker: consulted before every call (CircuitOpen instead of a
   * call while it is open) and told how each call ended.
   * @default none (every call goes out)
   */
  readonly breaker?: BreakerGuard | undefined;
}

/** Headers a caller may not set (lower case): {@link HTTP_STEP_RESERVED_HEADERS} in contracts.ts. */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set(HTTP_STEP_RESERVED_HEADERS);

/** Methods without side effects: no Idempotency-Key by default. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The Idempotency-Key for a step's calls: the same for every attempt of (correlation ID, step),
 * so a call retried after a lost response is recognised by the service and not applied twice.
 */
export function deriveIdempotencyKey(correlationId: string, step: string): string {
  return createHash('sha256').update(`${correlationId}\n${step}`).digest('hex').slice(0, 32);
}

/**
 * A JSON client on `node:http`/`node:https` (keep-alive global agents, per-request timeout, see
 * {@link requestDeadline}) applying the project's HTTP policy: 2xx (and 409 unless
 * `conflict: 'fail'`) are returned, every other status, network error and timeout is thrown as
 * RetryableError or PermanentError. Redirects are not followed: a 3xx is classified like any
 * other status, and the call never leaves the service's base URL.
 *
 * Not `fetch`: undici's fetch costs about twice the CPU of `node:http` per call and about 2 MB of
 * heap in every isolate that loads it (each Lambda worker of the offline runtime), while the
 * AWS SDK already loads `node:http`. What fetch did besides the call is kept: a `user-agent`
 * (`node`) unless the request sets one, and a compressed answer (`content-encoding` gzip,
 * deflate or br, sent only when a request asks with its own `Accept-Encoding`) is decoded.
 *
 * @example
 * const { status, body } = await client.request('POST', '/users', { body: { email, name } });
 */
export function createServiceClient(opts: ServiceClientOptions): ServiceClient {
  const base = opts.baseUrl.replace(/\/+$/, '');
  return {
    async request<T>(
      method: string,
      path: string,
      options: RequestOptions = {},
    ): Promise<ServiceResponse<T>> {
      const url = new URL(`${base}${path}`);
      for (const [key, value] of Object.entries(options.query ?? {})) {
        for (const item of typeof value === 'string' ? [value] : value) url.searchParams.append(key, item);
      }
      const init = requestInit(opts, method, options);
      await opts.breaker?.admit();
      const call: CallLog = { opts, fields: { method, path }, started: performance.now() };
      opts.metrics.record('service_call_started');
      opts.logger.debug('service call started', call.fields);
      let sent: Answer;
      try {
        sent = await send(call, url, init);
      } catch (error) {
        await opts.breaker?.record('failed');
        throw error;
      }
      // Only what says the service is down counts against it; a 4xx is an answer.
      const down = classifyStatus(sent.status) === 'retryable';
      await opts.breaker?.record(down ? 'failed' : 'answered');
      return interpret<T>(call, sent, options);
    },
  };
}

/** One call's logging context: the client, the fields every line of it carries, its start. */
interface CallLog {
  readonly opts: ServiceClientOptions;
  readonly fields: { readonly method: string; readonly path: string };
  readonly started: number;
}

/** A request as {@link send} sends it. */
interface OutgoingCall {
  readonly method: string;
  readonly headers: OutgoingHttpHeaders;
  readonly body: string | undefined;
}

/** An answer as {@link send} read it: status, headers and the whole body as text. */
interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/** Methods whose empty request carries no `content-length: 0` (as fetch sends none for them). */
const BODYLESS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE']);

function requestInit(opts: ServiceClientOptions, method: string, options: RequestOptions): OutgoingCall {
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'node' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) {
      throw new PermanentError(
        RUNTIME_ERROR_CODES.invalidRequest,
        `header ${name} is set by the step runtime, not the request`,
      );
    }
    headers[lower] = value;
  }
  // Last, so nothing above can replace them.
  headers['x-correlation-id'] = opts.correlationId;
  if (options.idempotent ?? !SAFE_METHODS.has(method)) headers['idempotency-key'] = opts.idempotencyKey;
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  // A fixed length, never chunked: the body is known whole (an empty POST says 0, as fetch does).
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  else if (!BODYLESS_METHODS.has(method.toUpperCase())) headers['content-length'] = '0';
  return { method, headers, body };
}

async function send(call: CallLog, url: URL, outgoing: OutgoingCall): Promise<Answer> {
  const { opts, fields } = call;
  const deadline = requestDeadline(opts.timeoutMs);
  try {
    return await exchange(url, outgoing, deadline.signal);
  } catch (error) {
    const durationMs = elapsedMs(call);
    const timedOut = deadline.signal.aborted;
    const reason = timedOut ? `timed out after ${opts.timeoutMs} ms` : networkReason(error);
    opts.metrics.record('service_call_failed', durationMs);
    opts.logger.warn('service call failed', { ...fields, duration_ms: durationMs, reason });
    throw new RetryableError(`${fields.method} ${fields.path} ${reason}`, { cause: error });
  } finally {
    deadline.clear();
  }
}

/**
 * One request and its whole answer. Rejects on a network error, an answer cut off before its end
 * and on `signal` (the deadline), whether it fires before the answer or while its body is read.
 */
function exchange(url: URL, outgoing: OutgoingCall, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, { method: outgoing.method, headers: outgoing.headers, signal });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      // A connection closed mid-body ends the stream without 'end' (or with an error above).
      response.on('close', () => {
        if (!response.complete) reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
      });
      response.on('end', () => {
        try {
          const encoding = response.headers['content-encoding'];
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: decoded(Buffer.concat(chunks), encoding).toString('utf8'),
          });
        } catch (error) {
          reject(error);
        }
      });
    });
    request.end(outgoing.body);
  });
}

/** The body without its `content-encoding` (gzip, deflate, br; anything else as received, as fetch). */
function decoded(body: Buffer, encoding: string | undefined): Buffer {
  if (encoding === undefined || body.length === 0) return body;
  switch (encoding.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(body);
    case 'deflate':
      return inflateSync(body);
    case 'br':
      return brotliDecompressSync(body);
    default:
      return body;
  }
}

function interpret<T>(call: CallLog, answer: Answer, options: RequestOptions): ServiceResponse<T> {
  const { status, text } = answer;
  const { opts, fields } = call;
  const durationMs = elapsedMs(call);
  const logFields = { ...fields, status_code: status, duration_ms: durationMs };
  const statusClass = classifyStatus(status);
  const returned =
    statusClass === 'success' ||
    (statusClass === 'conflict' && options.conflict !== 'fail') ||
    (status === 404 && options.notFound === 'resolve');
  if (!returned) {
    const failure = errorForStatus({
      ...fields,
      status,
      serviceCode: serviceCode(text),
      retryAfterHeader: answer.headers['retry-after'] ?? null,
    });
    opts.metrics.record('service_call_failed', durationMs);
    opts.logger.warn('service call failed', {
      ...logFields,
      error_name: failure.name,
      reason: failure.message,
    });
    throw failure;
  }
  const body = parseBody(text, options.responseBody ?? 'json');
  if (body === NOT_JSON) {
    opts.metrics.record('service_call_failed', durationMs);
    opts.logger.warn('service call failed', { ...logFields, reason: 'response is not JSON' });
    throw new RetryableError(
      `${fields.method} ${fields.path} answered ${status} with a body that is not JSON`,
    );
  }
  opts.metrics.record('service_call_completed', durationMs);
  opts.logger.info('service call completed', logFields);
  return { status, body: body as T };
}

const NOT_JSON: unique symbol = Symbol('not JSON');

function parseBody(text: string, mode: 'json' | 'json-or-null'): unknown {
  if (text === '') return mode === 'json' ? {} : null;
  try {
    return JSON.parse(text);
  } catch {
    return mode === 'json' ? NOT_JSON : null;
  }
}

/**
 * Like `AbortSignal.timeout(ms)`, but the abort waits for the event loop's next check phase
 * (`setImmediate`). When the loop was busy past the deadline (a saturated Lambda worker, CPU
 * contention), an answer that already arrived is read in the poll phase first instead of being
 * thrown away as a timeout after the service applied it. The abort is never earlier than `ms`.
 */
function requestDeadline(ms: number): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  let immediate: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => {
    immediate = setImmediate(() =>
      controller.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')),
    );
  }, ms);
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      if (immediate !== undefined) clearImmediate(immediate);
    },
  };
}

function elapsedMs(call: CallLog): number {
  return Math.round(performance.now() - call.started);
}

function networkReason(error: unknown): string {
  if (!(error instanceof Error)) return 'failed';
  const own = (error as { code?: unknown }).code;
  const cause = (error.cause as { code?: unknown } | undefined)?.code;
  const code = typeof own === 'string' ? own : typeof cause === 'string' ? cause : undefined;
  return `failed: ${code ?? error.message}`;
}

/** The service's own error code (`{"error": "EMAIL_TAKEN"}`), if short and safe to log. */
function serviceCode(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { error?: unknown; code?: unknown };
    const code = parsed.error ?? parsed.code;
    return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}
