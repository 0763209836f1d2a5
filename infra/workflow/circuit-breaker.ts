/**
 * Circuit breaker settings: the workflow's `circuit_breaker:` and a step's
 * `handler_config.circuit_breaker:` (an object, or `off`), merged field by field over
 * `DEFAULTS.circuitBreaker`. The stack writes the merged settings of each step as
 * `ENV.circuitBreaker` ({@link circuitBreakerEnvValue}); the compiler turns them into the step's
 * CircuitOpen Retrier (retry.ts).
 *
 *   circuit_breaker:            # workflow: every service's breaker
 *     failure_threshold: 5      # retryable failures within window_seconds that open it
 *     window_seconds: 30
 *     cool_down_seconds: 5      # open this long, then one caller probes
 *     max_outage_seconds: 300   # how long a step waits out open breakers in all
 */
import { DEFAULTS } from '../../lambdas/contracts.ts';
import type { PathSegment } from './yaml-source.ts';
import { describe } from './zod-diagnostics.ts';

/** Merged breaker settings of one step. */
export interface CircuitBreakerSettings {
  readonly failureThreshold: number;
  readonly windowSeconds: number;
  readonly coolDownSeconds: number;
  readonly maxOutageSeconds: number;
}

/** The YAML fields, their ranges, and the settings field each one sets. */
const FIELDS = {
  failure_threshold: { min: 1, max: 1000, key: 'failureThreshold' },
  window_seconds: { min: 1, max: 3600, key: 'windowSeconds' },
  cool_down_seconds: { min: 1, max: 3600, key: 'coolDownSeconds' },
  max_outage_seconds: { min: 1, max: 86_400, key: 'maxOutageSeconds' },
} as const satisfies Record<string, { min: number; max: number; key: keyof CircuitBreakerSettings }>;

type FieldName = keyof typeof FIELDS;
const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

/** `off` turns a breaker off; YAML 1.1 readers turn a bare `off` into false, so false counts too. */
function isOff(value: unknown): boolean {
  return value === 'off' || value === false;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Problems of a `circuit_breaker` value (`where` is how the message names it, e.g.
 * `circuit_breaker` or `handler_config.circuit_breaker`); paths are relative to the value.
 */
export function circuitBreakerProblems(value: unknown, where: string): [PathSegment[], string][] {
  if (isOff(value)) return [];
  if (!isRecord(value)) {
    return [[[], `${where} must be a mapping (${FIELD_NAMES.join(', ')}) or off, got ${describe(value)}`]];
  }
  const problems: [PathSegment[], string][] = [];
  for (const [key, field] of Object.entries(value)) {
    const rule = Object.hasOwn(FIELDS, key) ? FIELDS[key as FieldName] : undefined;
    if (rule === undefined) {
      problems.push([[key], `unknown field '${where}.${key}' (known: ${FIELD_NAMES.join(', ')})`]);
    } else if (!(Number.isInteger(field) && Number(field) >= rule.min && Number(field) <= rule.max)) {
      problems.push([
        [key],
        `${where}.${key} must be an integer from ${rule.min} to ${rule.max}, got ${describe(field)}`,
      ]);
    }
  }
  return problems;
}

function defaults(): CircuitBreakerSettings {
  return { ...DEFAULTS.circuitBreaker };
}

function merged(base: CircuitBreakerSettings, value: Record<string, unknown>): CircuitBreakerSettings {
  const out: Record<string, number> = { ...base };
  for (const name of FIELD_NAMES) {
    const v = value[name];
    if (typeof v === 'number') out[FIELDS[name].key] = v;
  }
  return out as unknown as CircuitBreakerSettings;
}

/**
 * A step's settings: its `handler_config.circuit_breaker` over the workflow's `circuit_breaker`
 * over the defaults; `off` at the step (or at the workflow, when the step says nothing) turns it
 * off, and so does a step without a service (nothing to key the shared state on).
 */
export function mergeCircuitBreaker(
  workflowValue: unknown,
  stepValue: unknown,
  service: string | undefined,
): CircuitBreakerSettings | 'off' {
  if (service === undefined || isOff(stepValue)) return 'off';
  if (isOff(workflowValue) && stepValue === undefined) return 'off';
  const base = isRecord(workflowValue) ? merged(defaults(), workflowValue) : defaults();
  return isRecord(stepValue) ? merged(base, stepValue) : base;
}

/**
 * The value of `ENV.circuitBreaker` for a step: `off`, or the JSON of its merged settings in the
 * YAML's field names (`{"failure_threshold":5,"window_seconds":30,...}`).
 */
export function circuitBreakerEnvValue(settings: CircuitBreakerSettings | 'off'): string {
  if (settings === 'off') return 'off';
  return JSON.stringify({
    failure_threshold: settings.failureThreshold,
    window_seconds: settings.windowSeconds,
    cool_down_seconds: settings.coolDownSeconds,
    max_outage_seconds: settings.maxOutageSeconds,
  });
}

/** Attempts of the CircuitOpen Retrier: the outage budget in cool-downs, at least one. */
export function circuitOpenAttempts(settings: CircuitBreakerSettings): number {
  return Math.max(1, Math.ceil(settings.maxOutageSeconds / settings.coolDownSeconds));
}
