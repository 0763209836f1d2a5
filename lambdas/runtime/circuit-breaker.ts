/**
 * The shared circuit breaker of a downstream service (docs/circuit-breaker.md). Its state lives in
 * the workflow table (breaker-store.ts), so every execution and every Lambda sees the same breaker
 * and a restart loses nothing; the waiting is done by the state machine's CircuitOpen Retrier,
 * never by a timer here.
 *
 * closed --(failure_threshold retryable failures within window_seconds)--> open
 * open --(cool_down_seconds later, one caller wins the probe lease)--> half_open
 * half_open --(the probe's call answers)--> closed;  --(it fails retryably)--> open
 *
 * This module owns the protocol: pure decisions on a snapshot ({@link admission}, {@link afterCall})
 * and the compare-and-swap loop around the store ({@link createBreakerGuard}).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type BreakerState, DEFAULTS } from '../contracts.ts';
import type { BreakerFields, BreakerSnapshot, BreakerStore } from './breaker-store.ts';
import { CircuitOpenError, PermanentError, RUNTIME_ERROR_CODES } from './errors.ts';
import type { StepMetrics } from './metrics.ts';

/** A service's breaker settings (YAML `circuit_breaker:`; ENV.circuitBreaker). */
export interface BreakerSettings {
  /** Retryable failures within {@link windowSeconds} that open the breaker. */
  readonly failureThreshold: number;
  readonly windowSeconds: number;
  /** How long the breaker stays open before one caller probes. */
  readonly coolDownSeconds: number;
  /** The CircuitOpen Retrier's budget (the compiler's; the handler only carries it). */
  readonly maxOutageSeconds: number;
}

/** {@link DEFAULTS}.circuitBreaker as settings. */
export const DEFAULT_BREAKER_SETTINGS: BreakerSettings = { ...DEFAULTS.circuitBreaker };

const FIELDS = {
  failure_threshold: 'failureThreshold',
  window_seconds: 'windowSeconds',
  cool_down_seconds: 'coolDownSeconds',
  max_outage_seconds: 'maxOutageSeconds',
} as const satisfies Record<string, keyof BreakerSettings>;

/**
 * Reads ENV.circuitBreaker: `off`, or JSON `{failure_threshold, window_seconds,
 * cool_down_seconds, max_outage_seconds}` (missing fields take the defaults); unset or empty is
 * the defaults. Anything else is a `CONFIGURATION_ERROR` naming the field.
 */
export function parseBreakerSettings(raw: string | undefined, variable: string): BreakerSettings | 'off' {
  if (raw === undefined || raw.trim() === '') return DEFAULT_BREAKER_SETTINGS;
  if (raw.trim() === 'off') return 'off';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw configError(`${variable} must be 'off' or JSON of the breaker settings`);
  }
  if (parsed === 'off') return 'off';
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw configError(`${variable} must be 'off' or a JSON object of the breaker settings`);
  }
  const settings: Record<keyof BreakerSettings, number> = { ...DEFAULT_BREAKER_SETTINGS };
  for (const [key, value] of Object.entries(parsed)) {
    if (!Object.hasOwn(FIELDS, key)) throw configError(`${variable}: unknown field '${key}'`);
    const positive = typeof value === 'number' && Number.isFinite(value) && value > 0;
    if (!positive || (key === 'failure_threshold' && !Number.isInteger(value))) {
      throw configError(`${variable}.${key} must be a positive number, got ${JSON.stringify(value)}`);
    }
    settings[FIELDS[key as keyof typeof FIELDS]] = value;
  }
  return settings;
}

/** What a caller may do before its call. */
export type Admission =
  | { readonly kind: 'call' }
  /** Take the probe lease (write `next`), then call. */
  | { readonly kind: 'probe'; readonly next: BreakerFields }
  | { readonly kind: 'reject'; readonly retryInMs: number };

/**
 * Before a call: closed calls; open rejects until the cool-down ends, then offers the probe
 * lease; half-open rejects everyone but the lease holder until the lease ends (a probe that
 * crashed frees it then).
 */
export function admission(
  s: BreakerSnapshot,
  now: number,
  settings: BreakerSettings,
  me: string,
  leaseMs: number,
): Admission {
  const probe = (): Admission => ({
    kind: 'probe',
    next: { ...s, state: 'half_open', probeId: me, probeUntil: now + leaseMs },
  });
  switch (s.state) {
    case 'closed':
      return { kind: 'call' };
    case 'open': {
      const probeAt = s.openedAt + settings.coolDownSeconds * 1000;
      return now < probeAt ? { kind: 'reject', retryInMs: probeAt - now } : probe();
    }
    case 'half_open':
      if (s.probeId === me) return { kind: 'call' };
      return now < s.probeUntil ? { kind: 'reject', retryInMs: s.probeUntil - now } : probe();
  }
}

/** How a call ended, as far as the breaker cares. */
export type CallOutcome = 'answered' | 'failed';

/**
 * After a call, the next state, or undefined when nothing changes: the probe's answer closes
 * the breaker and its failure re-opens it; a closed breaker counts failures in a fixed window
 * (the first failure starts it) and opens at the threshold. Calls admitted before another
 * invocation opened the breaker change nothing.
 */
export function afterCall(
  s: BreakerSnapshot,
  outcome: CallOutcome,
  now: number,
  settings: BreakerSettings,
  me: string,
): BreakerFields | undefined {
  if (s.state === 'half_open') {
    if (s.probeId !== me) return undefined;
    return outcome === 'answered' ? closed() : opened(now, s.failures);
  }
  if (s.state === 'open' || outcome === 'answered') return undefined;
  const inWindow = s.failures > 0 && now < s.windowStartedAt + settings.windowSeconds * 1000;
  const failures = inWindow ? s.failures + 1 : 1;
  const windowStartedAt = inWindow ? s.windowStartedAt : now;
  if (failures >= settings.failureThreshold) return { ...opened(now, failures), windowStartedAt };
  return { ...s, failures, windowStartedAt };
}

function closed(): BreakerFields {
  return { state: 'closed', failures: 0, windowStartedAt: 0, openedAt: 0, probeId: undefined, probeUntil: 0 };
}

function opened(now: number, failures: number): BreakerFields {
  return { state: 'open', failures, windowStartedAt: now, openedAt: now, probeId: undefined, probeUntil: 0 };
}

/** One invocation's view of its service's breaker: the HTTP client calls it around every call. */
export interface BreakerGuard {
  /** Resolves when the call may go out; throws {@link CircuitOpenError} when it may not. */
  admit(): Promise<void>;
  /** Records the call's outcome (store errors are logged, never thrown over the call's own result). */
  record(outcome: CallOutcome): Promise<void>;
}

/** Options for {@link createBreakerGuard}. */
export interface BreakerGuardOptions {
  readonly service: string;
  readonly settings: BreakerSettings;
  readonly store: BreakerStore;
  readonly logger: Logger;
  readonly metrics: StepMetrics;
  /** How long the probe lease lasts: longer than one call may take (its request timeout). */
  readonly probeLeaseMs: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Compare-and-swap rounds before giving up on a contended record. */
const MAX_ROUNDS = 5;

/**
 * A guard for one invocation (its own probe identity). When the table cannot be read the call
 * goes out (the breaker fails open, logged): a DynamoDB hiccup must not stop every step.
 *
 * @example
 * const guard = createBreakerGuard({ service: 'user', settings, store, logger, metrics, probeLeaseMs: 11_000 });
 * await guard.admit(); // throws CircuitOpen while open
 * // ... the call ...
 * await guard.record('failed');
 */
export function createBreakerGuard(opts: BreakerGuardOptions): BreakerGuard {
  const me = randomUUID();
  const now = opts.now ?? Date.now;
  let seen: BreakerSnapshot | undefined;
  const transition = (from: BreakerState, next: BreakerFields): void => {
    if (from === next.state) return;
    const fields = { service: opts.service, from, to: next.state, failures: next.failures };
    if (next.state === 'open') opts.logger.warn('circuit breaker opened', fields);
    else if (next.state === 'half_open') opts.logger.info('circuit breaker half-open: probing', fields);
    else opts.logger.info('circuit breaker closed', fields);
    opts.metrics.transition(next.state);
  };
  const swap = async (s: BreakerSnapshot, next: BreakerFields): Promise<boolean> => {
    const won = await opts.store.write(opts.service, next, s.version);
    if (won) {
      transition(s.state, next);
      seen = { ...next, version: s.version + 1 };
    }
    return won;
  };
  const storeFailed = (what: string, error: unknown): void => {
    opts.logger.warn(`circuit breaker ${what} failed; the call goes on without it`, {
      service: opts.service,
      reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  };
  return {
    async admit() {
      let retryInMs = opts.settings.coolDownSeconds * 1000;
      try {
        for (let round = 0; round < MAX_ROUNDS; round++) {
          const s = await opts.store.read(opts.service);
          seen = s;
          const decision = admission(s, now(), opts.settings, me, opts.probeLeaseMs);
          if (decision.kind === 'call') return;
          if (decision.kind === 'reject') {
            retryInMs = decision.retryInMs;
            break;
          }
          if (await swap(s, decision.next)) return;
          // Another invocation moved the breaker first (most likely it took the probe): look again.
        }
      } catch (error) {
        storeFailed('read', error);
        return;
      }
      throw new CircuitOpenError(opts.service, retryInMs);
    },
    async record(outcome) {
      try {
        let s = seen ?? (await opts.store.read(opts.service));
        for (let round = 0; round < MAX_ROUNDS; round++) {
          const next = afterCall(s, outcome, now(), opts.settings, me);
          if (next === undefined || (await swap(s, next))) return;
          s = await opts.store.read(opts.service);
        }
        opts.logger.warn('circuit breaker record contended; outcome not counted', { service: opts.service });
      } catch (error) {
        storeFailed('update', error);
      }
    },
  };
}

function configError(message: string): PermanentError {
  return new PermanentError(RUNTIME_ERROR_CODES.configuration, message);
}
