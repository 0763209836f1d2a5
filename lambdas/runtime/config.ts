import { DEFAULTS, ENV } from '../contracts.ts';
import { PermanentError } from './errors.ts';

/** The step Lambda's settings, read from the environment the stack sets (docs/architecture.md). */
export interface StepConfig {
  readonly tableName: string | undefined;
  readonly workflow: string;
  readonly step: string;
  /** Downstream service key (`handler_config.service`), e.g. `user`. */
  readonly service: string;
  /** Base URL of the downstream service; the offline runtime points it at a simulator. */
  readonly serviceUrl: string;
  readonly requestTimeoutMs: number;
  readonly retryLimit: number;
  readonly honorRetryAfter: boolean;
  readonly maxRetryAfterSeconds: number;
  readonly idempotencyTtlSeconds: number;
  /** Names from the YAML's `custom_events`; only these become metrics. */
  readonly customEvents: readonly string[];
  readonly handlerConfig: Readonly<Record<string, unknown>>;
}

const DEFAULT_CUSTOM_EVENTS = ['service_call_started', 'service_call_completed', 'service_call_failed'];

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the step configuration. `step` is the handler's own step name, used when `STEP_NAME` is
 * unset (tests, ad-hoc runs). A missing or malformed variable is a configuration error, named.
 */
export function readStepConfig(step: string, env: Env = process.env): StepConfig {
  const handlerConfig = parseJson(env, ENV.handlerConfig, {}) as Record<string, unknown>;
  const timeoutFromConfig =
    typeof handlerConfig.request_timeout_seconds === 'number'
      ? handlerConfig.request_timeout_seconds * 1000
      : DEFAULTS.requestTimeoutMs;
  const service = env[ENV.serviceName] ?? stringField(handlerConfig, 'service');
  const configuredUrl = env[ENV.serviceUrl] ?? stringField(handlerConfig, 'url');
  if (!service) throw configError(`${ENV.serviceName} is not set (nor handler_config.service)`);
  // The offline runtime points services at simulators and mocks without touching the template.
  const overrides = parseJson(env, ENV.serviceUrlOverrides, {}) as Record<string, unknown>;
  const override = typeof overrides[service] === 'string' ? overrides[service] : undefined;
  const serviceUrl = override ?? configuredUrl;
  if (!serviceUrl) throw configError(`${ENV.serviceUrl} is not set (nor handler_config.url)`);
  const events = parseJson(env, ENV.customEvents, DEFAULT_CUSTOM_EVENTS);
  return {
    tableName: env[ENV.tableName] || undefined,
    workflow: env[ENV.workflowName] ?? 'unknown',
    step: env[ENV.stepName] ?? step,
    service,
    serviceUrl,
    requestTimeoutMs: positiveNumber(env, ENV.requestTimeoutMs, timeoutFromConfig),
    retryLimit: positiveNumber(env, ENV.retryLimit, DEFAULTS.retryLimit),
    honorRetryAfter: env[ENV.honorRetryAfter] === 'true',
    maxRetryAfterSeconds: positiveNumber(env, ENV.maxRetryAfterSeconds, DEFAULTS.maxRetryAfterSeconds),
    idempotencyTtlSeconds: positiveNumber(env, ENV.idempotencyTtlSeconds, DEFAULTS.idempotencyTtlSeconds),
    customEvents: Array.isArray(events) ? events.map(String) : DEFAULT_CUSTOM_EVENTS,
    handlerConfig,
  };
}

function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function parseJson(env: Env, name: string, fallback: unknown): unknown {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  try {
    return JSON.parse(raw);
  } catch {
    throw configError(`${name} is not valid JSON`);
  }
}

function positiveNumber(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw configError(`${name} must be a non-negative number, got '${raw}'`);
  return value;
}

function configError(message: string): PermanentError {
  return new PermanentError('CONFIGURATION_ERROR', message);
}
