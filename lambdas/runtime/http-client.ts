import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { RetryableError } from './errors.ts';
import { classifyStatus, errorForStatus } from './http-policy.ts';
import type { StepMetrics } from './metrics.ts';

/** A downstream answer the handler gets to look at: 2xx, or 409 for idempotency resolution. */
export interface ServiceResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
}

/** Per-request options. */
export interface RequestOptions {
  /** JSON request body. */
  readonly body?: unknown;
  /** Query parameters; never logged (they may hold an email). */
  readonly query?: Readonly<Record<string, string>>;
  /**
   * Send the step's Idempotency-Key. Off for reads (GET), which have no side effect.
   * @default true for methods other than GET
   */
  readonly idempotent?: boolean;
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
}

/**
 * The Idempotency-Key for a step's calls: the same for every attempt of (correlation ID, step),
 * so a call retried after a lost response is recognised by the service and not applied twice.
 */
export function deriveIdempotencyKey(correlationId: string, step: string): string {
  return createHash('sha256').update(`${correlationId}\n${step}`).digest('hex').slice(0, 32);
}

/**
 * A fetch-based JSON client (per-request timeout, see {@link requestDeadline}) applying the project's HTTP policy: 2xx and 409 are returned, every
 * other status, network error and timeout is thrown as RetryableError or PermanentError.
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
      for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
      const headers: Record<string, string> = {
        accept: 'application/json',
        'x-correlation-id': opts.correlationId,
      };
      if (options.idempotent ?? method !== 'GET') headers['idempotency-key'] = opts.idempotencyKey;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      const callFields = { method, path };
      opts.metrics.record('service_call_started');
      opts.logger.debug('service call started', callFields);
      const started = performance.now();
      const deadline = requestDeadline(opts.timeoutMs);
      let response: Response;
      let text: string;
      try {
        response = await fetch(url, {
          method,
          headers,
          ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
          signal: deadline.signal,
        });
        text = await response.text();
      } catch (error) {
        const durationMs = Math.round(performance.now() - started);
        const timedOut = error instanceof Error && error.name === 'TimeoutError';
        const reason = timedOut ? `timed out after ${opts.timeoutMs} ms` : networkReason(error);
        opts.metrics.record('service_call_failed', durationMs);
        opts.logger.warn('service call failed', { ...callFields, duration_ms: durationMs, reason });
        throw new RetryableError(`${method} ${path} ${reason}`, { cause: error });
      } finally {
        deadline.clear();
      }
      const durationMs = Math.round(performance.now() - started);
      const statusClass = classifyStatus(response.status);
      const logFields = { ...callFields, status_code: response.status, duration_ms: durationMs };
      if (statusClass === 'success' || statusClass === 'conflict') {
        let body: T;
        try {
          body = (text === '' ? {} : JSON.parse(text)) as T;
        } catch (error) {
          opts.metrics.record('service_call_failed', durationMs);
          opts.logger.warn('service call failed', { ...logFields, reason: 'response is not JSON' });
          throw new RetryableError(
            `${method} ${path} answered ${response.status} with a body that is not JSON`,
            {
              cause: error,
            },
          );
        }
        opts.metrics.record('service_call_completed', durationMs);
        opts.logger.info('service call completed', logFields);
        return { status: response.status, body };
      }
      const failure = errorForStatus({
        method,
        path,
        status: response.status,
        serviceCode: serviceCode(text),
        retryAfterHeader: response.headers.get('retry-after'),
      });
      opts.metrics.record('service_call_failed', durationMs);
      opts.logger.warn('service call failed', {
        ...logFields,
        error_name: failure.name,
        reason: failure.message,
      });
      throw failure;
    },
  };
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

function networkReason(error: unknown): string {
  if (!(error instanceof Error)) return 'failed';
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
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
