import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { DEPLOYMENT_TYPES, type DeploymentType } from './workflow-options.ts';
import type { WorkflowStackProps } from './workflow-stack.ts';

/** Stack props that can be set with `-c key=value` or cdk.json "context". */
export type ContextOptions = Pick<
  WorkflowStackProps,
  | 'apiAuthorization'
  | 'throttlingRateLimit'
  | 'throttlingBurstLimit'
  | 'idempotencyTtl'
  | 'logRetention'
  | 'tableRemovalPolicy'
  | 'logLevel'
  | 'deployment'
  | 'startReservedConcurrency'
  | 'shareHttpSteps'
>;

/** Context keys, their meaning and accepted values (also the table in docs/deploy.md). */
export const CONTEXT_KEYS = {
  apiAuthorization: 'IAM (default) or NONE',
  apiThrottleRate: 'stage steady-state requests per second (default 50)',
  apiThrottleBurst: 'stage burst (default 100)',
  idempotencyTtlHours: 'lifetime of deduplication records in hours (default 24)',
  logRetentionDays: 'retention of every log group in days (default 30)',
  tableRemovalPolicy: 'retain (default) or destroy',
  logLevel: 'POWERTOOLS_LOG_LEVEL of every function (default INFO)',
  environment:
    'the Tasker environment whose environments.<env> overrides apply, also appended to the stack names (default: none, the base values)',
  deployment:
    "ALL_AT_ONCE, CANARY or LINEAR: how the alias 'live' moves to a new version (default: the YAML's deployment.type, else ALL_AT_ONCE)",
  deploymentPercentage:
    'traffic per increment of a CANARY or LINEAR deployment, 1-99 (default: the YAML, else 10)',
  deploymentIntervalMinutes: 'minutes between increments, 1-2100 (default: the YAML, else 5)',
  startReservedConcurrency: 'reserved concurrency of the start function, or none (default 50)',
  shareHttpSteps:
    'auto (default: only when a function per step would pass 500 resources), always or never: declarative HTTP steps share one function',
} as const;

/** CloudWatch Logs only accepts these retention periods (days). */
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/**
 * Reads the stack options from CDK context. Values given on the command line arrive as strings,
 * so numbers are parsed here; an invalid value throws an error naming the context key and what
 * it accepts.
 *
 * @example
 * // npx cdk deploy -c apiAuthorization=NONE -c apiThrottleRate=10
 * const options = contextOptions(app.node);
 */
export function contextOptions(node: Node): ContextOptions {
  const read = (key: keyof typeof CONTEXT_KEYS): unknown => node.tryGetContext(key);
  const options: { -readonly [K in keyof ContextOptions]: ContextOptions[K] } = {};

  const auth = read('apiAuthorization');
  if (auth !== undefined) {
    const value = String(auth).toUpperCase();
    if (value !== 'IAM' && value !== 'NONE') fail('apiAuthorization', auth);
    options.apiAuthorization = value;
  }
  const rate = positiveNumber('apiThrottleRate', read('apiThrottleRate'));
  if (rate !== undefined) options.throttlingRateLimit = rate;
  const burst = positiveNumber('apiThrottleBurst', read('apiThrottleBurst'));
  if (burst !== undefined) options.throttlingBurstLimit = Math.round(burst);
  const ttl = positiveNumber('idempotencyTtlHours', read('idempotencyTtlHours'));
  if (ttl !== undefined) options.idempotencyTtl = Duration.minutes(Math.max(1, Math.round(ttl * 60)));
  const retention = positiveNumber('logRetentionDays', read('logRetentionDays'));
  if (retention !== undefined) {
    if (!RETENTION_DAYS.includes(retention)) fail('logRetentionDays', retention, RETENTION_DAYS.join(', '));
    options.logRetention = retention as logs.RetentionDays;
  }
  const removal = read('tableRemovalPolicy');
  if (removal !== undefined) {
    const value = String(removal).toLowerCase();
    if (value !== 'retain' && value !== 'destroy') fail('tableRemovalPolicy', removal);
    options.tableRemovalPolicy = value === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
  }
  const level = read('logLevel');
  if (level !== undefined) {
    const value = String(level).toUpperCase();
    if (!['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL', 'TRACE'].includes(value))
      fail('logLevel', level);
    options.logLevel = value;
  }
  const deployment = deploymentOptions(read);
  if (deployment !== undefined) options.deployment = deployment;
  const concurrency = read('startReservedConcurrency');
  if (concurrency !== undefined) {
    if (String(concurrency).toLowerCase() === 'none') options.startReservedConcurrency = null;
    else {
      const value = positiveNumber('startReservedConcurrency', concurrency);
      if (value === undefined || !Number.isInteger(value)) fail('startReservedConcurrency', concurrency);
      options.startReservedConcurrency = value;
    }
  }
  const share = read('shareHttpSteps');
  if (share !== undefined) {
    const value = String(share).toLowerCase();
    if (value !== 'auto' && value !== 'always' && value !== 'never') fail('shareHttpSteps', share);
    options.shareHttpSteps = value;
  }
  return options;
}

/**
 * The Tasker environment chosen with `-c environment=<env>`, if any.
 *
 * @example
 * // npx cdk synth -c environment=staging
 * const environment = contextEnvironment(app.node); // 'staging'
 */
export function contextEnvironment(node: Node): string | undefined {
  const raw = node.tryGetContext('environment');
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(raw)) {
    fail('environment', raw, 'the name of an environment under environments: in the workflow files');
  }
  return raw;
}

function deploymentOptions(read: (key: keyof typeof CONTEXT_KEYS) => unknown): ContextOptions['deployment'] {
  const type = read('deployment');
  const percentage = read('deploymentPercentage');
  const interval = read('deploymentIntervalMinutes');
  if (type === undefined && percentage === undefined && interval === undefined) return undefined;
  const chosen: { type?: DeploymentType; percentage?: number; intervalMinutes?: number } = {};
  if (type !== undefined) {
    const value = String(type).toUpperCase();
    if (!(DEPLOYMENT_TYPES as readonly string[]).includes(value)) fail('deployment', type);
    chosen.type = value as DeploymentType;
  }
  if (percentage !== undefined) {
    const value = positiveNumber('deploymentPercentage', percentage);
    if (value === undefined || !Number.isInteger(value) || value > 99)
      fail('deploymentPercentage', percentage);
    chosen.percentage = value;
  }
  if (interval !== undefined) {
    const value = positiveNumber('deploymentIntervalMinutes', interval);
    if (value === undefined || !Number.isInteger(value) || value > 2100)
      fail('deploymentIntervalMinutes', interval);
    chosen.intervalMinutes = value;
  }
  return chosen;
}

/**
 * The stack name of a workflow deployed with `-c environment=<env>`: the environment appended, so
 * dev and prod stacks of one workflow can share an account and region
 * (`OrderFulfillmentWorkflow-staging`; characters CloudFormation refuses in a stack name become `-`).
 */
export function environmentStackName(stackName: string, environment: string | undefined): string {
  if (environment === undefined) return stackName;
  return `${stackName}-${environment.replace(/[^A-Za-z0-9-]/g, '-')}`.slice(0, 128);
}

function positiveNumber(key: keyof typeof CONTEXT_KEYS, raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const value = typeof raw === 'number' ? raw : Number(String(raw));
  if (!Number.isFinite(value) || value <= 0) fail(key, raw, 'a positive number');
  return value;
}

function fail(key: keyof typeof CONTEXT_KEYS, value: unknown, accepted: string = CONTEXT_KEYS[key]): never {
  throw new Error(`context ${key}=${JSON.stringify(value)} is not valid; use ${accepted}`);
}
