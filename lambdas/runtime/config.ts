import { DEFAULTS, ENV, LAMBDA_ENV } from '../contracts.ts';
import { type BreakerSettings, parseBreakerSettings } from './circuit-breaker.ts';
import { PermanentError, RUNTIME_ERROR_CODES } from './errors.ts';

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
  /**
   * Names from the YAML's `custom_events`: the events a handler may `ctx.emit`. The built-in
   * call metrics are emitted whatever this says.
   */
  readonly customEvents: readonly string[];
  /** The service's circuit breaker (`CIRCUIT_BREAKER`), or `off`. @default DEFAULTS.circuitBreaker */
  readonly circuitBreaker: BreakerSettings | 'off';
  readonly handlerConfig: Readonly<Record<string, unknown>>;
  /** `POWERTOOLS_LOG_LEVEL`. */
  readonly logLevel: string;
  /** `POWERTOOLS_METRICS_NAMESPACE`. */
  readonly metricsNamespace: string;
  /** `AWS_LAMBDA_FUNCTION_NAME`; unset outside Lambda and the offline runtime. */
  readonly functionName: string | undefined;
  /** Region of the SDK clients the runtime creates (`AWS_REGION`, else `AWS_DEFAULT_REGION`). */
  readonly region: string;
}

/** An environment to read configuration from: `process.env`, or an explicit one in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the step configuration. `step` is the handler's own step name, used when `STEP_NAME` is
 * unset (tests, ad-hoc runs); a handler shared by many steps (the HTTP step) passes none and
 * needs `STEP_NAME`. A missing or malformed variable is a configuration error, named.
 */
export function readStepConfig(step: string | undefined, env: Env = process.env): StepConfig {
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
  const events = parseJson(env, ENV.customEvents, []);
  const stepName = env[ENV.stepName] || step;
  if (!stepName) throw configError(`${ENV.stepName} is not set`);
  return {
    tableName: env[ENV.tableName] || undefined,
    workflow: env[ENV.workflowName] ?? 'unknown',
    step: stepName,
    service,
    serviceUrl,
    requestTimeoutMs: positiveNumber(env, ENV.requestTimeoutMs, timeoutFromConfig),
    retryLimit: positiveNumber(env, ENV.retryLimit, DEFAULTS.retryLimit),
    honorRetryAfter: env[ENV.honorRetryAfter] === 'true',
    maxRetryAfterSeconds: positiveNumber(env, ENV.maxRetryAfterSeconds, DEFAULTS.maxRetryAfterSeconds),
    idempotencyTtlSeconds: positiveNumber(env, ENV.idempotencyTtlSeconds, DEFAULTS.idempotencyTtlSeconds),
    customEvents: Array.isArray(events) ? events.map(String) : [],
    circuitBreaker: parseBreakerSettings(env[ENV.circuitBreaker], ENV.circuitBreaker),
    handlerConfig,
    logLevel: env[ENV.powertoolsLogLevel] || DEFAULTS.logLevel,
    metricsNamespace: env[ENV.powertoolsMetricsNamespace] || DEFAULTS.metricsNamespace,
    functionName: env[LAMBDA_ENV.functionName] || undefined,
    // Lambda always sets AWS_REGION; the fallback spares ad-hoc local runs a region lookup.
    region: env[LAMBDA_ENV.region] || env[LAMBDA_ENV.defaultRegion] || DEFAULTS.region,
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
  return new PermanentError(RUNTIME_ERROR_CODES.configuration, message);
}
