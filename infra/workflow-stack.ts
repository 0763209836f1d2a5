import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DEFAULTS, ENV, METADATA } from '../lambdas/contracts.ts';
import { ExecutionApi } from './api.ts';
import { definitionSize } from './definition-size.ts';
import { LiveAlias } from './deployment.ts';
import { WorkflowAlarms, WorkflowNotifications } from './monitoring.ts';
import { acknowledgeWildcards } from './nag-acknowledgements.ts';
import {
  checkResourceCount,
  checkSharedStepPayloads,
  type HttpStepSharing,
  sharesHttpSteps,
} from './resource-budget.ts';
import type { SharedEnvironment } from './step-environment.ts';
import { WorkflowFunctions } from './step-functions.ts';
import {
  type AnalyzedWorkflow,
  compileWorkflow,
  formatWarning,
  type StepSpec,
  WorkflowError,
  type WorkflowSpec,
} from './workflow/index.ts';
import { alarmsOf, type DeploymentSettings, deploymentOf, notificationsOf } from './workflow-options.ts';

export { workflowStackName } from './workflow/index.ts';

/** How callers must sign requests to the workflow's API. */
export type ApiAuthorization = 'IAM' | 'NONE';

/** Props of {@link WorkflowStack}. */
export interface WorkflowStackProps extends StackProps {
  /** The workflow after the plan and checks stages (`analyzeWorkflows(loadWorkflows(...))`). */
  readonly workflow: AnalyzedWorkflow;
  /** Repository root: handler paths in the spec are relative to it, and so is package-lock.json. */
  readonly rootDir: string;
  /**
   * Bundle the Lambda code with esbuild. `false` skips bundling for this stack (CDK's own
   * `aws:cdk:bundling-stacks` mechanism), so a synth takes about a second; the template is the
   * same apart from asset hashes, and still carries the `Stepflow:*` metadata and the full
   * environment. Such a template is for the offline runtime and tests, not for deployment.
   * @default true
   */
  readonly bundling?: boolean;
  /**
   * Authorization of the workflow's API. `NONE` leaves the API open to the internet and is
   * meant for throwaway test deployments only.
   * @default 'IAM'
   */
  readonly apiAuthorization?: ApiAuthorization;
  /**
   * Stage-wide steady-state request rate (requests per second).
   * @default 50
   */
  readonly throttlingRateLimit?: number;
  /**
   * Stage-wide burst capacity (requests).
   * @default 100
   */
  readonly throttlingBurstLimit?: number;
  /**
   * How long deduplication records (API idempotency keys, step idempotency records) live before
   * DynamoDB's TTL removes them.
   * @default Duration.hours(24)
   */
  readonly idempotencyTtl?: Duration;
  /**
   * Retention of every log group of the stack (functions, state machine, API access logs).
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * `POWERTOOLS_LOG_LEVEL` of every function.
   * @default 'INFO'
   */
  readonly logLevel?: string;
  /**
   * Overrides of the YAML's `deployment:` (`-c deployment=CANARY`, `-c deploymentPercentage`,
   * `-c deploymentIntervalMinutes`).
   * @default the YAML's, else ALL_AT_ONCE
   */
  readonly deployment?: Partial<DeploymentSettings>;
  /**
   * Reserved concurrency of the start function (it also caps it), or `null` for none.
   * @default 50
   */
  readonly startReservedConcurrency?: number | null;
  /**
   * Whether declarative HTTP steps share one function (their variables then travel in the Task
   * payload): `auto` shares only when a function per step would pass CloudFormation's 500
   * resources.
   * @default 'auto'
   */
  readonly shareHttpSteps?: HttpStepSharing;
}

/** Reserved concurrency of the start function unless the props say otherwise. */
export const DEFAULT_START_RESERVED_CONCURRENCY = 50;

/**
 * Everything one workflow file needs in AWS: the DynamoDB table, one Lambda per step, the state
 * machine compiled from the YAML, and the workflow's REST API with its start/status Lambdas.
 *
 * @example
 * const [workflow] = analyzeWorkflows(loadWorkflows('config'), { rootDir: process.cwd() });
 * new WorkflowStack(app, workflowStackName(workflow.spec.name), { workflow, rootDir: process.cwd() });
 */
export class WorkflowStack extends Stack {
  /** The workflow this stack was built from. */
  readonly spec: WorkflowSpec;
  /** Its analysis (plan, budget, warnings). */
  readonly workflow: AnalyzedWorkflow;
  /** Idempotency keys, correlation IDs, step idempotency records (pk/sk, TTL `expires_at`). */
  readonly table: dynamodb.Table;
  /** One function per step, by step name. */
  readonly stepFunctions: ReadonlyMap<string, lambda.IFunction>;
  /** The step, operator and compensation functions with their versions. */
  readonly functions: WorkflowFunctions;
  /** The compiled state machine. */
  readonly stateMachine: sfn.StateMachine;
  /** Its published version and the alias `live` executions start through. */
  readonly live: LiveAlias;
  /** The deployment preference the alias uses. */
  readonly deployment: DeploymentSettings;
  /** Alarms (always the rollback ones for a gradual deployment; all of them with `alarms:`). */
  readonly alarms?: WorkflowAlarms;
  /** EventBridge rules of `notifications:`. */
  readonly notifications?: WorkflowNotifications;
  /** The REST API with its start and status functions. */
  readonly api: ExecutionApi;
  /** Warnings (`file:line: warning: ...`) of the checks stage and the definition size; app.ts prints them. */
  readonly warnings: readonly string[];
  /** The definition's size as Step Functions counts it (each Lambda ARN at its longest). */
  readonly definitionBytes: number;

  constructor(scope: Construct, id: string, props: WorkflowStackProps) {
    const { workflow } = props;
    const { spec } = workflow;
    super(scope, id, {
      description: `Step Functions workflow '${spec.name}' compiled from ${spec.file}`.slice(0, 1024),
      ...stackPropsOf(props),
    });
    // Must be set before any asset exists: CDK decides per stack whether to bundle.
    if (props.bundling === false) this.node.setContext('aws:cdk:bundling-stacks', []);
    this.spec = spec;
    this.workflow = workflow;
    const ttlSeconds = (props.idempotencyTtl ?? Duration.seconds(DEFAULTS.idempotencyTtlSeconds)).toSeconds();
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expires_at',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // AWS-managed key: encrypted with KMS and auditable in CloudTrail, without a CMK's monthly
      // cost and key-policy upkeep; no record here needs customer-controlled key rotation.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    const shared: SharedEnvironment = {
      [ENV.tableName]: this.table.tableName,
      [ENV.workflowName]: spec.name,
      [ENV.idempotencyTtlSeconds]: String(ttlSeconds),
      [ENV.powertoolsServiceName]: spec.name,
      [ENV.powertoolsMetricsNamespace]: spec.namespace,
      [ENV.powertoolsLogLevel]: props.logLevel ?? 'INFO',
    };
    const shareHttpSteps = sharesHttpSteps(spec, props.shareHttpSteps ?? 'auto');
    this.functions = new WorkflowFunctions(this, 'Functions', {
      rootDir: props.rootDir,
      spec,
      table: this.table,
      environment: shared,
      logRetention,
      shareHttpSteps,
    });
    const functions = this.functions;
    this.stepFunctions = new Map([...functions.steps].map(([name, handler]) => [name, handler.function]));

    const missing = (what: string, step: StepSpec): never => {
      throw new Error(`${spec.file}:${step.line}: no ${what} for step '${step.name}'`);
    };
    // A variable, not a literal: the compiler reads the options it knows (operatorFunction and
    // compensationFunctionFor once it compiles await_operator and compensate:).
    const compileOptions = {
      functionFor: (step: StepSpec): lambda.IFunction =>
        asFunction(functions.stepVersions.get(step.name) ?? missing('function', step)),
      ...(functions.operatorVersion === undefined
        ? {}
        : { operatorFunction: asFunction(functions.operatorVersion) }),
      compensationFunctionFor: (step: StepSpec): lambda.IFunction =>
        asFunction(functions.compensationVersions.get(step.name) ?? missing('compensation function', step)),
      // Steps on the shared HTTP function: the variables their payload must carry
      // (sharedStepPayloadTemplate); undefined for a step with a function of its own.
      stepConfigFor: functions.stepConfigFor,
    };
    const compiled = compileWorkflow(new Construct(this, 'Definition'), workflow, compileOptions);

    const machineLogs = new logs.LogGroup(this, 'StateMachineLogs', { retention: logRetention });
    const timeout =
      compiled.timeout ??
      (spec.timeoutSeconds === undefined ? undefined : Duration.seconds(spec.timeoutSeconds));
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(compiled.chain),
      stateMachineType:
        spec.executionType === 'EXPRESS' ? sfn.StateMachineType.EXPRESS : sfn.StateMachineType.STANDARD,
      ...(timeout === undefined ? {} : { timeout }),
      tracingEnabled: true,
      // ALL events but no execution data: the console/CloudWatch show every state transition
      // while execution data (which may hold personal data) never reaches the logs.
      logs: { destination: machineLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment: compiled.comment,
    });
    const machine = this.stateMachine.node.defaultChild as sfn.CfnStateMachine;
    machine.addMetadata(METADATA.workflow, spec.name);
    const size = definitionSize(this, machine, spec);
    if (size.errors.length > 0) throw new WorkflowError(size.errors);
    const sharedSteps = spec.steps.filter((step) => functions.stepConfigFor(step) !== undefined);
    const unconfigured = checkSharedStepPayloads(
      machine,
      spec,
      sharedSteps.map((step) => step.name),
    );
    if (unconfigured.length > 0) throw new WorkflowError(unconfigured);
    this.definitionBytes = size.bytes;
    this.warnings = [...workflow.warnings, ...size.warnings.map(formatWarning)];

    this.deployment = deploymentOf(spec, props.deployment);
    const alarmSettings = alarmsOf(spec);
    if (alarmSettings !== undefined || this.deployment.type !== 'ALL_AT_ONCE') {
      this.alarms = new WorkflowAlarms(this, 'Alarms', {
        workflow: spec.name,
        stateMachine: this.stateMachine,
        functions: functions.all,
        ...(alarmSettings === undefined ? {} : { settings: alarmSettings }),
      });
    }
    this.live = new LiveAlias(this, 'Live', {
      stateMachine: this.stateMachine,
      workflow: spec.name,
      version: spec.version,
      deployment: this.deployment,
      ...(this.alarms === undefined ? {} : { rollbackAlarms: this.alarms.rollbackAlarms }),
    });
    const notifications = notificationsOf(spec);
    if (notifications.length > 0) {
      this.notifications = new WorkflowNotifications(this, 'Notifications', {
        workflow: spec.name,
        stateMachine: this.stateMachine,
        notifications,
      });
    }

    this.api = new ExecutionApi(this, 'Api', {
      rootDir: props.rootDir,
      spec,
      table: this.table,
      stateMachine: this.stateMachine,
      live: this.live,
      environment: shared,
      startReservedConcurrency:
        props.startReservedConcurrency === undefined
          ? DEFAULT_START_RESERVED_CONCURRENCY
          : props.startReservedConcurrency,
      authorization: props.apiAuthorization ?? 'IAM',
      throttlingRateLimit: props.throttlingRateLimit ?? 50,
      throttlingBurstLimit: props.throttlingBurstLimit ?? 100,
      logRetention,
    });

    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
    new CfnOutput(this, 'LiveAliasArn', { value: this.live.aliasArn });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'StateMachineConsoleUrl', {
      value: `https://${Aws.REGION}.console.aws.amazon.com/states/home?region=${Aws.REGION}#/statemachines/view/${this.stateMachine.stateMachineArn}`,
    });
    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url });
    new CfnOutput(this, 'ExecutionsEndpoint', {
      value: this.api.restApi.urlForPath(`/${spec.api.resource}`),
    });

    acknowledgeWildcards(this);
    const tooMany = checkResourceCount(this, spec, shareHttpSteps);
    if (tooMany.length > 0) throw new WorkflowError(tooMany);
  }
}

/**
 * A published version is a function the Task can invoke (`IVersion extends IFunction`); only
 * `exactOptionalPropertyTypes` disagrees, on how the two declare the optional `role`.
 */
function asFunction(version: lambda.Version): lambda.IFunction {
  return version as unknown as lambda.IFunction;
}

/** The plain `StackProps` part of the props (the rest is this stack's own). */
function stackPropsOf(props: WorkflowStackProps): StackProps {
  const {
    workflow: _workflow,
    rootDir: _rootDir,
    bundling: _bundling,
    apiAuthorization: _apiAuthorization,
    throttlingRateLimit: _rate,
    throttlingBurstLimit: _burst,
    idempotencyTtl: _ttl,
    logRetention: _retention,
    tableRemovalPolicy: _removal,
    logLevel: _logLevel,
    deployment: _deployment,
    startReservedConcurrency: _concurrency,
    shareHttpSteps: _share,
    ...stackProps
  } = props;
  return stackProps;
}
