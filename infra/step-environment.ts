import { ENV } from '../lambdas/contracts.ts';
import type { StepSpec, WorkflowSpec } from './workflow/index.ts';
import { circuitBreakerOf } from './workflow-options.ts';

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

/**
 * The environment of one step function, as listed in docs/architecture.md ("Lambda
 * environment"), from what the spec stage resolved: `SERVICE_NAME` is the step's service key
 * (`handler_config.service`, else `default_dependent_system`, else the URL's host), `SERVICE_URL`
 * its `handler_config.url` after the chosen environment (omitted when absent),
 * `REQUEST_TIMEOUT_MS` its request timeout, `CIRCUIT_BREAKER` its service's breaker settings (JSON)
 * or `off`. The built-in HTTP step reads the same variables.
 */
export function stepEnvironment(
  spec: WorkflowSpec,
  step: StepSpec,
  shared: SharedEnvironment,
): Record<string, string> {
  return {
    ...shared,
    [ENV.stepName]: step.name,
    ...(step.service === undefined ? {} : { [ENV.serviceName]: step.service }),
    ...(step.serviceUrl === undefined ? {} : { [ENV.serviceUrl]: step.serviceUrl }),
    [ENV.requestTimeoutMs]: String(step.requestTimeoutMs),
    [ENV.retryLimit]: String(step.retry.limit),
    [ENV.honorRetryAfter]: String(step.honorRetryAfter),
    [ENV.maxRetryAfterSeconds]: String(step.maxRetryAfterSeconds),
    [ENV.handlerConfig]: JSON.stringify(step.handlerConfig),
    [ENV.customEvents]: JSON.stringify(spec.customEvents),
    [ENV.circuitBreaker]: circuitBreakerEnvironment(spec, step),
  };
}

/** ENV.circuitBreaker of a step: the merged settings as JSON, or `off`. */
export function circuitBreakerEnvironment(spec: WorkflowSpec, step: StepSpec): string {
  const settings = circuitBreakerOf(spec, step);
  return settings === 'off' ? 'off' : JSON.stringify(settings);
}

/**
 * The variables of a step on the shared HTTP function, which its Task payload carries
 * (`sharedStepPayloadTemplate`): its own environment without what every function shares (the
 * shared function has those, and the workflow's custom events).
 */
export function stepPayloadConfig(spec: WorkflowSpec, step: StepSpec): Record<string, string> {
  const { [ENV.customEvents]: _events, ...own } = stepEnvironment(spec, step, {} as SharedEnvironment);
  return own;
}
