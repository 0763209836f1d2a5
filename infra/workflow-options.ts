/**
 * What the stack reads from the analysed workflow beyond steps and schema: `deployment`, `alarms`,
 * `notifications`, `api.status_output`, the circuit breaker of each step, `on_failure:
 * await_operator` and `compensate:` (shared brief, "Agreed design"). The compiler parses and
 * validates these fields with `file:line` diagnostics; this module only turns what it exposes into
 * the settings the stack builds from, applying the defaults, and accepts the YAML's snake_case
 * names as well as their camelCase spelling so the stack does not depend on how the spec maps
 * them.
 */
import { DEFAULTS } from '../lambdas/contracts.ts';
import { defaultHandlerPath, type StepSpec, type WorkflowSpec } from './workflow/index.ts';

/** How the alias `live` moves to a new state machine version. */
export const DEPLOYMENT_TYPES = ['ALL_AT_ONCE', 'CANARY', 'LINEAR'] as const;
export type DeploymentType = (typeof DEPLOYMENT_TYPES)[number];

/** The alias's DeploymentPreference. */
export interface DeploymentSettings {
  readonly type: DeploymentType;
  /** Traffic shifted per increment (CANARY: the canary's share; LINEAR: each step). */
  readonly percentage?: number;
  /** Minutes between increments. */
  readonly intervalMinutes?: number;
}

/** Percentage and interval of a gradual deployment that names neither. */
export const DEPLOYMENT_DEFAULTS = { percentage: 10, intervalMinutes: 5 } as const;

/** The alarms `alarms:` creates; each has a threshold and a period. */
export const ALARM_KINDS = [
  'executions_failed',
  'executions_timed_out',
  'executions_aborted',
  'execution_throttled',
  'step_errors',
  'step_throttles',
] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

/** An alarm fires when the metric's sum over `periodSeconds` reaches `threshold`. */
export interface AlarmThreshold {
  readonly threshold: number;
  readonly periodSeconds: number;
}

/** Default of every alarm: one occurrence in five minutes. */
export const ALARM_DEFAULT: AlarmThreshold = { threshold: 1, periodSeconds: 300 };

/** `alarms: true | {...}` after defaults. */
export interface AlarmSettings {
  /** Subscribed to the alarm topic (email protocol) when given. */
  readonly topicEmail?: string;
  readonly thresholds: Readonly<Record<AlarmKind, AlarmThreshold>>;
}

/** Where a notification goes: exactly one ARN. */
export interface NotificationTarget {
  readonly sns?: string;
  readonly sqs?: string;
  readonly lambda?: string;
  readonly eventBus?: string;
}

/** One `notifications:` entry. */
export interface NotificationSettings {
  readonly on: readonly string[];
  readonly target: NotificationTarget;
}

/** A step's shared circuit breaker settings as the handler reads them (ENV.circuitBreaker). */
export interface CircuitBreakerSettings {
  readonly failure_threshold: number;
  readonly window_seconds: number;
  readonly cool_down_seconds: number;
  readonly max_outage_seconds: number;
}

/** A step's `compensate:`: a declarative request (built-in HTTP step) or a handler module. */
export type CompensationSettings =
  | { readonly kind: 'request'; readonly request: Record<string, unknown> }
  | { readonly kind: 'handler'; readonly handlerPath: string; readonly handlerClass?: string };

type Loose = Record<string, unknown>;

/** `record[snake]`, else `record[camel]`. */
function field(record: unknown, snake: string, camel = toCamel(snake)): unknown {
  if (record === null || typeof record !== 'object') return undefined;
  const value = (record as Loose)[snake];
  return value !== undefined ? value : (record as Loose)[camel];
}

function toCamel(snake: string): string {
  return snake.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * The deployment preference: `-c deployment=...` (with `deploymentPercentage`,
 * `deploymentIntervalMinutes`) over the YAML's `deployment:`, else ALL_AT_ONCE. CANARY and LINEAR
 * get {@link DEPLOYMENT_DEFAULTS} for what neither names.
 *
 * @throws Error naming the value when the type is not one of {@link DEPLOYMENT_TYPES}
 */
export function deploymentOf(
  spec: WorkflowSpec,
  override: Partial<DeploymentSettings> = {},
): DeploymentSettings {
  const written = field(spec, 'deployment');
  const rawType = override.type ?? field(written, 'type') ?? 'ALL_AT_ONCE';
  const type = String(rawType).toUpperCase();
  if (!(DEPLOYMENT_TYPES as readonly string[]).includes(type)) {
    throw new Error(
      `${spec.file}: deployment type ${JSON.stringify(rawType)} is not valid; use ${DEPLOYMENT_TYPES.join(', ')}`,
    );
  }
  if (type === 'ALL_AT_ONCE') return { type };
  return {
    type: type as DeploymentType,
    percentage:
      override.percentage ?? optionalNumber(field(written, 'percentage')) ?? DEPLOYMENT_DEFAULTS.percentage,
    intervalMinutes:
      override.intervalMinutes ??
      optionalNumber(field(written, 'interval_minutes')) ??
      DEPLOYMENT_DEFAULTS.intervalMinutes,
  };
}

/** `alarms:` after defaults, or undefined when the workflow asks for none (`alarms: false` or absent). */
export function alarmsOf(spec: WorkflowSpec): AlarmSettings | undefined {
  const written = field(spec, 'alarms');
  if (written === undefined || written === null || written === false) return undefined;
  const settings = typeof written === 'object' ? written : {};
  const thresholds = Object.fromEntries(
    ALARM_KINDS.map((kind) => {
      const own = field(settings, kind);
      return [
        kind,
        {
          threshold: numberOr(field(own, 'threshold'), ALARM_DEFAULT.threshold),
          periodSeconds: numberOr(field(own, 'period_seconds'), ALARM_DEFAULT.periodSeconds),
        },
      ];
    }),
  ) as Record<AlarmKind, AlarmThreshold>;
  const email = field(settings, 'topic_email');
  return { thresholds, ...(typeof email === 'string' ? { topicEmail: email } : {}) };
}

/** `notifications:` entries (statuses upper-cased), `[]` when absent. */
export function notificationsOf(spec: WorkflowSpec): NotificationSettings[] {
  const written = field(spec, 'notifications');
  if (!Array.isArray(written)) return [];
  return written.map((entry) => {
    const on = field(entry, 'on');
    const target = field(entry, 'target');
    const pick = (snake: string): Partial<Record<keyof NotificationTarget, string>> => {
      const value = field(target, snake);
      return typeof value === 'string' ? { [toCamel(snake)]: value } : {};
    };
    return {
      on: (Array.isArray(on) ? on : []).map((status) => String(status).toUpperCase()),
      target: { ...pick('sns'), ...pick('sqs'), ...pick('lambda'), ...pick('event_bus') },
    };
  });
}

/** `api.status_output`: output paths the status document may show, `[]` when absent. */
export function statusOutputOf(spec: WorkflowSpec): string[] {
  const paths = field(spec.api, 'status_output');
  return Array.isArray(paths) ? paths.map(String) : [];
}

/**
 * A step's circuit breaker: `handler_config.circuit_breaker` (`off`, or settings over the
 * workflow's) over the workflow's `circuit_breaker:` over DEFAULTS.circuitBreaker. The compiler's
 * merged value on the step (`circuitBreaker`) wins when it exposes one.
 */
export function circuitBreakerOf(spec: WorkflowSpec, step: StepSpec): CircuitBreakerSettings | 'off' {
  const merged = field(step, 'circuit_breaker');
  const own = merged ?? field(step.handlerConfig, 'circuit_breaker');
  if (own === 'off' || own === false) return 'off';
  const workflow = field(spec, 'circuit_breaker');
  const read = (snake: string, fallback: number): number =>
    numberOr(field(own, snake), numberOr(field(workflow, snake), fallback));
  const defaults = DEFAULTS.circuitBreaker;
  return {
    failure_threshold: read('failure_threshold', defaults.failureThreshold),
    window_seconds: read('window_seconds', defaults.windowSeconds),
    cool_down_seconds: read('cool_down_seconds', defaults.coolDownSeconds),
    max_outage_seconds: read('max_outage_seconds', defaults.maxOutageSeconds),
  };
}

/** True when the step's final failure waits for an operator (`on_failure: await_operator`). */
export function awaitsOperator(step: StepSpec): boolean {
  return (step.onFailure as string) === 'await_operator';
}

/**
 * A step's `compensate:`, or undefined. A handler's module is the compiler's resolved path
 * (`handlerPath`/`handler` on the compensation) when it exposes one; else the class's last segment
 * without `Handler`, in kebab-case, in the workflow's step folder
 * (`OrderFulfillment::StepHandlers::UndoChargePaymentHandler` ->
 * `lambdas/steps/order_fulfillment/undo-charge-payment.ts`), like a step's default module.
 */
export function compensationOf(spec: WorkflowSpec, step: StepSpec): CompensationSettings | undefined {
  const written = field(step, 'compensate');
  if (written === undefined || written === null || typeof written !== 'object') return undefined;
  const request = field(written, 'request');
  if (request !== undefined && request !== null && typeof request === 'object') {
    return { kind: 'request', request: request as Record<string, unknown> };
  }
  const handlerClass = field(written, 'handler_class');
  const explicit = field(written, 'handler_path') ?? field(written, 'handler');
  const handlerPath =
    typeof explicit === 'string'
      ? explicit
      : typeof handlerClass === 'string'
        ? classModulePath(spec.name, handlerClass)
        : undefined;
  if (handlerPath === undefined) return undefined;
  return { kind: 'handler', handlerPath, ...(typeof handlerClass === 'string' ? { handlerClass } : {}) };
}

/** `A::B::UndoCreateUserAccountHandler` -> `lambdas/steps/<workflow>/undo-create-user-account.ts`. */
export function classModulePath(workflowName: string, handlerClass: string): string {
  const last = (handlerClass.split('::').at(-1) ?? handlerClass).replace(/Handler$/, '');
  return defaultHandlerPath(workflowName, last);
}
