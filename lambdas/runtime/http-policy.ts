import { PermanentError, RetryableError } from './errors.ts';

/** How the step runtime treats an HTTP status (the README's classification table). */
export type StatusClass = 'success' | 'conflict' | 'permanent' | 'retryable';

/** `errorCode`s the HTTP policy gives PermanentErrors. */
export const HTTP_ERROR_CODES = {
  validation: 'SERVICE_VALIDATION_FAILED',
  auth: 'SERVICE_AUTH_FAILED',
  notFound: 'NOT_FOUND',
  conflict: 'CONFLICT',
} as const;

/**
 * The one place HTTP statuses are classified: 2xx success; 409 handed to the handler (idempotency
 * resolution); 400/422, 401/403 and 404 permanent; 408, 429, 5xx and anything else retryable.
 */
export function classifyStatus(status: number): StatusClass {
  if (status >= 200 && status < 300) return 'success';
  if (status === 409) return 'conflict';
  if (status === 400 || status === 422 || status === 401 || status === 403 || status === 404) {
    return 'permanent';
  }
  return 'retryable';
}

/**
 * Seconds to wait from a Retry-After header: delta-seconds or an HTTP date. Undefined when absent
 * or unparseable (the step's own backoff applies then). A date in the past means "now" (0).
 */
export function parseRetryAfter(
  header: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  // An HTTP date always names a day or month; this keeps Date.parse from reading '-3' as a year.
  if (!/[A-Za-z]{3}/.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** What went wrong, for the error message (never the body: it may carry personal data). */
export interface FailedCall {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** The service's `error`/`code` field, when its JSON body had one. */
  readonly serviceCode?: string | undefined;
  readonly retryAfterHeader?: string | null | undefined;
}

/**
 * The error for a non-2xx answer. 409 only reaches here when the handler has no idempotency
 * resolution for it, so it is a permanent conflict.
 */
export function errorForStatus(call: FailedCall): PermanentError | RetryableError {
  const what = `${call.method} ${call.path} answered ${call.status}${call.serviceCode ? ` ${call.serviceCode}` : ''}`;
  switch (call.status) {
    case 400:
    case 422:
      return new PermanentError(HTTP_ERROR_CODES.validation, what);
    case 401:
    case 403:
      return new PermanentError(HTTP_ERROR_CODES.auth, what);
    case 404:
      return new PermanentError(HTTP_ERROR_CODES.notFound, what);
    case 409:
      return new PermanentError(HTTP_ERROR_CODES.conflict, what);
    default: {
      // Only 429 and 503 define Retry-After as a retry hint (RFC 9110 §10.2.3).
      const hinted = call.status === 429 || call.status === 503;
      const retryAfterSeconds = hinted ? parseRetryAfter(call.retryAfterHeader) : undefined;
      return new RetryableError(what, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
    }
  }
}
