import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DEFAULTS } from '../contracts.ts';

/** The YAML's `custom_events` that the HTTP client emits. */
export type ServiceCallEvent = 'service_call_started' | 'service_call_completed' | 'service_call_failed';

/** Options for {@link createStepMetrics}. */
export interface StepMetricsOptions {
  readonly service: string;
  readonly step: string;
  /** Events to emit; any other event is dropped (the YAML decides which events exist). */
  readonly customEvents: readonly string[];
  /** The configuration's `POWERTOOLS_METRICS_NAMESPACE`. @default 'Stepflow' */
  readonly namespace?: string;
}

/** Counts custom events as CloudWatch metrics (EMF on stdout), flushed once per invocation. */
export interface StepMetrics {
  /** Adds 1 to the event's count (and, for completed/failed calls, records the duration). */
  record(event: ServiceCallEvent, durationMs?: number): void;
  /** Writes the EMF line when anything was recorded; a no-op otherwise (no empty-metrics warning). */
  flush(): void;
}

/**
 * Powertools Metrics with `service` (the downstream service) and `step` as dimensions on every
 * metric, so a dashboard can split calls and failures per service and per step.
 */
export function createStepMetrics(opts: StepMetricsOptions): StepMetrics {
  const metrics = new Metrics({
    namespace: opts.namespace ?? DEFAULTS.metricsNamespace,
    serviceName: opts.service,
    defaultDimensions: { service: opts.service, step: opts.step },
  });
  const enabled = new Set(opts.customEvents);
  return {
    record(event, durationMs) {
      if (!enabled.has(event)) return;
      metrics.addMetric(event, MetricUnit.Count, 1);
      if (durationMs !== undefined)
        metrics.addMetric(`${event}_duration`, MetricUnit.Milliseconds, durationMs);
    },
    flush() {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
