/**
 * The spec stage: validated YAML data -> typed WorkflowSpec, with defaults resolved, the chosen
 * environment's overrides merged into each step's `handler_config`, the handler module and the
 * service key decided, and the lines later stages report on.
 */
import { HTTP_STEP_ENTRY, DEFAULTS as SHARED_DEFAULTS } from '../../lambdas/contracts.ts';
import { mergeCircuitBreaker } from './circuit-breaker.ts';
import { deepMerge, environmentNames, originPath, type StepOverride, stepOverrides } from './environments.ts';
import { serviceKey } from './handler-config.ts';
import { resolveOperations } from './operations.ts';
import type { RawStep, RawWorkflow } from './schema.ts';
import type { CompensationSpec, StepSpec, WorkflowSpec } from './types.ts';
import type { PathSegment, YamlSource } from './yaml-source.ts';

/** Built-in defaults, mirroring Tasker's backoff (1 s doubling, capped at 30 s, full jitter). */
export const DEFAULTS = {
  retryLimit: SHARED_DEFAULTS.retryLimit,
  intervalSeconds: 1,
  backoffRate: 2,
  maxDelaySeconds: 30,
  jitter: 'full',
  timeoutSeconds: SHARED_DEFAULTS.stepTimeoutSeconds,
  maxRetryAfterSeconds: SHARED_DEFAULTS.maxRetryAfterSeconds,
  namespace: 'default',
  version: '0.1.0',
} as const;

/** `handler_config` fields whose line a later stage may report. */
const CONFIG_LINE_FIELDS = [
  'url',
  'service',
  'request',
  'memory_mb',
  'request_timeout_seconds',
  'circuit_breaker',
] as const;

/**
 * A step's handler module when `handler:` is not given: one folder per workflow, one file per step,
 * so two workflows may both have a step called `notify`. `(order_fulfillment, charge_payment)`
 * -> `lambdas/steps/order_fulfillment/charge-payment.ts` (camelCase also becomes kebab-case;
 * characters a folder name should not hold become `_`).
 */
export function defaultHandlerPath(workflowName: string, stepName: string): string {
  const kebab = stepName
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
  return `lambdas/steps/${pathSafeName(workflowName)}/${kebab}.ts`;
}

/**
 * The module of a handler class, resolved like the step modules: the class's last `::` part
 * without its `Handler` suffix, in kebab-case, in the workflow's folder.
 * `(order_fulfillment, OrderFulfillment::StepHandlers::UndoChargePaymentHandler)` ->
 * `lambdas/steps/order_fulfillment/undo-charge-payment.ts`.
 */
export function handlerClassPath(workflowName: string, handlerClass: string): string {
  const last = handlerClass.split('::').at(-1) ?? handlerClass;
  return defaultHandlerPath(workflowName, last.replace(/Handler$/, '') || last);
}

/**
 * A workflow name as one URL path segment or folder name: runs of characters outside
 * `A-Z a-z 0-9 _ . -` become `_` (Tasker names such as `api_task/example` load unchanged), and a
 * leading dot becomes `_` so the result is never `.` or `..`.
 */
export function pathSafeName(name: string): string {
  return name
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^\./, '_')
    .slice(0, 128);
}

/** Lines of the fields that are written, by name. */
function linesOf(
  source: YamlSource,
  base: PathSegment[],
  fields: readonly string[],
  data: object,
): Record<string, number> {
  const lines: Record<string, number> = {};
  for (const field of fields) if (field in data) lines[field] = source.lineOf([...base, field], true);
  return lines;
}

/**
 * Builds the spec of a file the earlier checks accepted. `environment` selects whose
 * `environments.<env>` overrides are merged (none: the base values).
 */
export function buildSpec(
  raw: RawWorkflow,
  source: YamlSource,
  file: string,
  environment: string | undefined,
): WorkflowSpec {
  const events = [...(raw.custom_events ?? []), ...raw.step_templates.flatMap((s) => s.custom_events ?? [])];
  const data = raw as Record<string, unknown>;
  const overrides =
    environment === undefined ? new Map<string, StepOverride>() : stepOverrides(data, environment);
  const spec: WorkflowSpec = {
    file,
    name: raw.name,
    namespace: raw.namespace_name ?? DEFAULTS.namespace,
    version: raw.version ?? DEFAULTS.version,
    executionType: raw.execution_type === 'express' ? 'EXPRESS' : 'STANDARD',
    schema: raw.schema ?? {},
    api: {
      resource: raw.api?.resource ?? pathSafeName(raw.name),
      line: source.lineOf(raw.api?.resource === undefined ? ['name'] : ['api', 'resource']),
      statusOutput: [...new Set(raw.api?.status_output ?? [])],
    },
    ...resolveOperations(raw, source),
    customEvents: [...new Set(events.map((e) => (typeof e === 'string' ? e : e.name)))],
    steps: raw.step_templates.map((step, i) => buildStep(step, i, raw, source, overrides.get(step.name))),
    environments: environmentNames(data),
    lines: linesOf(source, [], ['name', 'version', 'description', 'execution_type', 'timeout_seconds'], raw),
  };
  if (raw.description !== undefined) spec.description = raw.description;
  if (raw.task_handler_class !== undefined) spec.taskHandlerClass = raw.task_handler_class;
  if (raw.default_dependent_system !== undefined) spec.defaultDependentSystem = raw.default_dependent_system;
  if (raw.timeout_seconds !== undefined) spec.timeoutSeconds = raw.timeout_seconds;
  if (environment !== undefined) spec.environment = environment;
  return spec;
}

function buildStep(
  raw: RawStep,
  index: number,
  workflow: RawWorkflow,
  source: YamlSource,
  override: StepOverride | undefined,
): StepSpec {
  const defaults = workflow.retry_defaults ?? {};
  const retry = raw.retry ?? {};
  const dependsOn = [
    ...new Set([...(raw.depends_on_step ? [raw.depends_on_step] : []), ...(raw.depends_on_steps ?? [])]),
  ];
  const continues = raw.on_failure === 'continue';
  const base = raw.handler_config ?? {};
  const config = override === undefined ? base : deepMerge(base, override.config);
  const request = isRecord(config.request) ? config.request : undefined;
  const timeoutSeconds = raw.timeout_seconds ?? taskerTimeout(config) ?? DEFAULTS.timeoutSeconds;
  const stepPath: PathSegment[] = ['step_templates', index];
  const configPath: PathSegment[] = [...stepPath, 'handler_config'];
  const lines = linesOf(source, stepPath, ['handler', 'description'], raw);
  for (const field of CONFIG_LINE_FIELDS) {
    if (field in config)
      lines[`handler_config.${field}`] = source.lineOf(originPath(configPath, override, [field]), true);
  }
  const step: StepSpec = {
    name: raw.name,
    ...handlerOf(raw, workflow.name, request !== undefined),
    dependsOn,
    retryable: raw.default_retryable ?? true,
    retry: {
      limit: retry.limit ?? raw.default_retry_limit ?? defaults.limit ?? DEFAULTS.retryLimit,
      intervalSeconds: retry.interval_seconds ?? defaults.interval_seconds ?? DEFAULTS.intervalSeconds,
      backoffRate: retry.backoff_rate ?? defaults.backoff_rate ?? DEFAULTS.backoffRate,
      maxDelaySeconds: retry.max_delay_seconds ?? defaults.max_delay_seconds ?? DEFAULTS.maxDelaySeconds,
      jitter: (retry.jitter ?? defaults.jitter ?? DEFAULTS.jitter) === 'full' ? 'FULL' : 'NONE',
      retryOn: [...new Set(retry.retry_on ?? [])],
    },
    timeoutSeconds,
    honorRetryAfter: raw.honor_retry_after ?? false,
    maxRetryAfterSeconds: raw.max_retry_after_seconds ?? DEFAULTS.maxRetryAfterSeconds,
    onFailure: raw.on_failure ?? 'fail',
    handlerConfig: config,
    circuitBreaker: 'off',
    memoryMb: typeof config.memory_mb === 'number' ? config.memory_mb : SHARED_DEFAULTS.memoryMb,
    requestTimeoutMs: requestTimeoutMs(config, timeoutSeconds),
    line: source.lineOf(stepPath),
    lines,
  };
  const service = serviceKey(config, workflow.default_dependent_system);
  step.circuitBreaker = mergeCircuitBreaker(workflow.circuit_breaker, config.circuit_breaker, service);
  if (service !== undefined) step.service = service;
  if (typeof config.url === 'string') step.serviceUrl = config.url;
  if (request !== undefined) step.request = request;
  if (raw.description !== undefined) step.description = raw.description;
  if (raw.handler_class !== undefined) step.handlerClass = raw.handler_class;
  if (continues) step.fallback = raw.fallback ?? {};
  if (raw.on_failure === 'await_operator') {
    step.operatorTimeoutSeconds = raw.operator_timeout_seconds ?? SHARED_DEFAULTS.operatorTimeoutSeconds;
  }
  if (raw.compensate !== undefined) step.compensate = compensationOf(raw, workflow.name, source, stepPath);
  return step;
}

function compensationOf(
  raw: RawStep,
  workflowName: string,
  source: YamlSource,
  stepPath: PathSegment[],
): CompensationSpec {
  const { request, handler_class: handlerClass } = raw.compensate ?? {};
  const line = source.lineOf([...stepPath, 'compensate'], true);
  if (request !== undefined) return { request, handlerPath: HTTP_STEP_ENTRY, handlerOrigin: 'http', line };
  const name = handlerClass ?? '';
  return {
    handlerClass: name,
    handlerPath: handlerClassPath(workflowName, name),
    handlerOrigin: 'handler_class',
    line,
  };
}

function handlerOf(
  raw: RawStep,
  workflowName: string,
  hasRequest: boolean,
): Pick<StepSpec, 'handlerPath' | 'handlerOrigin'> {
  if (raw.handler !== undefined) return { handlerPath: raw.handler, handlerOrigin: 'handler' };
  if (hasRequest) return { handlerPath: HTTP_STEP_ENTRY, handlerOrigin: 'http' };
  return { handlerPath: defaultHandlerPath(workflowName, raw.name), handlerOrigin: 'default' };
}

/**
 * `handler_config.request_timeout_seconds`, else 10 s capped one second under the step timeout:
 * the HTTP call must give up before the Lambda does, so a slow service ends as a RetryableError.
 */
function requestTimeoutMs(config: Record<string, unknown>, timeoutSeconds: number): number {
  if (typeof config.request_timeout_seconds === 'number')
    return Math.round(config.request_timeout_seconds * 1000);
  return Math.max(1000, Math.min(SHARED_DEFAULTS.requestTimeoutMs, timeoutSeconds * 1000 - 1000));
}

/**
 * Tasker templates put a step's timeout in `handler_config.timeout_seconds`; it is the step's
 * timeout when `timeout_seconds` is absent (the checks have rejected invalid values).
 */
function taskerTimeout(handlerConfig: Record<string, unknown>): number | undefined {
  const value = handlerConfig.timeout_seconds;
  return typeof value === 'number' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
