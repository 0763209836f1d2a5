/**
 * The contracts between the parts: the compiler and the stack (infra/), the step and API handlers
 * (lambdas/), and the offline runtime (local/). Error names, environment variables and their
 * defaults, template metadata keys and the step payload are defined here once; every seam imports
 * them instead of retyping a string.
 *
 * Zero imports, so the compiler and the offline runtime can load it without loading handler code.
 */

// ---------------------------------------------------------------------------------------------
// Error names: a handler throws an error whose `name` is one of these, the Lambda runtime reports
// it as the task's `Error`, and the Retry/Catch blocks the compiler emits match on it.
// ---------------------------------------------------------------------------------------------

/** A failure worth retrying with backoff (5xx, 408, 429, network errors, timeouts). */
export const RETRYABLE_ERROR = 'RetryableError';
/** A failure that no retry can fix (4xx validation/auth/not-found, conflicts). Never retried. */
export const PERMANENT_ERROR = 'PermanentError';
/**
 * Thrown by a step with `honor_retry_after` once its attempts are used up, so that a service
 * answering Retry-After forever cannot keep the step retrying past its limit.
 */
export const RETRIES_EXHAUSTED_ERROR = 'RetriesExhausted';
/** Thrown when the service asks for a delay longer than the step's `max_retry_after_seconds`. */
export const RETRY_AFTER_TOO_LONG_ERROR = 'RetryAfterTooLong';
/** Powertools Idempotency: a concurrent invocation for the same key is still running. Retry it. */
export const IDEMPOTENCY_IN_PROGRESS_ERROR = 'IdempotencyAlreadyInProgressError';

/**
 * Delay buckets (seconds) for Retry-After. A step with `honor_retry_after` gets one Retrier per
 * bucket up to its `max_retry_after_seconds`; the handler rounds the requested delay *up* to the
 * next bucket, so a retry never happens earlier than asked and at most a third later (181 s -> 240 s
 * is the worst ratio; up to 6 s it is exact to the second).
 */
export const RETRY_AFTER_BUCKETS_SECONDS = [
  1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 75, 90, 120, 150, 180, 240, 300,
] as const;

const RETRY_AFTER_ERROR_PREFIX = 'RetryAfter.';

/** `RetryAfter.5s`: the error name a handler throws to be retried after (at least) 5 seconds. */
export function retryAfterErrorName(bucketSeconds: number): string {
  return `${RETRY_AFTER_ERROR_PREFIX}${bucketSeconds}s`;
}

/** The delay of a `RetryAfter.<n>s` error name in seconds, or undefined for any other name. */
export function retryAfterSecondsOf(errorName: string): number | undefined {
  if (!errorName.startsWith(RETRY_AFTER_ERROR_PREFIX) || !errorName.endsWith('s')) return undefined;
  const digits = errorName.slice(RETRY_AFTER_ERROR_PREFIX.length, -1);
  return /^[1-9]\d*$/.test(digits) ? Number(digits) : undefined;
}

/**
 * The smallest bucket >= `seconds`, or undefined when the delay exceeds `maxSeconds` (or every
 * bucket). Fractions round up: a retry must never come earlier than the service asked.
 */
export function retryAfterBucket(seconds: number, maxSeconds: number): number | undefined {
  const wanted = Math.max(1, Math.ceil(seconds));
  if (wanted > maxSeconds) return undefined;
  return RETRY_AFTER_BUCKETS_SECONDS.find((bucket) => bucket >= wanted);
}

/** Buckets a step with `max_retry_after_seconds: max` needs Retriers for. */
export function retryAfterBucketsUpTo(maxSeconds: number): number[] {
  const buckets: number[] = RETRY_AFTER_BUCKETS_SECONDS.filter((bucket) => bucket < maxSeconds);
  const top = retryAfterBucket(maxSeconds, Number.POSITIVE_INFINITY);
  if (top !== undefined) buckets.push(top);
  return buckets;
}

/** Lambda service errors and throttles Step Functions recommends retrying on every Lambda task. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
] as const;

/**
 * What the Lambda runtime reports when a function runs past its own timeout. A step's Lambda
 * timeout equals its Task TimeoutSeconds, so either can fire first; both are retried alike.
 */
export const LAMBDA_TIMEOUT_ERROR = 'Sandbox.Timedout';

/**
 * What the Lambda service reports when a function's process dies (a `process.exit()`, an
 * unhandled rejection, running out of memory, a killed worker). Step idempotency makes a retry
 * safe, so the compiler retries these with the step's backoff (issue "Survive the bad day").
 */
export const LAMBDA_CRASH_ERRORS = [
  'Runtime.ExitError',
  'Runtime.UnhandledPromiseRejection',
  'Runtime.OutOfMemory',
  'Lambda.Unknown',
] as const;

/**
 * Thrown by a handler, without calling its service, while the service's shared circuit breaker is
 * open. It has a Retrier of its own that waits out the breaker's cool-down, so an outage does not
 * spend the step's normal retries (up to the breaker's `max_outage_seconds`).
 */
export const CIRCUIT_OPEN_ERROR = 'CircuitOpen';

/** Every error name a step handler may throw on purpose. The compiler rejects `retry_on` names outside this list and `States.*`/`Lambda.*`. */
export const STEP_ERROR_NAMES = [
  RETRYABLE_ERROR,
  PERMANENT_ERROR,
  RETRIES_EXHAUSTED_ERROR,
  RETRY_AFTER_TOO_LONG_ERROR,
  IDEMPOTENCY_IN_PROGRESS_ERROR,
  CIRCUIT_OPEN_ERROR,
] as const;

/**
 * Errors that mean "no retry can fix this": with the default `compensate_on: [permanent]` they
 * start the compensation chain; any other final failure (retries exhausted on a retryable error)
 * holds the execution FAILED without compensating, so an operator can fix the cause and redrive.
 */
export const PERMANENT_ERROR_NAMES = [
  PERMANENT_ERROR,
  RETRIES_EXHAUSTED_ERROR,
  RETRY_AFTER_TOO_LONG_ERROR,
] as const;

// ---------------------------------------------------------------------------------------------
// Defaults shared by the writer (compiler, stack) and the reader (handlers).
// ---------------------------------------------------------------------------------------------

/** Defaults that both the compiler/stack and the handlers apply; change them here only. */
export const DEFAULTS = {
  /** Retries after the first attempt (`default_retry_limit`). */
  retryLimit: 3,
  /** Longest Retry-After a step honours (`max_retry_after_seconds`). */
  maxRetryAfterSeconds: 60,
  /** Per-request timeout of a step's HTTP call, capped one second under the step timeout. */
  requestTimeoutMs: 10_000,
  /** Step timeout (`timeout_seconds`): Task TimeoutSeconds and the Lambda timeout. */
  stepTimeoutSeconds: 30,
  /** Memory of a step function (`handler_config.memory_mb`). */
  memoryMb: 256,
  /** API idempotency keys and step idempotency records: 24 h (README, "How long records live"). */
  idempotencyTtlSeconds: 24 * 60 * 60,
  /** Correlation ID -> execution records: as long as Step Functions keeps a Standard history. */
  correlationTtlSeconds: 90 * 24 * 60 * 60,
  /** `POWERTOOLS_LOG_LEVEL` when the environment sets none. */
  logLevel: 'INFO',
  /** `POWERTOOLS_METRICS_NAMESPACE` when the environment sets none. */
  metricsNamespace: 'Stepflow',
  /**
   * Region of the SDK clients a handler creates when neither `AWS_REGION` nor `AWS_DEFAULT_REGION`
   * is set (ad-hoc runs only: Lambda always sets `AWS_REGION`).
   */
  region: 'us-east-1',
  /** How long an `on_failure: await_operator` step waits for an operator (`operator_timeout_seconds`). */
  operatorTimeoutSeconds: 7 * 24 * 60 * 60,
  /** The shared circuit breaker of every service (`circuit_breaker:` in the YAML overrides it). */
  circuitBreaker: {
    /** Retryable failures of one service within `windowSeconds` that open its breaker. */
    failureThreshold: 5,
    windowSeconds: 30,
    /** How long an open breaker stays open before one caller probes (half-open). */
    coolDownSeconds: 5,
    /** How long a step waits out open breakers in all (its CircuitOpen Retrier's budget). */
    maxOutageSeconds: 300,
  },
} as const;

// ---------------------------------------------------------------------------------------------
// Environment variables: set by the stack (infra/), read by lambdas/ (docs/architecture.md).
// ---------------------------------------------------------------------------------------------

/** Every environment variable name the stack writes and the handlers read. */
export const ENV = {
  tableName: 'TABLE_NAME',
  workflowName: 'WORKFLOW_NAME',
  stepName: 'STEP_NAME',
  /** `handler_config.service`, else the workflow's `default_dependent_system`. */
  serviceName: 'SERVICE_NAME',
  /** `handler_config.url` (after the chosen `environments` override). */
  serviceUrl: 'SERVICE_URL',
  requestTimeoutMs: 'REQUEST_TIMEOUT_MS',
  retryLimit: 'RETRY_LIMIT',
  /** `true` or `false`. */
  honorRetryAfter: 'HONOR_RETRY_AFTER',
  maxRetryAfterSeconds: 'MAX_RETRY_AFTER_SECONDS',
  /** JSON of the step's `handler_config`. */
  handlerConfig: 'HANDLER_CONFIG',
  /** JSON list of the workflow's `custom_events` names. */
  customEvents: 'CUSTOM_EVENTS',
  idempotencyTtlSeconds: 'IDEMPOTENCY_TTL_SECONDS',
  /** API functions: the state machine the start function starts. */
  stateMachineArn: 'STATE_MACHINE_ARN',
  /** API functions: JSON Schema of the execution input. */
  workflowSchema: 'WORKFLOW_SCHEMA',
  /** Status function (optional): JSON list of step names in workflow order. */
  workflowSteps: 'WORKFLOW_STEPS',
  /** API functions: the REST resource (`api.resource`), e.g. `registrations`. */
  apiResource: 'API_RESOURCE',
  /**
   * Offline runtime only: JSON map of service name -> base URL (a simulator or a mock). A step's
   * service found in it is called there instead of its configured URL.
   */
  serviceUrlOverrides: 'STEPFLOW_SERVICE_URLS',
  /** Status function (optional): the true dependency graph for `?format=mermaid` (lambdas/graph). */
  workflowGraph: 'WORKFLOW_GRAPH',
  /** Status function: JSON list of output paths the status may show (`api.status_output`), default none. */
  statusOutput: 'STATUS_OUTPUT',
  /**
   * Step functions: JSON of the step's service's circuit breaker settings
   * (`{failure_threshold, window_seconds, cool_down_seconds, max_outage_seconds}`), or `off`.
   */
  circuitBreaker: 'CIRCUIT_BREAKER',
  powertoolsServiceName: 'POWERTOOLS_SERVICE_NAME',
  powertoolsMetricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  powertoolsLogLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;

/**
 * Reserved variables the Lambda runtime sets (the offline runtime's adapter sets them too); the
 * handlers read them, nobody writes them.
 */
export const LAMBDA_ENV = {
  /** The function's name: the prefix of its step idempotency records. */
  functionName: 'AWS_LAMBDA_FUNCTION_NAME',
  region: 'AWS_REGION',
  /** What ad-hoc runs outside Lambda usually set instead of `AWS_REGION`. */
  defaultRegion: 'AWS_DEFAULT_REGION',
} as const;

// ---------------------------------------------------------------------------------------------
// Template metadata: written by the stack on each resource, read by the offline runtime.
// ---------------------------------------------------------------------------------------------

/** Template metadata keys (docs/architecture.md, "Template metadata"). */
export const METADATA = {
  /** On every function: repo-relative handler module, e.g. `lambdas/steps/user_registration/create-user-account.ts`. */
  entry: 'Stepflow:Entry',
  /** On every function: the handler's export name. */
  handler: 'Stepflow:Handler',
  /** On step functions: the step name. */
  step: 'Stepflow:Step',
  /** On the state machine: the workflow name. */
  workflow: 'Stepflow:Workflow',
} as const;

// ---------------------------------------------------------------------------------------------
// The step payload: the Task `Parameters` the compiler emits, the event a step handler receives.
// ---------------------------------------------------------------------------------------------

/**
 * A declarative HTTP step's request (`handler_config.request`), after Step Functions resolved the
 * `.$` keys: the built-in HTTP step handler sends it through the shared HTTP policy.
 */
export interface HttpStepRequest {
  /** One of {@link HTTP_STEP_METHODS}. */
  readonly method: string;
  /** Path under the service's base URL, starting with `/`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, unknown>>;
  readonly body?: unknown;
}

/** The methods a declarative HTTP step may use (`handler_config.request.method`). */
export const HTTP_STEP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * Header names (lower case) a declarative HTTP step's `request.headers` may not set: the two the
 * step runtime derives on every call (overriding them would break tracing and exactly-once), the
 * ones the service client computes (Host, Content-Length), and the hop-by-hop ones it refuses
 * (RFC 9110 §7.6.1) plus Expect. The handler refuses them with `INVALID_REQUEST`; the compiler can refuse
 * the static ones at synth.
 */
export const HTTP_STEP_RESERVED_HEADERS = [
  'x-correlation-id',
  'idempotency-key',
  'host',
  'content-length',
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'transfer-encoding',
  'upgrade',
  'expect',
] as const;

/** A declarative HTTP step's result at `$.steps.<step>`. */
export interface HttpStepResult {
  /** The service's HTTP status (always 2xx: any other status fails the step). */
  readonly status: number;
  /** The response JSON, or null when the body was empty or not JSON. */
  readonly body: unknown;
  readonly correlation_id: string;
}

/** The payload Step Functions sends each step Lambda. */
export interface StepPayload<State = unknown> {
  readonly workflow: string;
  readonly step: string;
  /** `$$.State.RetryCount`: 0 on the first try. */
  readonly attempt: number;
  /** `$$.Execution.Id`. */
  readonly execution_id?: string | undefined;
  /** The whole state document (`$`): execution input plus `steps.<name>` results. */
  readonly state: State;
  /** Declarative HTTP steps only. */
  readonly request?: HttpStepRequest | undefined;
}

/**
 * The Task `Parameters` of a step (ASL JSONPath: keys ending in `.$` are resolved by Step
 * Functions). `request` is the HTTP step's request template, its `.$` keys kept as written.
 */
export function stepPayloadTemplate(
  workflow: string,
  step: string,
  request?: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return {
    workflow,
    step,
    'attempt.$': '$$.State.RetryCount',
    'execution_id.$': '$$.Execution.Id',
    'state.$': '$',
    ...(request === undefined ? {} : { request }),
  };
}

/**
 * Step Functions' limit on an execution's input and on the state passed between states (256 KB):
 * the start API refuses a larger input, the HTTP step a larger result.
 */
export const STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES = 262_144;

/** The module of the built-in declarative HTTP step handler (repo-relative). */
export const HTTP_STEP_ENTRY = 'lambdas/runtime/http-step.ts';

// ---------------------------------------------------------------------------------------------
// State names the compiler adds beside a step's own state (step names are identifiers, so a
// name with a space never clashes with a step). Each suffix keeps a 64-character step name within
// ASL's 80 characters.
// ---------------------------------------------------------------------------------------------

export const STATE_SUFFIX = {
  /** `on_failure: continue`: the Pass state that stores the fallback. */
  fallback: ' (fallback)',
  /** `on_failure: await_operator`: the `.waitForTaskToken` Task that waits for an operator. */
  operator: ' (operator)',
  /** The step's compensation (`compensate:`), in the compensation chain. */
  undo: ' (undo)',
  /** Where a compensation that finally failed is recorded, before the chain goes on. */
  undoFailed: ' (undo failed)',
  /** Inside a Parallel branch: records a compensating failure so the sibling results survive. */
  failed: ' (failed)',
} as const;

/** The Fail state ending a compensated execution with the original error and cause. */
export const COMPENSATED_FAIL_STATE = 'Failed after compensation';

/** The `step` a compensation's payload carries: its own idempotency key, distinct from the step's. */
export function undoStepId(step: string): string {
  return `${step}:undo`;
}

/**
 * Step Functions' execution statuses: what ListExecutions filters on, what an EventBridge
 * "Step Functions Execution Status Change" event carries (`notifications[].on`), what
 * `stepflow list --status` and the console's filters accept.
 */
export const EXECUTION_STATUSES = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
] as const;

/** A step's status in the status document (lambdas/api/execution-steps.ts) and the console. */
export const STEP_STATUSES = [
  'pending',
  'running',
  'retrying',
  'succeeded',
  'failed',
  'fallback',
  'cancelled',
  'awaiting_operator',
  'compensated',
  'compensation_failed',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

// ---------------------------------------------------------------------------------------------
// Table keys: one table per workflow (pk/sk, TTL `expires_at`); each role is scoped to its own
// partition-key prefixes (IAM `dynamodb:LeadingKeys`), so the prefixes are a contract.
// ---------------------------------------------------------------------------------------------

export const KEY_PREFIX = {
  /** API Idempotency-Key -> correlation ID, request hash, response (sk `REQUEST`). Start function. */
  idempotency: 'IDEMPOTENCY#',
  /** Correlation ID -> execution ARN, request hash, owner, status token hash (sk `EXECUTION`). */
  correlation: 'CORRELATION#',
  /** `OPERATOR#<correlation ID>` / `STEP#<step>`: the task token of a step awaiting an operator. */
  operator: 'OPERATOR#',
  /** `BREAKER#<service>` / `STATE`: a service's shared circuit breaker. */
  breaker: 'BREAKER#',
  /** Powertools step idempotency: `idempotency#<function name>` (Powertools' own prefix). */
  stepRecord: 'idempotency#',
} as const;

// ---------------------------------------------------------------------------------------------
// Operating executions: `on_failure: await_operator` and the operator routes.
// ---------------------------------------------------------------------------------------------

/** The built-in Lambda of `await_operator` steps: stores the task token under (correlation ID, step). */
export const OPERATOR_ENTRY = 'lambdas/runtime/await-operator.ts';

/** What the operator Lambda receives (the `.waitForTaskToken` Task's Payload). */
export interface OperatorPayload {
  readonly workflow: string;
  readonly step: string;
  readonly correlation_id: string;
  readonly task_token: string;
  /** The step's final error, as its Catch recorded it (`$.errors.<step>`). */
  readonly error: { readonly Error?: string; readonly Cause?: string };
  readonly execution_id: string;
}

/** The Payload template of an operator Task (keys ending in `.$` resolved by Step Functions). */
export function operatorPayloadTemplate(workflow: string, step: string): Record<string, unknown> {
  return {
    workflow,
    step,
    'correlation_id.$': '$.correlation_id',
    'task_token.$': '$$.Task.Token',
    'error.$': `$.errors.${step}`,
    'execution_id.$': '$$.Execution.Id',
  };
}

/** Marks a step result an operator supplied (`resolve`): `{...result, resolved_manually: true}`. */
export const RESOLVED_MANUALLY = 'resolved_manually';

/**
 * The operator routes under `/<resource>` (all with the API's IAM authorization):
 * `GET /<resource>?status=&limit=&next_token=` lists executions.
 */
export const OPERATION_PATHS = {
  stop: '{correlation_id}/stop',
  redrive: '{correlation_id}/redrive',
  resolve: '{correlation_id}/steps/{step}/resolve',
  fail: '{correlation_id}/steps/{step}/fail',
} as const;

/** Query parameter carrying the unguessable status token of `status_url`. */
export const STATUS_TOKEN_PARAM = 'token';

// --- w3-compiler --- (additions by this part only; keep this marker)

/**
 * Where a compensating failure is recorded once caught: `$.steps._failure` = `{ step, error }`
 * (`error` is the Catch's `{Error, Cause}`). It travels with the step results through Parallel
 * merges, the compensation chain reads nothing else, and COMPENSATED_FAIL_STATE ends with its
 * Error and Cause. Step names start with a letter, so the key never clashes with one.
 */
export const COMPENSATION_FAILURE_KEY = '_failure';

/** More state names the compiler adds (names with a space never clash with a step). */
export const COMPILER_STATE_SUFFIX = {
  /** The Choice before a step's undo Task: undo only a step whose result is present. */
  undoChoice: ' (undo?)',
  /** After a Parallel: the Choice that sends a recorded failure on to compensation. */
  anyFailed: ' (any failed?)',
  /** Inside a branch, after a nested Parallel with a recorded failure: ends the branch. */
  branchFailed: ' (branch failed)',
} as const;

/** Ends a compensating workflow whose last state is a Parallel (its failure Choice needs a Default). */
export const SUCCEEDED_STATE = 'Workflow succeeded';

// --- end w3-compiler ---

// --- w3-runtime-lambdas --- (additions by this part only; keep this marker)

/** Environment variables of the operator function (OPERATOR_ENTRY), besides `TABLE_NAME`. */
export const OPERATOR_ENV = {
  /**
   * The longest `operator_timeout_seconds` of the workflow's `await_operator` steps: how long a
   * stored task token is kept (`expires_at`). @default DEFAULTS.operatorTimeoutSeconds
   */
  timeoutSeconds: 'OPERATOR_TIMEOUT_SECONDS',
} as const;

/** The key of a step's task token record: pk `OPERATOR#<correlation ID>`, sk `STEP#<step>`. */
export function operatorRecordKey(correlationId: string, step: string): { pk: string; sk: string } {
  return { pk: `${KEY_PREFIX.operator}${correlationId}`, sk: `STEP#${step}` };
}

/**
 * The task token record the operator function writes (attribute names as stored) and the
 * operate routes read to SendTaskSuccess/SendTaskFailure. One per (correlation ID, step): a
 * redriven wait overwrites it with its new token.
 */
export interface OperatorRecord {
  readonly pk: string;
  readonly sk: string;
  readonly task_token: string;
  readonly error: { readonly Error?: string; readonly Cause?: string };
  readonly workflow: string;
  readonly step: string;
  readonly execution_id: string;
  /** Epoch milliseconds the wait started. */
  readonly created_at: number;
  /** Epoch seconds (the table's TTL attribute) after which the token is no use. */
  readonly expires_at: number;
}

/** The pk/sk of a service's shared circuit breaker: `BREAKER#<service>` / `STATE`. */
export function breakerRecordKey(service: string): { pk: string; sk: string } {
  return { pk: `${KEY_PREFIX.breaker}${service}`, sk: 'STATE' };
}

/** The states of a circuit breaker (lambdas/runtime/circuit-breaker.ts, docs/circuit-breaker.md). */
export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

/** The EMF metric of a breaker transition (dimensions `service` and `state`, the new state). */
export const BREAKER_TRANSITION_METRIC = 'circuit_breaker_transition';

/** The metric names the step runtime emits itself, whatever the workflow's `custom_events` say. */
export const BUILT_IN_STEP_METRICS = [
  'service_call_started',
  'service_call_completed',
  'service_call_failed',
] as const;

// --- end w3-runtime-lambdas ---

// --- w3-api --- (additions by this part only; keep this marker)

/** `GET /<resource>?status=`: the Step Functions statuses a list may filter on (anything else is a 400). */
export const LIST_STATUS_FILTERS = EXECUTION_STATUSES;

/** Query parameters and bounds of `GET /<resource>` (the list route). */
export const LIST_QUERY = {
  status: 'status',
  limit: 'limit',
  nextToken: 'next_token',
  /** `limit` when absent. */
  defaultLimit: 20,
  /** `limit` must be an integer 1..maxLimit (ListExecutions' own page limit is 1000). */
  maxLimit: 100,
} as const;

/** One execution in the list route's answer; `correlation_id` is the execution's name. */
export interface ExecutionListItem {
  readonly correlation_id: string;
  readonly execution_arn: string;
  readonly status: string;
  readonly started_at: string | null;
  readonly stopped_at: string | null;
  readonly redrive_count: number;
}

/** The list route's body: newest first; pass `next_token` back for the next page. */
export interface ExecutionList {
  readonly executions: readonly ExecutionListItem[];
  readonly next_token?: string;
}

/** `POST .../{correlation_id}/stop` body (optional, may be empty): StopExecution's error and cause. */
export interface StopExecutionRequest {
  /** At most 256 characters. */
  readonly error?: string;
  /** At most 32,768 characters. */
  readonly cause?: string;
}

/** `POST .../steps/{step}/resolve` body: the step's result, a JSON object. */
export interface ResolveStepRequest {
  readonly result: Readonly<Record<string, unknown>>;
}

/** `POST .../steps/{step}/fail` body: the error (required) and cause the operator Task fails with. */
export interface FailStepRequest {
  /** At most 256 characters. */
  readonly error: string;
  /** At most 32,768 characters. */
  readonly cause?: string;
}

/** `reason` of a 409 from the operator routes. */
export const OPERATION_CONFLICTS = {
  /** stop: the execution has already closed. */
  notRunning: 'not_running',
  /** redrive: Step Functions refused (ExecutionNotRedrivable); `message` carries AWS's reason. */
  notRedrivable: 'not_redrivable',
  /** redrive: the execution ended in COMPENSATED_FAIL_STATE: its work was undone, start a new one. */
  compensated: 'compensated',
  /** resolve/fail: the step is not waiting for an operator (no OPERATOR# record, or its task ended). */
  notAwaitingOperator: 'not_awaiting_operator',
} as const;

/**
 * `outcome` of the status document: `held_for_redrive` is FAILED without compensation (redrivable
 * once the cause is fixed), `compensated` ended in COMPENSATED_FAIL_STATE, `failed` is FAILED and
 * no longer redrivable.
 */
export const EXECUTION_OUTCOMES = [
  'running',
  'succeeded',
  'compensated',
  'held_for_redrive',
  'failed',
  'timed_out',
  'aborted',
] as const;
export type ExecutionOutcome = (typeof EXECUTION_OUTCOMES)[number];

/** Environment variables of the API functions added by this part. */
export const API_ENV = {
  /**
   * Start function (optional): repo-relative or absolute path of an ESM module generated at synth
   * by `generateValidatorModule` (lambdas/api/standalone-validator.ts); when set it replaces
   * compiling `WORKFLOW_SCHEMA` with ajv on the first request.
   */
  validatorModule: 'WORKFLOW_VALIDATOR_MODULE',
} as const;

// --- end w3-api ---

// --- w3-stack --- (additions by this part only; keep this marker)

/**
 * Declarative HTTP steps sharing one function (a workflow too large for a function per step,
 * issue 14 §4). The shared function's environment has this variable set to `true` and none of
 * the per-step variables; each Task's payload carries its step's variables instead, under
 * {@link STEP_CONFIG_PAYLOAD_KEY}, so the handler reads its configuration from
 * `{ ...process.env, ...payload.config }` (e.g. `readStepConfig(undefined, thatEnv)`).
 */
export const SHARED_HTTP_STEPS_ENV = 'SHARED_HTTP_STEPS';

/** The payload key of a shared function's per-step variables (ENV name -> value, as strings). */
export const STEP_CONFIG_PAYLOAD_KEY = 'config';

/**
 * The Task `Parameters` of a step on a shared function: {@link stepPayloadTemplate} plus the
 * step's own environment variables under {@link STEP_CONFIG_PAYLOAD_KEY}.
 */
export function sharedStepPayloadTemplate(
  workflow: string,
  step: string,
  request: Readonly<Record<string, unknown>> | undefined,
  config: Readonly<Record<string, string>>,
): Record<string, unknown> {
  return { ...stepPayloadTemplate(workflow, step, request), [STEP_CONFIG_PAYLOAD_KEY]: { ...config } };
}

// --- end w3-stack ---

// --- w3-local --- (additions by this part only; keep this marker)

/**
 * `requestContext.identity.userArn` the local API gives every request (it has no IAM: every
 * caller is this one principal), unless `npm start -- --require-status-token` made callers
 * anonymous (null).
 */
export const LOCAL_CALLER_ARN = 'arn:aws:iam::000000000000:user/local';

/** EventBridge `detail-type` of Step Functions' execution status events (local sink and rules). */
export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';

// --- end w3-local ---

// --- w3-cli --- (additions by this part only; keep this marker)

// --- end w3-cli ---

// --- w3-proofs --- (additions by this part only; keep this marker)

// --- end w3-proofs ---

// --- w3-yaml --- (additions by this part only; keep this marker)

// --- end w3-yaml ---

// --- w3-perf --- (additions by this part only; keep this marker)

// --- end w3-perf ---

// --- w4-retry --- (additions by this part only; keep this marker)

/**
 * The values Step Functions gives a Retrier field it omits (Amazon States Language, "Retrying after
 * an error"). The compiler leaves out every field equal to its default, which keeps the definition
 * small (issue 14's size target), and the local engine fills the same defaults back in.
 */
export const ASL_RETRIER_DEFAULTS = {
  IntervalSeconds: 1,
  MaxAttempts: 3,
  BackoffRate: 2,
  JitterStrategy: 'NONE',
} as const;

/**
 * What the Node.js Lambda runtime reports for an exception thrown outside the handler's promise
 * chain (a timer, an event listener): the error's own name, not a `Runtime.*` one, and then the
 * process exits (status 129). The step runtime gives every error it lets out a name of its own
 * (`RetryableError`, `PermanentError`, ...), so a step failing with one of these built-in names
 * died of an uncaught exception: the compiler retries them with the crash errors. An uncaught
 * error of another class keeps its class name, which no Retrier lists.
 */
export const UNCAUGHT_EXCEPTION_ERRORS = [
  'Error',
  'TypeError',
  'RangeError',
  'ReferenceError',
  'SyntaxError',
] as const;

// --- end w4-retry ---
