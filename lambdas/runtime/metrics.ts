import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  BREAKER_TRANSITION_METRIC,
  type BreakerState,
  type BUILT_IN_STEP_METRICS,
  DEFAULTS,
  ENV,
} from '../contracts.ts';
import { PermanentError, RUNTIME_ERROR_CODES } from './errors.ts';
import { maskValue } from './pii.ts';

/** The metrics the HTTP client records on every call, whatever the YAML's `custom_events` say. */
export type ServiceCallEvent = (typeof BUILT_IN_STEP_METRICS)[number];

/** Options for {@link createStepMetrics}. */
export interface StepMetricsOptions {
  readonly service: string;
  readonly step: string;
  /** The workflow's `custom_events` names: the only names {@link StepMetrics.emit} accepts. */
  readonly customEvents: readonly string[];
  /** The configuration's `POWERTOOLS_METRICS_NAMESPACE`. @default 'Stepflow' */
  readonly namespace?: string;
}

/** Values a handler may attach to an event it emits (kept as EMF metadata, PII-masked by key). */
export type EventProperties = Readonly<Record<string, string | number | boolean | null>>;

/** The step's CloudWatch metrics (EMF on stdout). */
export interface StepMetrics {
  /**
   * Adds 1 to a built-in call metric (and, for completed/failed calls, records the duration);
   * flushed once per invocation.
   */
  record(event: ServiceCallEvent, durationMs?: number): void;
  /** One EMF line at once: `circuit_breaker_transition` = 1 with dimensions service, step, state. */
  transition(state: BreakerState): void;
  /**
   * One EMF line at once: the workflow's custom event `name` = 1, its `properties` as metadata.
   * A name the YAML does not declare in `custom_events` is a `CONFIGURATION_ERROR`.
   */
  emit(name: string, properties?: EventProperties): void;
  /** Writes the call metrics' EMF line when anything was recorded; a no-op otherwise. */
  flush(): void;
}

/**
 * Powertools Metrics with `service` (the downstream service) and `step` as dimensions on every
 * metric, so a dashboard can split calls and failures per service and per step. The built-in
 * call metrics are always on: declaring `custom_events` only adds names a handler may emit.
 */
export function createStepMetrics(opts: StepMetricsOptions): StepMetrics {
  const metrics = new Metrics({
    namespace: opts.namespace ?? DEFAULTS.metricsNamespace,
    serviceName: opts.service,
    defaultDimensions: { service: opts.service, step: opts.step },
  });
  const declared = new Set(opts.customEvents);
  return {
    record(event, durationMs) {
      metrics.addMetric(event, MetricUnit.Count, 1);
      if (durationMs !== undefined)
        metrics.addMetric(`${event}_duration`, MetricUnit.Milliseconds, durationMs);
    },
    transition(state) {
      // A single metric publishes its line on addMetric: dimensions and metadata go first.
      const single = metrics.singleMetric();
      single.addDimension('state', state);
      single.addMetric(BREAKER_TRANSITION_METRIC, MetricUnit.Count, 1);
    },
    emit(name, properties = {}) {
      if (!declared.has(name)) {
        const names = [...declared].join(', ') || 'none';
        throw new PermanentError(
          RUNTIME_ERROR_CODES.configuration,
          `event '${name}' is not declared in the workflow's custom_events (${ENV.customEvents}: ${names})`,
        );
      }
      const single = metrics.singleMetric();
      for (const [key, value] of Object.entries(properties)) {
        // EMF metadata is a log field: the same masking as every log line, by key.
        if (value !== null) single.addMetadata(key, maskValue(key, String(value)));
      }
      single.addMetric(name, MetricUnit.Count, 1);
    },
    flush() {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
