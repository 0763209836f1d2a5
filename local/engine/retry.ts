/**
 * Retry and Catch: which Retrier or Catcher an error matches (`ErrorEquals`, with the `States.ALL`
 * and `States.TaskFailed` wildcards), the delay before each retry (IntervalSeconds, BackoffRate,
 * MaxDelaySeconds, JitterStrategy) and the per-Retrier attempt counters AWS keeps.
 */
import { ASL_RETRIER_DEFAULTS } from '../../lambdas/contracts.ts';
import { isTerminal, type StatesError } from './errors.ts';
import type { Json } from './json.ts';

/** One entry of a state's `Retry`; an omitted field takes AWS's default (`ASL_RETRIER_DEFAULTS`). */
export interface Retrier {
  readonly ErrorEquals: readonly string[];
  /** @default 1 */
  readonly IntervalSeconds?: number;
  /** @default 3 */
  readonly MaxAttempts?: number;
  /** @default 2 */
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  /** @default 'NONE' */
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

/** One entry of a state's `Catch`. */
export interface Catcher {
  readonly ErrorEquals: readonly string[];
  readonly Next: string;
  /** @default '$' */
  readonly ResultPath?: string | null;
}

/**
 * Whether `errorEquals` matches the error. `States.ALL` matches every error, `States.TaskFailed`
 * every error but `States.Timeout` (AWS's documented rule); neither, nor the error's own name,
 * matches a terminal error (`States.Runtime`).
 */
export function errorMatches(errorEquals: readonly string[], error: StatesError): boolean {
  if (isTerminal(error)) return false;
  return errorEquals.some(
    (name) =>
      name === error.name ||
      name === 'States.ALL' ||
      (name === 'States.TaskFailed' && error.name !== 'States.Timeout'),
  );
}

/** A retry decision: wait `delayMs`, then attempt again. */
export interface RetryDecision {
  readonly retrierIndex: number;
  readonly delayMs: number;
  /** Retries of this Retrier so far, including this one (1 = first retry). */
  readonly attempt: number;
}

/**
 * The attempt counters of one state entry. The first Retrier whose ErrorEquals matches decides:
 * when its MaxAttempts are used up, the error goes on to Catch (later Retriers are not tried).
 */
export class RetryCounters {
  readonly #retriers: readonly Retrier[];
  readonly #attempts: number[];
  readonly #random: () => number;

  constructor(retriers: readonly Retrier[] | undefined, random: () => number) {
    this.#retriers = retriers ?? [];
    this.#attempts = this.#retriers.map(() => 0);
    this.#random = random;
  }

  /** Retries so far over all Retriers (`$$.State.RetryCount`). */
  get total(): number {
    return this.#attempts.reduce((sum, n) => sum + n, 0);
  }

  /** Decides whether to retry; counts the retry when it does. */
  next(error: StatesError): RetryDecision | undefined {
    const index = this.#retriers.findIndex((retrier) => errorMatches(retrier.ErrorEquals, error));
    const retrier = this.#retriers[index];
    if (!retrier) return undefined;
    const done = this.#attempts[index]!;
    const { IntervalSeconds, MaxAttempts, BackoffRate } = { ...ASL_RETRIER_DEFAULTS, ...retrier };
    if (done >= MaxAttempts) return undefined;
    this.#attempts[index] = done + 1;
    let seconds = IntervalSeconds * BackoffRate ** done;
    if (retrier.MaxDelaySeconds !== undefined) seconds = Math.min(seconds, retrier.MaxDelaySeconds);
    let delayMs = Math.round(seconds * 1000);
    if (retrier.JitterStrategy === 'FULL') delayMs = Math.floor(this.#random() * (delayMs + 1));
    return { retrierIndex: index, delayMs, attempt: done + 1 };
  }
}

/** The first Catcher matching the error, with the error output it passes on. */
export function findCatcher(
  catchers: readonly Catcher[] | undefined,
  error: StatesError,
): { catcher: Catcher; errorOutput: Json } | undefined {
  const catcher = (catchers ?? []).find((candidate) => errorMatches(candidate.ErrorEquals, error));
  if (!catcher) return undefined;
  return { catcher, errorOutput: { Error: error.name, Cause: error.causeText } };
}
