import { DEFAULTS, ENV } from '../lambdas/contracts.ts';
import type { StepSpec, WorkflowSpec } from './workflow/index.ts';

/** Variables every function of a workflow shares (table, workflow, Powertools settings). */
export type SharedEnvironment = Readonly<
  Record<
    | (typeof ENV)['tableName']
    | (typeof ENV)['workflowName']
    | (typeof ENV)['idempotencyTtlSeconds']
    | (typeof ENV)['powertoolsServiceName']
    | (typeof ENV)['powertoolsMetricsNamespace']
    | (typeof ENV)['powertoolsLogLevel'],
    string
  >
>;

/** A step function's environment plus what is worth warning about. */
export interface StepEnvironment {
  readonly variables: Record<string, string>;
  readonly warnings: string[];
}

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
  // The HTTP call must give up before the Lambda does, so a slow service ends as a RetryableError.
  let requestTimeoutMs = Math.max(1000, Math.min(DEFAULTS.requestTimeoutMs, stepTimeoutMs - 1000));
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
    [ENV.stepName]: step.name,
    ...(service === undefined ? {} : { [ENV.serviceName]: service }),
    ...(typeof config.url === 'string' ? { [ENV.serviceUrl]: config.url } : {}),
    [ENV.requestTimeoutMs]: String(requestTimeoutMs),
    [ENV.retryLimit]: String(step.retry.limit),
    [ENV.honorRetryAfter]: String(step.honorRetryAfter),
    [ENV.maxRetryAfterSeconds]: String(step.maxRetryAfterSeconds),
    [ENV.handlerConfig]: JSON.stringify(config),
    [ENV.customEvents]: JSON.stringify(spec.customEvents),
  };
  return { variables, warnings };
}
