/**
 * The workflow file format as zod schemas: Tasker's task-template fields plus the native extensions.
 * Objects are strict so a typo is an error, and each field carries its requirement as the error
 * text ("must be an integer from 0 to 100"), which the loader turns into `file:line:` diagnostics.
 */
import { z } from 'zod';
import { EXECUTION_STATUSES } from '../../lambdas/contracts.ts';

/** Largest retry limit accepted: beyond this a workflow is misconfigured, not resilient. */
export const MAX_RETRY_LIMIT = 100;
/** Lambda's maximum timeout; a step's task timeout is also its function's timeout. */
export const MAX_STEP_TIMEOUT_SECONDS = 900;
/** Largest Retry-After bucket in lambdas/contracts.ts. */
export const MAX_RETRY_AFTER_SECONDS = 300;
/** Standard workflows may run for a year. */
export const MAX_WORKFLOW_TIMEOUT_SECONDS = 31_536_000;

function intIn(min: number, max: number) {
  const error = `must be an integer from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}
function numberIn(min: number, max: number) {
  const error = `must be a number from ${min} to ${max}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
}
const text = () => z.string({ error: 'must be a string' });
const flag = () => z.boolean({ error: 'must be true or false' });
const mapping = () => z.record(z.string(), z.unknown(), { error: 'must be a mapping' });
const textList = () => z.array(text(), { error: 'must be a list of strings' });

/**
 * An API Gateway path part the workflow's REST API serves (`POST /<resource>`): letters, digits,
 * `.`, `_` and `-`, as API Gateway allows outside `{}` path parameters.
 */
export const API_RESOURCE_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export const apiSchema = z.strictObject(
  {
    /** Output paths the status document may show (`steps.<step>.<field>`), default none. */
    status_output: textList().optional(),
    resource: z
      .string({ error: 'must be a string' })
      .regex(API_RESOURCE_PATTERN, {
        error: 'must be 1-128 characters of letters, digits, . _ - (one URL path segment, no slashes)',
      })
      .optional(),
  },
  { error: 'must be a mapping' },
);

const customEvent = z.union([text(), z.strictObject({ name: text(), description: text().optional() })], {
  error: 'must be a name or a mapping with name and description',
});

/** Backoff fields shared by the workflow's `retry_defaults` and a step's `retry`. */
const backoffFields = {
  limit: intIn(0, MAX_RETRY_LIMIT).optional(),
  interval_seconds: intIn(1, 3600).optional(),
  backoff_rate: numberIn(1, 10).optional(),
  max_delay_seconds: intIn(1, 86_400).optional(),
  jitter: z.enum(['full', 'none'], { error: "must be 'full' or 'none'" }).optional(),
};

export const retryDefaultsSchema = z.strictObject(backoffFields, { error: 'must be a mapping' });
export const stepRetrySchema = z.strictObject(
  { ...backoffFields, retry_on: textList().optional() },
  { error: 'must be a mapping' },
);

/** Longest wait for an operator: Step Functions keeps a Standard execution up to a year. */
export const MAX_OPERATOR_TIMEOUT_SECONDS = 31_536_000;

/** A step's compensation: a declarative HTTP request (like handler_config.request) or a handler class. */
export const compensateSchema = z.strictObject(
  { request: mapping().optional(), handler_class: text().optional() },
  { error: 'must be a mapping with request: or handler_class:' },
);

export const stepSchema = z.strictObject(
  {
    name: text(),
    description: text().optional(),
    handler_class: text().optional(),
    handler: text().optional(),
    depends_on_step: z
      .string({ error: 'must be one step name (use depends_on_steps: [a, b] for several)' })
      .optional(),
    depends_on_steps: textList().optional(),
    default_retryable: flag().optional(),
    default_retry_limit: intIn(0, MAX_RETRY_LIMIT).optional(),
    retry: stepRetrySchema.optional(),
    timeout_seconds: intIn(1, MAX_STEP_TIMEOUT_SECONDS).optional(),
    honor_retry_after: flag().optional(),
    max_retry_after_seconds: intIn(1, MAX_RETRY_AFTER_SECONDS).optional(),
    on_failure: z
      .enum(['fail', 'continue', 'await_operator'], {
        error: "must be 'fail', 'continue' or 'await_operator'",
      })
      .optional(),
    operator_timeout_seconds: intIn(1, MAX_OPERATOR_TIMEOUT_SECONDS).optional(),
    compensate: compensateSchema.optional(),
    fallback: mapping().optional(),
    handler_config: mapping().optional(),
    // Tasker fields accepted so its templates load unchanged; kept as documentation.
    dependent_system: text().optional(),
    skippable: flag().optional(),
    custom_events: z.array(customEvent, { error: 'must be a list' }).optional(),
  },
  { error: 'must be a mapping with at least a name (- name: my_step)' },
);

/** How the `live` alias moves to a new version (the alias's DeploymentPreference type). */
export const DEPLOYMENT_TYPES = ['ALL_AT_ONCE', 'CANARY', 'LINEAR'] as const;
/** Which final failures start the compensation chain. */
export const COMPENSATE_ON = ['permanent', 'exhausted'] as const;

export const deploymentSchema = z.strictObject(
  {
    type: z.enum(DEPLOYMENT_TYPES, { error: `must be one of ${DEPLOYMENT_TYPES.join(', ')}` }),
    percentage: intIn(1, 99).optional(),
    interval_minutes: intIn(1, 2100).optional(),
  },
  { error: 'must be a mapping with type (ALL_AT_ONCE, CANARY or LINEAR)' },
);

export const notificationTargetSchema = z.strictObject(
  { sns: text().optional(), sqs: text().optional(), lambda: text().optional(), event_bus: text().optional() },
  { error: 'must be a mapping with one of sns, sqs, lambda, event_bus: <ARN>' },
);

export const notificationSchema = z.strictObject(
  {
    on: z
      .array(z.enum(EXECUTION_STATUSES, { error: `must be one of ${EXECUTION_STATUSES.join(', ')}` }), {
        error: 'must be a list of execution statuses',
      })
      .min(1, { error: 'must list at least one execution status' }),
    target: notificationTargetSchema,
  },
  { error: 'must be a mapping with on: [statuses] and target:' },
);

export const workflowSchema = z.strictObject({
  name: text(),
  namespace_name: text().optional(),
  version: z.string({ error: "must be a string (quote it, e.g. version: '1.0')" }).optional(),
  description: text().optional(),
  task_handler_class: text().optional(),
  default_dependent_system: text().optional(),
  schema: mapping().optional(),
  custom_events: z.array(customEvent, { error: 'must be a list' }).optional(),
  execution_type: z.enum(['standard', 'express'], { error: "must be 'standard' or 'express'" }).optional(),
  timeout_seconds: intIn(1, MAX_WORKFLOW_TIMEOUT_SECONDS).optional(),
  retry_defaults: retryDefaultsSchema.optional(),
  api: apiSchema.optional(),
  /** Checked by circuit-breaker.ts (a mapping or `off`), so its messages name each field. */
  circuit_breaker: z.unknown().optional(),
  compensate_on: z
    .array(z.enum(COMPENSATE_ON, { error: "must be 'permanent' or 'exhausted'" }), {
      error: 'must be a list: [permanent] or [permanent, exhausted]',
    })
    .min(1, { error: 'must list permanent: [permanent] or [permanent, exhausted]' })
    .optional(),
  deployment: deploymentSchema.optional(),
  /** `true`, `false` or a mapping; checked by operations.ts. */
  alarms: z.unknown().optional(),
  notifications: z.array(notificationSchema, { error: 'must be a list' }).optional(),
  step_templates: z
    .array(stepSchema, { error: 'must be a list of steps' })
    .min(1, { error: 'must list at least one step' }),
  // Tasker fields accepted so its templates load unchanged; kept as documentation.
  module_namespace: text().optional(),
  concurrent: flag().optional(),
  named_steps: textList().optional(),
  handler_config: mapping().optional(),
  environments: mapping().optional(),
});

export type RawWorkflow = z.infer<typeof workflowSchema>;
export type RawStep = z.infer<typeof stepSchema>;

/** Field names allowed at each level, for "did you mean" suggestions on unknown fields. */
export const KNOWN_FIELDS = {
  workflow: Object.keys(workflowSchema.shape),
  step: Object.keys(stepSchema.shape),
  retry: Object.keys(stepRetrySchema.shape),
  retry_defaults: Object.keys(retryDefaultsSchema.shape),
  api: Object.keys(apiSchema.shape),
  compensate: Object.keys(compensateSchema.shape),
  deployment: Object.keys(deploymentSchema.shape),
  notification: Object.keys(notificationSchema.shape),
  target: Object.keys(notificationTargetSchema.shape),
  custom_event: ['name', 'description'],
} as const;
