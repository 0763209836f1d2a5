/**
 * The Lambdas a workflow's Tasks invoke: one per step, the operator function of `await_operator`
 * steps, and one per `compensate:`. Each publishes a version (`currentVersion`), which is what the
 * compiler gets, so a Task never invokes an unqualified ARN and an in-flight execution keeps the
 * code it started with. Each role may touch only its own table records (`dynamodb:LeadingKeys`).
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  DEFAULTS,
  ENV,
  HTTP_STEP_ENTRY,
  KEY_PREFIX,
  OPERATOR_ENTRY,
  OPERATOR_ENV,
  SHARED_HTTP_STEPS_ENV,
} from '../lambdas/contracts.ts';
import { HandlerFunction } from './handler-function.ts';
import { type SharedEnvironment, stepEnvironment, stepPayloadConfig } from './step-environment.ts';
import { attachTableKeyPolicy, grantTableKeys, tableKeyStatement } from './table-access.ts';
import type { StepSpec, WorkflowSpec } from './workflow/index.ts';
import { constructId } from './workflow/names.ts';
import { awaitsOperator, compensationOf } from './workflow-options.ts';

/**
 * What Powertools Idempotency does on a step's records (put in-progress, get, update with the
 * result, delete on failure), and what the circuit breaker does on its service's record.
 */
export const STEP_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

/** Props of {@link WorkflowFunctions}. */
export interface WorkflowFunctionsProps {
  readonly rootDir: string;
  readonly spec: WorkflowSpec;
  readonly table: dynamodb.Table;
  readonly environment: SharedEnvironment;
  readonly logRetention: logs.RetentionDays;
  /**
   * Run every declarative HTTP step on one shared function (its steps' variables travel in the
   * Task payload, see `SHARED_HTTP_STEPS_ENV`).
   * @default false: one function per step
   */
  readonly shareHttpSteps?: boolean;
}

/** The label of the shared HTTP function in {@link WorkflowFunctions.all}. */
export const SHARED_HTTP_FUNCTION_LABEL = 'http-steps';

/** The step, operator and compensation functions of one workflow, with their published versions. */
export class WorkflowFunctions extends Construct {
  /** The function of each step, by step name. */
  readonly steps: ReadonlyMap<string, HandlerFunction>;
  /** What each step's Task invokes: the published version of its function. */
  readonly stepVersions: ReadonlyMap<string, lambda.Version>;
  /** The operator function, when a step has `on_failure: await_operator`. */
  readonly operator?: HandlerFunction;
  /** What the operator Tasks invoke. */
  readonly operatorVersion?: lambda.Version;
  /** What each `<step> (undo)` Task invokes, by step name. */
  readonly compensationVersions: ReadonlyMap<string, lambda.Version>;
  /** Every distinct function, by a readable label (step name, `operator`, `<step>-undo`, `http-steps`), for alarms. */
  readonly all: ReadonlyMap<string, lambda.IFunction>;
  /** The function all declarative HTTP steps share, when they do. */
  readonly sharedHttp?: HandlerFunction;
  /**
   * The variables a step on the shared function gets in its payload instead of its environment;
   * undefined for a step with a function of its own.
   */
  readonly stepConfigFor: (step: StepSpec) => Readonly<Record<string, string>> | undefined;

  constructor(scope: Construct, id: string, props: WorkflowFunctionsProps) {
    super(scope, id);
    const { spec, table } = props;
    const steps = new Map<string, HandlerFunction>();
    const versions = new Map<string, lambda.Version>();
    const all = new Map<string, lambda.IFunction>();
    const stepsScope = new Construct(this, 'Steps');
    const httpSteps = props.shareHttpSteps ? spec.steps.filter((step) => step.handlerOrigin === 'http') : [];
    if (httpSteps.length > 0) {
      this.sharedHttp = this.#sharedHttpFunction(httpSteps, props);
      const version = this.sharedHttp.function.currentVersion;
      for (const step of httpSteps) {
        steps.set(step.name, this.sharedHttp);
        versions.set(step.name, version);
      }
      all.set(SHARED_HTTP_FUNCTION_LABEL, this.sharedHttp.function);
    }
    const shared = new Set(httpSteps.map((step) => step.name));
    this.stepConfigFor = (step) => (shared.has(step.name) ? stepPayloadConfig(spec, step) : undefined);
    for (const step of spec.steps) {
      if (shared.has(step.name)) continue;
      const handler = this.#stepFunction(stepsScope, constructId(step.name), step, step.handlerPath, props);
      steps.set(step.name, handler);
      versions.set(step.name, handler.function.currentVersion);
      all.set(step.name, handler.function);
    }
    this.steps = steps;
    this.stepVersions = versions;

    const awaiting = spec.steps.filter(awaitsOperator);
    if (awaiting.length > 0) {
      this.operator = new HandlerFunction(this, 'Operator', {
        rootDir: props.rootDir,
        entry: OPERATOR_ENTRY,
        // A stored task token is kept as long as the longest wait may last (its record's TTL).
        environment: {
          ...props.environment,
          [OPERATOR_ENV.timeoutSeconds]: String(
            Math.max(
              ...awaiting.map((step) => step.operatorTimeoutSeconds ?? DEFAULTS.operatorTimeoutSeconds),
            ),
          ),
        },
        timeout: Duration.seconds(10),
        logRetention: props.logRetention,
        description: `await_operator steps of ${spec.name}: stores the task token for an operator`,
      });
      // Writes the (correlation ID, step) -> task token record, nothing else.
      grantTableKeys(this.operator.function, table, ['dynamodb:PutItem'], [`${KEY_PREFIX.operator}*`]);
      this.operatorVersion = this.operator.function.currentVersion;
      all.set('operator', this.operator.function);
    }

    const compensations = new Map<string, lambda.Version>();
    const undoScope = new Construct(this, 'Undo');
    for (const step of spec.steps) {
      const compensation = compensationOf(spec, step);
      if (compensation === undefined) continue;
      const own = steps.get(step.name);
      if (compensation.kind === 'request' && step.handlerOrigin === 'http' && own !== undefined) {
        // The built-in HTTP step with the step's own service, URL and grants already: the undo
        // payload's `step` (`<step>:undo`) keeps its records apart from the forward call's.
        compensations.set(step.name, own.function.currentVersion);
        continue;
      }
      const entry = compensation.kind === 'request' ? HTTP_STEP_ENTRY : compensation.handlerPath;
      const handler = this.#stepFunction(undoScope, constructId(step.name), step, entry, props, 'undo');
      compensations.set(step.name, handler.function.currentVersion);
      all.set(`${step.name}-undo`, handler.function);
    }
    this.compensationVersions = compensations;
    this.all = all;
  }

  /**
   * The one function of every declarative HTTP step: the longest of their timeouts (each Task keeps
   * its own TimeoutSeconds) and the largest of their memory sizes, the records of every service
   * they call, and only the variables the steps have in common.
   */
  #sharedHttpFunction(httpSteps: readonly StepSpec[], props: WorkflowFunctionsProps): HandlerFunction {
    const handler = new HandlerFunction(this, 'HttpSteps', {
      rootDir: props.rootDir,
      entry: HTTP_STEP_ENTRY,
      environment: {
        ...props.environment,
        [SHARED_HTTP_STEPS_ENV]: 'true',
        [ENV.customEvents]: JSON.stringify(props.spec.customEvents),
      },
      timeout: Duration.seconds(Math.max(...httpSteps.map((step) => step.timeoutSeconds))),
      memorySize: Math.max(...httpSteps.map((step) => step.memoryMb)),
      logRetention: props.logRetention,
      description: `The ${httpSteps.length} declarative HTTP steps of ${props.spec.name}`,
    });
    grantStepRecords(
      handler,
      props.table,
      httpSteps.map((step) => step.service),
    );
    return handler;
  }

  /** One function running `entry` with `step`'s environment, timeout, memory and scoped grants. */
  #stepFunction(
    scope: Construct,
    id: string,
    step: StepSpec,
    entry: string,
    props: WorkflowFunctionsProps,
    role: 'step' | 'undo' = 'step',
  ): HandlerFunction {
    const handler = new HandlerFunction(scope, id, {
      rootDir: props.rootDir,
      entry,
      environment: stepEnvironment(props.spec, step, props.environment),
      timeout: Duration.seconds(step.timeoutSeconds),
      memorySize: step.memoryMb,
      ...(role === 'step' ? { step: step.name } : {}),
      logRetention: props.logRetention,
      ...(role === 'undo'
        ? { description: `Compensates step ${step.name}` }
        : step.description === undefined
          ? {}
          : { description: step.description }),
    });
    grantStepRecords(handler, props.table, [step.service]);
    return handler;
  }
}

/**
 * A step function's table access: its own Powertools records (`idempotency#<function name>`) and
 * the shared breaker records of its services (`BREAKER#<service>`), with Powertools' four item
 * operations.
 */
export function grantStepRecords(
  handler: HandlerFunction,
  table: dynamodb.Table,
  services: readonly (string | undefined)[],
): iam.Policy {
  const keys = [
    `${KEY_PREFIX.stepRecord}${handler.function.functionName}`,
    ...[...new Set(services.filter((service) => service !== undefined))].map(
      (service) => `${KEY_PREFIX.breaker}${service}`,
    ),
  ];
  return attachTableKeyPolicy(handler, 'TableAccess', handler.role, [
    tableKeyStatement(table, STEP_TABLE_ACTIONS, keys),
  ]);
}
