/**
 * Retry policy -> ASL Retriers, and the worst-case time budget those Retriers allow.
 * Kept as plain data so tests and the budget check read the same numbers the compiler emits.
 */
import {
  ASL_RETRIER_DEFAULTS,
  CIRCUIT_OPEN_ERROR,
  IDEMPOTENCY_IN_PROGRESS_ERROR,
  LAMBDA_CRASH_ERRORS,
  LAMBDA_SERVICE_ERRORS,
  LAMBDA_TIMEOUT_ERROR,
  RETRYABLE_ERROR,
  retryAfterBucketsUpTo,
  retryAfterErrorName,
  UNCAUGHT_EXCEPTION_ERRORS,
} from '../../lambdas/contracts.ts';
import { circuitOpenAttempts } from './circuit-breaker.ts';
import type { StepSpec } from './types.ts';

/** One ASL Retrier, field for field. */
export interface AslRetrier {
  ErrorEquals: string[];
  IntervalSeconds: number;
  BackoffRate: number;
  MaxAttempts: number;
  MaxDelaySeconds?: number;
  JitterStrategy: 'FULL' | 'NONE';
}

/**
 * How the in-progress Retrier waits: `IN_PROGRESS_ATTEMPTS` waits of `timeout / IN_PROGRESS_SLICES`
 * (rounded up), so together they outlast the step's timeout by at least one slice. A dead
 * invocation's Powertools in-progress record lives until that invocation's Lambda deadline (its
 * timeout), so the step's own backoff (seconds) would give up before the record expires.
 */
export const IN_PROGRESS_SLICES = 5;
export const IN_PROGRESS_ATTEMPTS = 6;

/** The in-progress Retrier's interval for a step: a fifth of its timeout, rounded up. */
export function inProgressIntervalSeconds(step: StepSpec): number {
  return Math.ceil(step.timeoutSeconds / IN_PROGRESS_SLICES);
}

/**
 * The Retriers of a step, in match order:
 * 0. `CircuitOpen` (unless the step's breaker is off): every cool-down, no backoff, no jitter,
 *    as many times as the outage budget holds cool-downs. It is its own Retrier, so waiting out
 *    an open breaker spends none of the step's retries; it is there even with a limit of 0;
 * 1. `IdempotencyAlreadyInProgressError`: another invocation of the step holds its idempotency
 *    record (a crashed or timed-out one, until its Lambda deadline). Waits of a fifth of the step's
 *    timeout, no backoff, no jitter, six of them, so together they outlast the dead invocation's
 *    deadline. Its own Retrier, there even with a limit of 0 or default_retryable false: the answer
 *    says the step is still running elsewhere, not that the service failed, and waiting calls
 *    nothing (a redrive soon after a crash meets it too);
 * 2. `RetryAfter.<n>s` buckets (honor_retry_after only): interval n, no backoff, no jitter;
 * 3. the step's own errors with its backoff: `RetryableError`, `States.Timeout` and
 *    `Sandbox.Timedout` (the Lambda's own timeout, which can win the race against the Task's equal
 *    TimeoutSeconds) unless default_retryable is false, then `retry_on` names;
 * 4. crashes of the function's process (`Runtime.ExitError`, `Runtime.OutOfMemory`, ..., and the
 *    built-in error names an uncaught exception is reported under), with the same backoff and
 *    limit (step idempotency makes the retry safe), also when default_retryable is false;
 * 5. Lambda service errors and throttles, with the same backoff.
 * `PermanentError` matches none of them. A limit of 0 emits only the first two.
 * Fields are given in full here; {@link aslRetrierFields} drops those equal to AWS's defaults.
 */
export function retriersFor(step: StepSpec): AslRetrier[] {
  const { retry } = step;
  const retriers: AslRetrier[] = [];
  if (step.circuitBreaker !== 'off') {
    retriers.push({
      ErrorEquals: [CIRCUIT_OPEN_ERROR],
      IntervalSeconds: step.circuitBreaker.coolDownSeconds,
      BackoffRate: 1,
      MaxAttempts: circuitOpenAttempts(step.circuitBreaker),
      JitterStrategy: 'NONE',
    });
  }
  retriers.push({
    ErrorEquals: [IDEMPOTENCY_IN_PROGRESS_ERROR],
    IntervalSeconds: inProgressIntervalSeconds(step),
    BackoffRate: 1,
    MaxAttempts: IN_PROGRESS_ATTEMPTS,
    JitterStrategy: 'NONE',
  });
  if (retry.limit === 0) return retriers;
  if (step.honorRetryAfter) {
    for (const bucket of retryAfterBucketsUpTo(step.maxRetryAfterSeconds)) {
      retriers.push({
        ErrorEquals: [retryAfterErrorName(bucket)],
        IntervalSeconds: bucket,
        BackoffRate: 1,
        MaxAttempts: retry.limit,
        JitterStrategy: 'NONE',
      });
    }
  }
  const backoff = {
    IntervalSeconds: retry.intervalSeconds,
    BackoffRate: retry.backoffRate,
    MaxAttempts: retry.limit,
    MaxDelaySeconds: retry.maxDelaySeconds,
    JitterStrategy: retry.jitter,
  };
  const own: string[] = step.retryable ? [RETRYABLE_ERROR, 'States.Timeout', LAMBDA_TIMEOUT_ERROR] : [];
  const lambda: string[] = [...LAMBDA_SERVICE_ERRORS];
  const crash: string[] = [...LAMBDA_CRASH_ERRORS, ...UNCAUGHT_EXCEPTION_ERRORS];
  const taken = new Set([...own, ...lambda, ...crash, CIRCUIT_OPEN_ERROR, IDEMPOTENCY_IN_PROGRESS_ERROR]);
  const errors = [...own, ...retry.retryOn.filter((name) => !taken.has(name))];
  if (errors.length > 0) retriers.push({ ErrorEquals: errors, ...backoff });
  retriers.push({ ErrorEquals: crash, ...backoff });
  retriers.push({ ErrorEquals: lambda, ...backoff });
  return retriers;
}

/** An ASL Retrier as emitted: the fields equal to Step Functions' defaults are left out. */
export type EmittedRetrier = Pick<AslRetrier, 'ErrorEquals'> & Partial<Omit<AslRetrier, 'ErrorEquals'>>;

/**
 * The fields of a Retrier worth writing: each one equal to its documented default
 * (`ASL_RETRIER_DEFAULTS`: IntervalSeconds 1, MaxAttempts 3, BackoffRate 2, JitterStrategy NONE)
 * is left out, which Step Functions and the local engine read back as that same default.
 */
export function aslRetrierFields(retrier: AslRetrier): EmittedRetrier {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(retrier)) {
    if (value === undefined) continue;
    if (
      Object.hasOwn(ASL_RETRIER_DEFAULTS, key) &&
      ASL_RETRIER_DEFAULTS[key as keyof typeof ASL_RETRIER_DEFAULTS] === value
    )
      continue;
    out[key] = value;
  }
  return out as EmittedRetrier;
}

/** Delay before retry `n` (0-based) under exponential backoff, before jitter. */
export function backoffDelaySeconds(step: StepSpec, n: number): number {
  const { intervalSeconds, backoffRate, maxDelaySeconds } = step.retry;
  return Math.min(intervalSeconds * backoffRate ** n, maxDelaySeconds);
}

/** A step's worst case and how it adds up, for messages. */
export interface StepBudget {
  seconds: number;
  attempts: number;
  waitSeconds: number;
}

/**
 * Worst-case wall time of one step: every attempt runs into its timeout, and each wait before a
 * retry is the longest of the backoff delay (jitter only shortens it) and, for honor_retry_after
 * steps, the largest Retry-After bucket. Counts `limit` retries in total, which the handlers
 * enforce for Retry-After (`RetriesExhausted`); see docs/workflow-format.md for the per-Retrier caveat.
 * Adds every wait of the in-progress Retrier: after a crash, the retries wait out the dead
 * invocation's record past the deadline the crashed attempt is charged for. The in-progress
 * answers themselves are not charged a timeout each: the handler gives them at its first
 * idempotency write, before any call of the service.
 */
export function stepBudget(step: StepSpec): StepBudget {
  const attempts = 1 + step.retry.limit;
  const topBucket = step.honorRetryAfter
    ? Math.max(0, ...retryAfterBucketsUpTo(step.maxRetryAfterSeconds))
    : 0;
  let waitSeconds = 0;
  for (let n = 0; n < step.retry.limit; n++) waitSeconds += Math.max(backoffDelaySeconds(step, n), topBucket);
  waitSeconds += IN_PROGRESS_ATTEMPTS * inProgressIntervalSeconds(step);
  return { seconds: attempts * step.timeoutSeconds + waitSeconds, attempts, waitSeconds };
}
