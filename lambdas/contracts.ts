/**
 * Error names are the contract between step handlers and the compiled state machine:
 * a handler throws an error whose `name` is one of these, the Lambda runtime reports it as the
 * task's `Error`, and the Retry/Catch blocks the compiler emits match on it.
 *
 * This module is pure (no imports) so the compiler can use it without loading handler code.
 */

/** A failure worth retrying with backoff (5xx, 408, 429, network errors, timeouts). */
export const RETRYABLE_ERROR = 'RetryableError';
/** A failure that no retry can fix (4xx validation/auth/not-found, conflicts). Never retried. */
export const PERMANENT_ERROR = 'PermanentError';
/**
 * Thrown by a step with `honor_retry_after` once its attempts are used up, so that a service
 * answering Retry-After forever cannot keep the step retrying past its limit.
 */
export const RETRIES_EXHAUSTED_ERROR = 'RetriesExhausted';
/** Thrown when the service asks for a delay longer than the step's `max_retry_after_seconds`. */
export const RETRY_AFTER_TOO_LONG_ERROR = 'RetryAfterTooLong';
/** Powertools Idempotency: a concurrent invocation for the same key is still running. Retry it. */
export const IDEMPOTENCY_IN_PROGRESS_ERROR = 'IdempotencyAlreadyInProgressError';

/**
 * Delay buckets (seconds) for Retry-After. A step with `honor_retry_after` gets one Retrier per
 * bucket up to its `max_retry_after_seconds`; the handler rounds the requested delay *up* to the
 * next bucket, so a retry never happens earlier than asked and at most a third later (181 s -> 240 s
 * is the worst ratio; up to 6 s it is exact to the second).
 */
export const RETRY_AFTER_BUCKETS_SECONDS = [
  1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 75, 90, 120, 150, 180, 240, 300,
] as const;

/** `RetryAfter.5s`: the error name a handler throws to be retried after (at least) 5 seconds. */
export function retryAfterErrorName(bucketSeconds: number): string {
  return `RetryAfter.${bucketSeconds}s`;
}

/**
 * The smallest bucket >= `seconds`, or undefined when the delay exceeds `maxSeconds` (or every
 * bucket). Fractions round up: a retry must never come earlier than the service asked.
 */
export function retryAfterBucket(seconds: number, maxSeconds: number): number | undefined {
  const wanted = Math.max(1, Math.ceil(seconds));
  if (wanted > maxSeconds) return undefined;
  return RETRY_AFTER_BUCKETS_SECONDS.find((bucket) => bucket >= wanted);
}

/** Buckets a step with `max_retry_after_seconds: max` needs Retriers for. */
export function retryAfterBucketsUpTo(maxSeconds: number): number[] {
  const buckets: number[] = RETRY_AFTER_BUCKETS_SECONDS.filter((bucket) => bucket < maxSeconds);
  const top = retryAfterBucket(maxSeconds, Number.POSITIVE_INFINITY);
  if (top !== undefined) buckets.push(top);
  return buckets;
}

/** Lambda service errors and throttles Step Functions recommends retrying on every Lambda task. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
] as const;

/**
 * What the Lambda runtime reports when a function runs past its own timeout. A step's Lambda
 * timeout equals its Task TimeoutSeconds, so either can fire first; both are retried alike.
 */
export const LAMBDA_TIMEOUT_ERROR = 'Sandbox.Timedout';

/** Every error name a step handler may throw on purpose. The compiler rejects `retry_on` names outside this list and `States.*`/`Lambda.*`. */
export const STEP_ERROR_NAMES = [
  RETRYABLE_ERROR,
  PERMANENT_ERROR,
  RETRIES_EXHAUSTED_ERROR,
  RETRY_AFTER_TOO_LONG_ERROR,
  IDEMPOTENCY_IN_PROGRESS_ERROR,
] as const;
