import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { API_ENV, DEFAULTS, ENV } from '../contracts.ts';
import { parseWorkflowGraph, type WorkflowGraph } from '../graph/index.ts';
import { createStepLogger } from '../runtime/logger.ts';
import { ExecutionStore } from './execution-store.ts';
import { OperatorStore } from './operator-store.ts';
import { readStatusOutputPaths } from './status-privacy.ts';

/** What the API Lambdas read from their environment (set by the stack; see docs/architecture.md). */
export interface ApiConfig {
  readonly tableName: string;
  readonly stateMachineArn: string;
  readonly workflowName: string;
  /** `API_RESOURCE`: the REST resource the API serves (`POST /<resource>`). */
  readonly resource: string;
  /** `WORKFLOW_SCHEMA`: the JSON Schema of the execution input, from the workflow YAML. */
  readonly schema: Record<string, unknown>;
  /** How long an Idempotency-Key is remembered. @default 86400 (24 h) */
  readonly idempotencyTtlSeconds: number;
  /** `POWERTOOLS_LOG_LEVEL`. @default 'INFO' */
  readonly logLevel: string;
  /**
   * `WORKFLOW_VALIDATOR_MODULE`: the validator generated at synth (standalone-validator.ts).
   * @default none: the schema is compiled with ajv on the first request
   */
  readonly validatorModule: string | undefined;
}

/** What the status Lambda reads from its environment. */
export interface StatusConfig {
  readonly tableName: string;
  /** `WORKFLOW_STEPS`: every step in workflow order, so unreached steps show as pending. @default [] */
  readonly stepNames: readonly string[];
  /** `POWERTOOLS_LOG_LEVEL`. @default 'INFO' */
  readonly logLevel: string;
  /** `WORKFLOW_NAME`. @default 'workflow' */
  readonly workflowName: string;
  /** `WORKFLOW_GRAPH` (the true dependency graph), when the stack could fit it. @default none */
  readonly graph: WorkflowGraph | undefined;
  /** `STATUS_OUTPUT`: output paths the status may show. @default [] */
  readonly statusOutput: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

function requiredVariable(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set`);
  return value;
}

/**
 * Reads and checks the environment once per cold start. A missing or malformed variable is a
 * deployment bug: the error names the variable (API Gateway shows the client a plain 502).
 */
export function readApiConfig(env: Env = process.env): ApiConfig {
  const required = (name: string): string => requiredVariable(env, name);
  let schema: unknown;
  try {
    schema = JSON.parse(required(ENV.workflowSchema));
  } catch (error) {
    throw new Error(`${ENV.workflowSchema} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new Error(`${ENV.workflowSchema} must be a JSON Schema object`);
  }
  const ttl = Number(env[ENV.idempotencyTtlSeconds] ?? DEFAULTS.idempotencyTtlSeconds);
  if (!Number.isInteger(ttl) || ttl <= 0) {
    throw new Error(
      `${ENV.idempotencyTtlSeconds} must be a positive integer, got '${env[ENV.idempotencyTtlSeconds]}'`,
    );
  }
  return {
    tableName: required(ENV.tableName),
    stateMachineArn: required(ENV.stateMachineArn),
    workflowName: env[ENV.workflowName] ?? 'workflow',
    resource: required(ENV.apiResource),
    schema: schema as Record<string, unknown>,
    idempotencyTtlSeconds: ttl,
    logLevel: env[ENV.powertoolsLogLevel] || DEFAULTS.logLevel,
    validatorModule: env[API_ENV.validatorModule] || undefined,
  };
}

/** Reads the status Lambda's environment once per cold start (see {@link readApiConfig}). */
export function readStatusConfig(env: Env = process.env): StatusConfig {
  return {
    tableName: requiredVariable(env, ENV.tableName),
    stepNames: readStepNames(env[ENV.workflowSteps]),
    logLevel: env[ENV.powertoolsLogLevel] || DEFAULTS.logLevel,
    workflowName: env[ENV.workflowName] || 'workflow',
    graph: readGraph(env[ENV.workflowGraph]),
    statusOutput: readStatusOutputPaths(env[ENV.statusOutput]),
  };
}

/** A malformed graph is a deployment bug: the error names the variable. */
function readGraph(raw: string | undefined): WorkflowGraph | undefined {
  if (!raw) return undefined;
  try {
    return parseWorkflowGraph(raw);
  } catch (error) {
    throw new Error(`${ENV.workflowGraph} is invalid: ${(error as Error).message}`);
  }
}

/** `WORKFLOW_STEPS`: a JSON array of step names (a comma-separated list is accepted too). */
function readStepNames(raw: string | undefined): string[] {
  if (!raw) return [];
  try {
    const names = JSON.parse(raw) as unknown;
    return Array.isArray(names) ? names.filter((name): name is string => typeof name === 'string') : [];
  } catch {
    return raw.split(',').map((name) => name.trim());
  }
}

/**
 * SDK clients built from the environment: locally `AWS_ENDPOINT_URL_SFN` and
 * `AWS_ENDPOINT_URL_DYNAMODB` point them at the offline runtime, in AWS they are unset.
 */
export function createClients(tableName: string): {
  sfn: SFNClient;
  store: ExecutionStore;
  operators: OperatorStore;
} {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    sfn: new SFNClient({}),
    store: new ExecutionStore(doc, tableName),
    operators: new OperatorStore(doc, tableName),
  };
}

/**
 * `arn:...:stateMachine:<name>` + execution name -> `arn:...:execution:<name>:<execution>`. A
 * version or alias ARN (`...:stateMachine:<name>:live`) names the same executions: Step Functions
 * leaves the qualifier out of execution ARNs.
 */
export function executionArnFor(stateMachineArn: string, executionName: string): string {
  const unqualified = stateMachineArn.split(':').slice(0, 7).join(':');
  return `${unqualified.replace(':stateMachine:', ':execution:')}:${executionName}`;
}

/** What the operations Lambda (operate-execution.ts) reads from its environment. */
export interface OperateConfig {
  readonly tableName: string;
  /** `STATE_MACHINE_ARN`: the unqualified state machine, whose executions the routes list and operate. */
  readonly stateMachineArn: string;
  /** `API_RESOURCE`: the routes are under `/<resource>`. */
  readonly resource: string;
  /** `POWERTOOLS_LOG_LEVEL`. @default 'INFO' */
  readonly logLevel: string;
}

/** Reads the operations Lambda's environment once per cold start (see {@link readApiConfig}). */
export function readOperateConfig(env: Env = process.env): OperateConfig {
  return {
    tableName: requiredVariable(env, ENV.tableName),
    stateMachineArn: requiredVariable(env, ENV.stateMachineArn),
    resource: requiredVariable(env, ENV.apiResource),
    logLevel: env[ENV.powertoolsLogLevel] || DEFAULTS.logLevel,
  };
}

/** Where a human can look at an execution in the Step Functions console. */
export function consoleUrlFor(executionArn: string): string {
  const region = executionArn.split(':')[3] || DEFAULTS.region;
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** A structured log line: level, message and fields that carry no personal data. */
export type ApiLog = (
  level: 'debug' | 'info' | 'warn' | 'error',
  message: string,
  fields: Record<string, unknown>,
) => void;

/**
 * JSON log lines through Powertools Logger with the project's PII masker as a second line of
 * defence (the handlers already log IDs and field names only).
 */
export function createApiLog(functionName: string, logLevel?: string): ApiLog {
  const logger = createStepLogger({ service: functionName, ...(logLevel === undefined ? {} : { logLevel }) });
  return (level, message, fields) => logger[level](message, fields);
}
