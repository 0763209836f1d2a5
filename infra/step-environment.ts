import type { StepSpec, WorkflowSpec } from './workflow/index.ts';

/** Variables every function of a workflow shares (table, workflow, Powertools settings). */
export interface SharedEnvironment {
  readonly TABLE_NAME: string;
  readonly WORKFLOW_NAME: string;
  readonly IDEMPOTENCY_TTL_SECONDS: string;
  readonly POWERTOOLS_SERVICE_NAME: string;
  readonly POWERTOOLS_METRICS_NAMESPACE: string;
  readonly POWERTOOLS_LOG_LEVEL: string;
}

/** A step function's environment plus what is worth warning about. */
export interface StepEnvironment {
  readonly variables: Record<string, string>;
  readonly warnings: string[];
}

/** The HTTP call must give up before the Lambda does, so a slow service ends as a RetryableError. */
const DEFAULT_MAX_REQUEST_TIMEOUT_MS = 10_000;

/**
 * The environment of one step function, as listed in docs/architecture.md ("Lambda
 * environment"). `SERVICE_NAME` is `handler_config.service`, falling back to the workflow's
 * `default_dependent_system`; `SERVICE_URL` is `handler_config.url` (omitted when absent);
 * `REQUEST_TIMEOUT_MS` is `handler_config.request_timeout_seconds`, else 10 s capped at one
 * second under the step timeout.
 */
export function stepEnvironment(
  spec: WorkflowSpec,
  step: StepSpec,
  shared: SharedEnvironment,
): StepEnvironment {
  const config = step.handlerConfig;
  const warnings: string[] = [];
  const service = typeof config.service === 'string' ? config.service : spec.defaultDependentSystem;
  const stepTimeoutMs = step.timeoutSeconds * 1000;
  let requestTimeoutMs = Math.max(1000, Math.min(DEFAULT_MAX_REQUEST_TIMEOUT_MS, stepTimeoutMs - 1000));
  if (typeof config.request_timeout_seconds === 'number') {
    requestTimeoutMs = Math.round(config.request_timeout_seconds * 1000);
    if (requestTimeoutMs >= stepTimeoutMs) {
      warnings.push(
        `${spec.file}:${step.line}: warning: step '${step.name}' handler_config.request_timeout_seconds (${config.request_timeout_seconds}) is not below timeout_seconds (${step.timeoutSeconds}): a slow service will end in a Lambda timeout instead of a retryable error`,
      );
    }
  }
  const variables: Record<string, string> = {
    ...shared,
    STEP_NAME: step.name,
    ...(service === undefined ? {} : { SERVICE_NAME: service }),
    ...(typeof config.url === 'string' ? { SERVICE_URL: config.url } : {}),
    REQUEST_TIMEOUT_MS: String(requestTimeoutMs),
    RETRY_LIMIT: String(step.retry.limit),
    HONOR_RETRY_AFTER: String(step.honorRetryAfter),
    MAX_RETRY_AFTER_SECONDS: String(step.maxRetryAfterSeconds),
    HANDLER_CONFIG: JSON.stringify(config),
    CUSTOM_EVENTS: JSON.stringify(spec.customEvents),
  };
  return { variables, warnings };
}
