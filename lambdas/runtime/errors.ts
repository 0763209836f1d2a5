import {
  CIRCUIT_OPEN_ERROR,
  PERMANENT_ERROR,
  RETRIES_EXHAUSTED_ERROR,
  RETRY_AFTER_TOO_LONG_ERROR,
  RETRYABLE_ERROR,
  retryAfterBucket,
  retryAfterErrorName,
  retryAfterSecondsOf,
  STEP_ERROR_NAMES,
} from '../contracts.ts';

/** Options shared by the step errors. */
export interface StepErrorOptions {
  /** The underlying error (kept for logs; Step Functions only sees name and message). */
  readonly cause?: unknown;
}

/**
 * A failure worth retrying: 5xx, 408, 429, network errors, timeouts. The state machine retries it
 * with the step's backoff, or (steps with `honor_retry_after`) after `retryAfterSeconds`.
 *
 * @example
 * throw new RetryableError('POST /users answered 503', { retryAfterSeconds: 2 });
 */
export class RetryableError extends Error {
  /** Seconds the service asked us to wait (Retry-After), when it said so. */
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, options: StepErrorOptions & { readonly retryAfterSeconds?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = RETRYABLE_ERROR;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/**
 * A failure no retry can fix (validation, auth, not found, conflicts). The message starts with the
 * `errorCode` because Step Functions' Cause carries only name and message.
 *
 * @example
 * throw new PermanentError('USER_CONFLICT', 'another user already has this email');
 */
export class PermanentError extends Error {
  /** Stable machine-readable code, e.g. `USER_CONFLICT`, `INVALID_INPUT`. */
  readonly errorCode: string;

  constructor(errorCode: string, message: string, options: StepErrorOptions = {}) {
    super(`${errorCode}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = PERMANENT_ERROR;
    this.errorCode = errorCode;
  }
}

/**
 * Thrown instead of calling a service whose shared circuit breaker is open (or half-open with
 * another caller probing). The state machine's CircuitOpen Retrier waits out the cool-down
 * without spending the step's own retries.
 */
export class CircuitOpenError extends Error {
  readonly service: string;
  /** When the breaker lets the next caller probe, as far as this invocation saw. */
  readonly retryInMs: number;

  constructor(service: string, retryInMs: number) {
    super(
      `the circuit breaker of service '${service}' is open; not calling it (next probe in about ${Math.max(1, Math.ceil(retryInMs / 1000))} s)`,
    );
    this.name = CIRCUIT_OPEN_ERROR;
    this.service = service;
    this.retryInMs = retryInMs;
  }
}

/** `errorCode`s the step runtime gives PermanentErrors itself (the HTTP policy's are in http-policy.ts). */
export const RUNTIME_ERROR_CODES = {
  /** The step's state failed its zod schema. */
  invalidInput: 'INVALID_INPUT',
  /** A declarative HTTP step's `request` is malformed or tries to leave the service's base URL. */
  invalidRequest: 'INVALID_REQUEST',
  /** The function's environment is missing or malformed. */
  configuration: 'CONFIGURATION_ERROR',
  /** Powertools could not derive the idempotency key from the payload. */
  invalidIdempotencyPayload: 'INVALID_IDEMPOTENCY_PAYLOAD',
  /** A declarative HTTP step's answer would not fit in the state Step Functions passes on. */
  responseTooLarge: 'RESPONSE_TOO_LARGE',
} as const;

const KNOWN_NAMES: ReadonlySet<string> = new Set(STEP_ERROR_NAMES);

/** Powertools Idempotency errors that mean "try again later" rather than "this input is wrong". */
const TRANSIENT_IDEMPOTENCY_ERRORS: ReadonlySet<string> = new Set([
  'IdempotencyPersistenceLayerError',
  'IdempotencyInconsistentStateError',
  'IdempotencyUnknownError',
]);

/**
 * Turns anything a handler or middleware threw into an error whose `name` the state machine's
 * Retry/Catch blocks know. Unknown errors (bugs, SDK surprises, middy's early `TimeoutError`)
 * become RetryableError: a bounded number of retries is cheaper than losing an execution to a
 * transient fault, and the Catch still reports the original message once retries run out.
 */
export function normalizeStepError(error: unknown): Error {
  if (error instanceof RetryableError || error instanceof PermanentError) return error;
  if (error instanceof Error) {
    if (KNOWN_NAMES.has(error.name) || retryAfterSecondsOf(error.name) !== undefined) return error;
    if (error.name === 'IdempotencyValidationError' || error.name === 'IdempotencyKeyError') {
      return new PermanentError(RUNTIME_ERROR_CODES.invalidIdempotencyPayload, error.message, {
        cause: error,
      });
    }
    if (TRANSIENT_IDEMPOTENCY_ERRORS.has(error.name)) {
      const detail = error.cause instanceof Error ? ` (${error.cause.message})` : '';
      return new RetryableError(`${error.name}: ${error.message}${detail}`, { cause: error });
    }
    return new RetryableError(`${error.name}: ${error.message}`, { cause: error });
  }
  return new RetryableError(`non-error thrown: ${String(error)}`, { cause: error });
}

/** What {@link applyRetryPolicy} needs to know about the step and this attempt. */
export interface RetryPolicyContext {
  /** 0 on the first try (`$$.State.RetryCount`). */
  readonly attempt: number;
  /** The step's retry limit (`RETRY_LIMIT`). */
  readonly retryLimit: number;
  /** The step has `honor_retry_after` (`HONOR_RETRY_AFTER=true`). */
  readonly honorRetryAfter: boolean;
  /** `MAX_RETRY_AFTER_SECONDS`. */
  readonly maxRetryAfterSeconds: number;
}

/**
 * For steps with `honor_retry_after`, renames a retryable failure so the state machine picks the
 * right Retrier: `RetriesExhausted` once attempts are used up (the per-bucket Retriers each count
 * attempts separately, so the handler enforces the overall limit), `RetryAfter.<n>s` when the
 * service sent Retry-After, `RetryAfterTooLong` when it asked for more than the maximum.
 * Other steps' errors pass through unchanged.
 */
export function applyRetryPolicy(error: Error, ctx: RetryPolicyContext): Error {
  if (!ctx.honorRetryAfter) return error;
  // An in-progress answer has a Retrier of its own and never counts against the limit
  // (step-lifecycle.ts keeps it away from here).
  if (error.name !== RETRYABLE_ERROR) return error;
  if (ctx.attempt >= ctx.retryLimit) {
    return renamed(
      error,
      RETRIES_EXHAUSTED_ERROR,
      `gave up after ${ctx.attempt + 1} attempts: ${error.message}`,
    );
  }
  const seconds = error instanceof RetryableError ? error.retryAfterSeconds : undefined;
  if (seconds === undefined) return error;
  const bucket = retryAfterBucket(seconds, ctx.maxRetryAfterSeconds);
  if (bucket === undefined) {
    return renamed(
      error,
      RETRY_AFTER_TOO_LONG_ERROR,
      `service asked to retry after ${seconds}s, more than the step's maximum of ${ctx.maxRetryAfterSeconds}s: ${error.message}`,
    );
  }
  return renamed(error, retryAfterErrorName(bucket), error.message);
}

function renamed(error: Error, name: string, message: string): RetryableError {
  const retryAfterSeconds = error instanceof RetryableError ? error.retryAfterSeconds : undefined;
  const next = new RetryableError(message, {
    cause: error,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
  next.name = name;
  return next;
}
