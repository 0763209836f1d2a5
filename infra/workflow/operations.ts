/**
 * Workflow fields for operating a deployed workflow: `circuit_breaker`, `compensate_on`,
 * `deployment`, `alarms`, `notifications` and `api.status_output`. zod (schema.ts) checks their
 * types; this module checks what zod cannot (fields that only make sense together, ARNs, step
 * names in paths), each problem at its own `file:line`, and resolves them to the typed settings
 * the stack reads (types.ts). docs/operate-yaml.md describes the format.
 */
import { circuitBreakerProblems } from './circuit-breaker.ts';
import { type Diagnostic, didYouMean } from './diagnostics.ts';
import type { RawWorkflow } from './schema.ts';
import type { AlarmSettings, AlarmThreshold, DeploymentSpec, NotificationSpec } from './types.ts';
import type { PathSegment, YamlSource } from './yaml-source.ts';
import { describe } from './zod-diagnostics.ts';

/** Percentage and interval of CANARY and LINEAR when the file (or `-c deployment=`) gives none. */
export const DEPLOYMENT_DEFAULTS = { percentage: 10, intervalMinutes: 5 } as const;

/** Every alarm `alarms:` can tune: YAML key -> AlarmSettings field. */
export const ALARM_FIELDS = {
  executions_failed: 'executionsFailed',
  executions_timed_out: 'executionsTimedOut',
  executions_aborted: 'executionsAborted',
  execution_throttled: 'executionThrottled',
  step_errors: 'stepErrors',
  step_throttles: 'stepThrottles',
} as const;

/** Each alarm's default: one occurrence within 300 s. */
export const ALARM_DEFAULT: AlarmThreshold = { threshold: 1, periodSeconds: 300 };

/** The ARN a notification target of each kind needs: `arn:<partition>:<service>:<region>:<account>:<resource>`. */
const TARGET_ARNS = {
  sns: {
    service: 'sns',
    resource: /^[A-Za-z0-9_-]{1,256}(\.fifo)?$/,
    example: 'arn:aws:sns:us-east-1:123456789012:alerts',
  },
  sqs: {
    service: 'sqs',
    resource: /^[A-Za-z0-9_-]{1,80}(\.fifo)?$/,
    example: 'arn:aws:sqs:us-east-1:123456789012:alerts',
  },
  lambda: {
    service: 'lambda',
    resource: /^function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$/,
    example: 'arn:aws:lambda:us-east-1:123456789012:function:on-failure',
  },
  event_bus: {
    service: 'events',
    resource: /^event-bus\/[A-Za-z0-9._\-/]{1,256}$/,
    example: 'arn:aws:events:us-east-1:123456789012:event-bus/ops',
  },
} as const;
type TargetKind = keyof typeof TARGET_ARNS;
const TARGET_KINDS = Object.keys(TARGET_ARNS) as TargetKind[];

const ARN = /^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]+):(\d{12}):(.+)$/;
/** An email address as SNS accepts one for a subscription (a pragmatic check, not RFC 5322). */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** A CloudWatch alarm period: 10, 20, 30 or a multiple of 60 seconds, up to a day. */
function periodProblem(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) {
    if ([10, 20, 30].includes(value) || (value % 60 === 0 && value >= 60 && value <= 86_400))
      return undefined;
  }
  return `must be 10, 20, 30 or a multiple of 60 up to 86400 seconds, got ${describe(value)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Step names of the raw data, for `api.status_output` paths. */
function stepNames(data: Record<string, unknown>): string[] {
  if (!Array.isArray(data.step_templates)) return [];
  return data.step_templates.flatMap((s) => (isRecord(s) && typeof s.name === 'string' ? [s.name] : []));
}

/** Every problem of the workflow-level operating fields. */
export function operationsDiagnostics(
  data: Record<string, unknown>,
  source: YamlSource,
  file: string,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const at = (path: PathSegment[], message: string, key = false): void => {
    diagnostics.push({ file, line: source.lineOf(path, key), message });
  };
  if (data.circuit_breaker !== undefined) {
    for (const [path, message] of circuitBreakerProblems(data.circuit_breaker, 'circuit_breaker'))
      at(['circuit_breaker', ...path], message, path.length > 0);
  }
  const on = data.compensate_on;
  const valid = Array.isArray(on) && on.length > 0 && on.every((v) => v === 'permanent' || v === 'exhausted');
  if (valid && !on.includes('permanent')) {
    at(
      ['compensate_on'],
      'compensate_on must list permanent (a permanent failure always compensates): [permanent] or [permanent, exhausted]',
    );
  }
  if (isRecord(data.deployment)) deploymentProblems(data.deployment, at);
  if (data.alarms !== undefined) alarmProblems(data.alarms, at);
  if (Array.isArray(data.notifications)) {
    data.notifications.forEach((entry, i) => {
      if (isRecord(entry)) notificationProblems(entry, ['notifications', i], at);
    });
  }
  const statusOutput = isRecord(data.api) ? data.api.status_output : undefined;
  if (Array.isArray(statusOutput)) {
    const steps = stepNames(data);
    statusOutput.forEach((path, i) => {
      if (typeof path !== 'string') return;
      const problem = statusOutputProblem(path, steps);
      if (problem) at(['api', 'status_output', i], `api.status_output[${i}] ${problem}`);
    });
  }
  return diagnostics;
}

type At = (path: PathSegment[], message: string, key?: boolean) => void;

function deploymentProblems(deployment: Record<string, unknown>, at: At): void {
  if (deployment.type !== 'ALL_AT_ONCE') return;
  for (const key of ['percentage', 'interval_minutes']) {
    if (key in deployment) {
      at(
        ['deployment', key],
        `deployment.${key} is only used with type CANARY or LINEAR (remove it, or change deployment.type)`,
        true,
      );
    }
  }
}

function alarmProblems(alarms: unknown, at: At): void {
  if (typeof alarms === 'boolean') return;
  if (!isRecord(alarms)) {
    at(
      ['alarms'],
      `alarms must be true, false or a mapping (topic_email, ${Object.keys(ALARM_FIELDS).join(', ')}), got ${describe(alarms)}`,
    );
    return;
  }
  const known = ['topic_email', ...Object.keys(ALARM_FIELDS)];
  for (const [key, value] of Object.entries(alarms)) {
    const here: PathSegment[] = ['alarms', key];
    if (key === 'topic_email') {
      if (typeof value !== 'string' || !EMAIL.test(value))
        at(here, `alarms.topic_email must be an email address, got ${describe(value)}`);
    } else if (Object.hasOwn(ALARM_FIELDS, key)) {
      thresholdProblems(value, here, `alarms.${key}`, at);
    } else {
      at(here, `unknown field 'alarms.${key}'${didYouMean(key, known)}`, true);
    }
  }
}

function thresholdProblems(value: unknown, here: PathSegment[], label: string, at: At): void {
  if (!isRecord(value)) {
    at(here, `${label} must be a mapping with threshold and period_seconds, got ${describe(value)}`);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (key === 'threshold') {
      if (!(Number.isInteger(v) && Number(v) >= 1 && Number(v) <= 1_000_000))
        at([...here, key], `${label}.threshold must be an integer from 1 to 1000000, got ${describe(v)}`);
    } else if (key === 'period_seconds') {
      const problem = periodProblem(v);
      if (problem) at([...here, key], `${label}.period_seconds ${problem}`);
    } else {
      at(
        [...here, key],
        `unknown field '${label}.${key}'${didYouMean(key, ['threshold', 'period_seconds'])}`,
        true,
      );
    }
  }
}

function notificationProblems(entry: Record<string, unknown>, base: PathSegment[], at: At): void {
  const label = `notifications[${base[1]}]`;
  if (Array.isArray(entry.on)) {
    const seen = new Set<unknown>();
    entry.on.forEach((status, i) => {
      if (seen.has(status))
        at([...base, 'on', i], `${label}.on lists ${describe(status)} twice (remove one)`);
      seen.add(status);
    });
  }
  const { target } = entry;
  if (!isRecord(target)) return;
  const kinds = TARGET_KINDS.filter((kind) => kind in target);
  if (kinds.length !== 1) {
    at(
      [...base, 'target'],
      `${label}.target must name exactly one of ${TARGET_KINDS.join(', ')}, got ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`,
    );
    return;
  }
  const kind = kinds[0] as TargetKind;
  const arn = target[kind];
  if (typeof arn !== 'string') return;
  const rule = TARGET_ARNS[kind];
  const parts = ARN.exec(arn);
  if (parts === null || parts[2] !== rule.service || !rule.resource.test(parts[5] ?? '')) {
    at(
      [...base, 'target', kind],
      `${label}.target.${kind} must be ${kind === 'event_bus' ? 'an event bus' : `a ${kind}`} ARN such as ${rule.example}, got '${arn}'`,
    );
  }
}

/** A status output path: `steps.<known step>` and optional `.field` parts (identifiers). */
function statusOutputProblem(path: string, steps: readonly string[]): string | undefined {
  const parts = path.split('.');
  if (parts[0] !== 'steps' || parts.length < 2) {
    return `must be a path into a step's result starting with steps., e.g. steps.${steps[0] ?? 'my_step'}.id, got '${path}'`;
  }
  const step = parts[1] ?? '';
  if (!steps.includes(step)) return `names unknown step '${step}'${didYouMean(step, steps)}`;
  const bad = parts.slice(2).find((p) => !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(p));
  if (bad !== undefined)
    return `has an invalid field name '${bad}' in '${path}' (use letters, digits, _ and -)`;
  return undefined;
}

/** `deployment:` resolved (CANARY and LINEAR get the default percentage and interval). */
export function resolveDeployment(
  type: DeploymentSpec['type'],
  line: number,
  percentage?: number,
  intervalMinutes?: number,
): DeploymentSpec {
  if (type === 'ALL_AT_ONCE') return { type, line };
  return {
    type,
    percentage: percentage ?? DEPLOYMENT_DEFAULTS.percentage,
    intervalMinutes: intervalMinutes ?? DEPLOYMENT_DEFAULTS.intervalMinutes,
    line,
  };
}

/** The typed operating settings of a file the checks accepted. */
export function resolveOperations(
  raw: RawWorkflow,
  source: YamlSource,
): {
  deployment: DeploymentSpec;
  alarms?: AlarmSettings;
  notifications: NotificationSpec[];
  compensateOn: ('permanent' | 'exhausted')[];
} {
  const d = raw.deployment;
  const deployment =
    d === undefined
      ? resolveDeployment('ALL_AT_ONCE', source.lineOf(['name']))
      : resolveDeployment(d.type, source.lineOf(['deployment'], true), d.percentage, d.interval_minutes);
  const notifications = (raw.notifications ?? []).map((n, i): NotificationSpec => {
    const { sns, sqs, lambda, event_bus: eventBus } = n.target;
    return {
      on: [...new Set(n.on)],
      target: {
        ...(sns === undefined ? {} : { sns }),
        ...(sqs === undefined ? {} : { sqs }),
        ...(lambda === undefined ? {} : { lambda }),
        ...(eventBus === undefined ? {} : { eventBus }),
      },
      line: source.lineOf(['notifications', i]),
    };
  });
  const out: ReturnType<typeof resolveOperations> = {
    deployment,
    notifications,
    compensateOn: [...new Set<'permanent' | 'exhausted'>(raw.compensate_on ?? ['permanent'])],
  };
  const alarms = resolveAlarms(raw.alarms, source);
  if (alarms !== undefined) out.alarms = alarms;
  return out;
}

function resolveAlarms(value: unknown, source: YamlSource): AlarmSettings | undefined {
  if (value === undefined || value === false) return undefined;
  const given = isRecord(value) ? value : {};
  const settings: Record<string, unknown> = { line: source.lineOf(['alarms'], true) };
  for (const [key, field] of Object.entries(ALARM_FIELDS)) {
    const v = given[key];
    const t = isRecord(v) ? v : {};
    settings[field] = {
      threshold: typeof t.threshold === 'number' ? t.threshold : ALARM_DEFAULT.threshold,
      periodSeconds: typeof t.period_seconds === 'number' ? t.period_seconds : ALARM_DEFAULT.periodSeconds,
    };
  }
  if (typeof given.topic_email === 'string') settings.topicEmail = given.topic_email;
  return settings as unknown as AlarmSettings;
}
