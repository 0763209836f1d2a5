/**
 * Retry policy -> ASL Retriers, and the worst-case time budget those Retriers allow.
 * Kept as plain data so tests and the budget check read the same numbers the compiler emits.
 */
import {
  CIRCUIT_OPEN_ERROR,
  IDEMPOTENCY_IN_PROGRESS_ERROR,
  LAMBDA_CRASH_ERRORS,
  LAMBDA_SERVICE_ERRORS,
  LAMBDA_TIMEOUT_ERROR,
  RETRYABLE_ERROR,
  retryAfterBucketsUpTo,
  retryAfterErrorName,
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
 * The Retriers of a step, in match order:
 * 0. `CircuitOpen` (unless the step's breaker is off): every cool-down, no backoff, no jitter,
 *    as many times as the outage budget holds cool-downs. It is its own Retrier, so waiting out
 *    an open breaker spends none of the step's retries; it is there even with a limit of 0;
 * 1. `RetryAfter.<n>s` buckets (honor_retry_after only): interval n, no backoff, no jitter;
 * 2. the step's own errors with its backoff: `RetryableError` (unless default_retryable is false),
 *    `IdempotencyAlreadyInProgressError`, `States.Timeout` and `Sandbox.Timedout` (the Lambda's own
 *    timeout, which can win the race against the Task's equal TimeoutSeconds) unless
 *    default_retryable is false,
 *    then `retry_on` names;
 * 3. crashes of the function's process (`Runtime.ExitError`, `Runtime.OutOfMemory`, ...), with
 *    the same backoff and limit (step idempotency makes the retry safe), also when
 *    default_retryable is false;
 * 4. Lambda service errors and throttles, with the same backoff.
 * `PermanentError` matches none of them. A limit of 0 emits no Retrier but the CircuitOpen one.
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
  const own = step.retryable
    ? [RETRYABLE_ERROR, IDEMPOTENCY_IN_PROGRESS_ERROR, 'States.Timeout', LAMBDA_TIMEOUT_ERROR]
    : [IDEMPOTENCY_IN_PROGRESS_ERROR];
  const lambda: string[] = [...LAMBDA_SERVICE_ERRORS];
  const crash: string[] = [...LAMBDA_CRASH_ERRORS];
  const extra = retry.retryOn.filter(
    (name) =>
      !own.includes(name) && !lambda.includes(name) && !crash.includes(name) && name !== CIRCUIT_OPEN_ERROR,
  );
  retriers.push({ ErrorEquals: [...own, ...extra], ...backoff });
  retriers.push({ ErrorEquals: crash, ...backoff });
  retriers.push({ ErrorEquals: lambda, ...backoff });
  return retriers;
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
 */
export function stepBudget(step: StepSpec): StepBudget {
  const attempts = 1 + step.retry.limit;
  const topBucket = step.honorRetryAfter
    ? Math.max(0, ...retryAfterBucketsUpTo(step.maxRetryAfterSeconds))
    : 0;
  let waitSeconds = 0;
  for (let n = 0; n < step.retry.limit; n++) waitSeconds += Math.max(backoffDelaySeconds(step, n), topBucket);
  return { seconds: attempts * step.timeoutSeconds + waitSeconds, attempts, waitSeconds };
}
