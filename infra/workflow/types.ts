import type { CircuitBreakerSettings } from './circuit-breaker.ts';

/** The typed workflow the loader produces and the compiler consumes (YAML names mapped to camelCase). */

/** How a step is retried; every field has been resolved from step, workflow and built-in defaults. */
export interface RetryPolicy {
  /** Retries after the first attempt (`default_retry_limit: 3` = up to 4 attempts). */
  limit: number;
  intervalSeconds: number;
  backoffRate: number;
  maxDelaySeconds: number;
  jitter: 'FULL' | 'NONE';
  /** Extra error names retried with the step's backoff. */
  retryOn: string[];
}

/** One step (`step_templates[]` entry). */
export interface StepSpec {
  name: string;
  description?: string;
  handlerClass?: string;
  /**
   * Repo-relative handler module: `handler:` when given; else the built-in HTTP step handler
   * (`HTTP_STEP_ENTRY`) for a step with `handler_config.request`; else the default path
   * `lambdas/steps/<workflow>/<kebab-name>.ts`.
   */
  handlerPath: string;
  /** Where `handlerPath` came from: `handler:`, the default path, or the built-in HTTP step. */
  handlerOrigin: 'handler' | 'default' | 'http';
  /**
   * `handler_config.request` as written (its `.$` keys unresolved): the Task sends it as
   * `payload.request`. The built-in handler calls it; a `handler:` module may read it.
   */
  request?: Record<string, unknown>;
  /** The service key (SERVICE_NAME): `handler_config.service`, `default_dependent_system`, or the URL's host. */
  service?: string;
  /** `handler_config.url` (SERVICE_URL), after the chosen environment's override. */
  serviceUrl?: string;
  /** `handler_config.memory_mb`, else the default (lambdas/contracts.ts `DEFAULTS.memoryMb`). */
  memoryMb: number;
  /**
   * Timeout of one HTTP call (REQUEST_TIMEOUT_MS): `handler_config.request_timeout_seconds`, else
   * the default capped one second under the step timeout, so a slow service ends in a retryable
   * error before the Lambda times out.
   */
  requestTimeoutMs: number;
  /** Union of `depends_on_step` and `depends_on_steps`, in file order, without duplicates. */
  dependsOn: string[];
  retryable: boolean;
  retry: RetryPolicy;
  timeoutSeconds: number;
  honorRetryAfter: boolean;
  maxRetryAfterSeconds: number;
  /**
   * What a final failure does: `fail` (the default; with a compensation chain in the workflow, a
   * failure it catches compensates), `continue` (the fallback result), or `await_operator` (a
   * `.waitForTaskToken` Task waits for `resolve`/`fail` from an operator).
   */
  onFailure: 'fail' | 'continue' | 'await_operator';
  /** `await_operator` only: `operator_timeout_seconds`, else `DEFAULTS.operatorTimeoutSeconds`. */
  operatorTimeoutSeconds?: number;
  /** The step's `compensate:`, run in reverse dependency order when the workflow compensates. */
  compensate?: CompensationSpec;
  fallback?: Record<string, unknown>;
  /**
   * The shared circuit breaker of the step's service: `handler_config.circuit_breaker` over the
   * workflow's `circuit_breaker` over `DEFAULTS.circuitBreaker`, or `off` (also for a step without a
   * service). The stack writes it as `ENV.circuitBreaker` with `circuitBreakerEnvValue`.
   */
  circuitBreaker: CircuitBreakerSettings | 'off';
  /** `handler_config`, with the chosen environment's override deep-merged into it. */
  handlerConfig: Record<string, unknown>;
  /** Line of the step in the YAML file (1-based). */
  line: number;
  /**
   * Lines of the fields later stages report on (`handler`, `description`, `handler_config.url`,
   * ...): where the value was written, in the step or in the environment override that set it.
   * A field absent from the map was not written; report it at `line`.
   */
  lines: Readonly<Record<string, number>>;
}

/** A step's `compensate:`: how to undo it. */
export interface CompensationSpec {
  /**
   * `compensate.request` as written (its `.$` keys unresolved): the undo Task sends it as
   * `payload.request` to the built-in HTTP step handler, with the step's service and URL.
   */
  request?: Record<string, unknown>;
  /** `compensate.handler_class`, e.g. `OrderFulfillment::StepHandlers::UndoReserveInventoryHandler`. */
  handlerClass?: string;
  /**
   * Repo-relative module of the undo function: `HTTP_STEP_ENTRY` for a request, else the class's
   * module (`lambdas/steps/<workflow>/undo-create-user-account.ts`, see `handlerClassPath`).
   */
  handlerPath: string;
  handlerOrigin: 'http' | 'handler_class';
  /** Line of `compensate:` in the YAML file. */
  line: number;
}

/** Threshold and period of one CloudWatch alarm. */
export interface AlarmThreshold {
  threshold: number;
  periodSeconds: number;
}

/** `alarms:`, every threshold resolved (default 1 per 300 s). */
export interface AlarmSettings {
  /** `alarms.topic_email`: subscribed to the alarm topic. */
  topicEmail?: string;
  /** State machine metrics. */
  executionsFailed: AlarmThreshold;
  executionsTimedOut: AlarmThreshold;
  executionsAborted: AlarmThreshold;
  executionThrottled: AlarmThreshold;
  /** Each step function's Errors and Throttles. */
  stepErrors: AlarmThreshold;
  stepThrottles: AlarmThreshold;
  line: number;
}

/** One `notifications:` entry: an EventBridge rule on this state machine's status changes. */
export interface NotificationSpec {
  /** Execution statuses (`FAILED`, `TIMED_OUT`, ...) the rule matches. */
  on: string[];
  /** Exactly one ARN: an SNS topic, an SQS queue, a Lambda function or an event bus. */
  target: { sns?: string; sqs?: string; lambda?: string; eventBus?: string };
  line: number;
}

/** `deployment:`, resolved: CANARY and LINEAR always carry a percentage and an interval. */
export interface DeploymentSpec {
  type: 'ALL_AT_ONCE' | 'CANARY' | 'LINEAR';
  percentage?: number;
  intervalMinutes?: number;
  /** Line of `deployment:`, or of `name` when it is the default. */
  line: number;
}

/** One workflow file. */
export interface WorkflowSpec {
  file: string;
  name: string;
  namespace: string;
  version: string;
  description?: string;
  taskHandlerClass?: string;
  defaultDependentSystem?: string;
  executionType: 'STANDARD' | 'EXPRESS';
  timeoutSeconds?: number;
  /** JSON Schema of the execution input (`{}` when the file has none). */
  schema: Record<string, unknown>;
  /** Names of the workflow's `custom_events`. */
  customEvents: string[];
  /** The workflow's REST API: `POST /<resource>`, `GET /<resource>/{correlation_id}`. */
  api: {
    /** `api.resource`, else the workflow name made path-safe (`pathSafeName`). */
    resource: string;
    /** Line of `api.resource`, or of `name` when it is the default. */
    line: number;
    /** `api.status_output`: output paths (`steps.<step>.<field>`) the status may show; default none. */
    statusOutput: string[];
  };
  /** `compensate_on`: which caught final failures compensate (default `[permanent]`). */
  compensateOn: ('permanent' | 'exhausted')[];
  /** `deployment:` (default ALL_AT_ONCE). */
  deployment: DeploymentSpec;
  /** `alarms:`; absent when the file has none or `alarms: false`. */
  alarms?: AlarmSettings;
  /** `notifications:` (default none). */
  notifications: NotificationSpec[];
  /** Steps in file order. */
  steps: StepSpec[];
  /** The environment whose overrides were applied, when one was chosen. */
  environment?: string;
  /** The environments the file defines (`environments:`), in file order. */
  environments: string[];
  /** Lines of workflow fields (`name`, `description`, `execution_type`, `timeout_seconds`) that are written. */
  lines: Readonly<Record<string, number>>;
}
