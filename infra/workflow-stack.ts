import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DEFAULTS, ENV, METADATA } from '../lambdas/contracts.ts';
import { ExecutionApi } from './api.ts';
import { definitionSize } from './definition-size.ts';
import { HandlerFunction } from './handler-function.ts';
import { acknowledgeWildcards } from './nag-acknowledgements.ts';
import { type SharedEnvironment, stepEnvironment } from './step-environment.ts';
import {
  type AnalyzedWorkflow,
  compileWorkflow,
  formatWarning,
  type StepSpec,
  WorkflowError,
  type WorkflowSpec,
} from './workflow/index.ts';

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
}

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
  /** The compiled state machine. */
  readonly stateMachine: sfn.StateMachine;
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
    const steps = new Construct(this, 'Steps');
    const functions = new Map<string, lambda.IFunction>();
    for (const step of spec.steps) {
      const handler = new HandlerFunction(steps, step.name, {
        rootDir: props.rootDir,
        entry: step.handlerPath,
        environment: stepEnvironment(spec, step, shared),
        timeout: Duration.seconds(step.timeoutSeconds),
        memorySize: step.memoryMb,
        step: step.name,
        logRetention,
        ...(step.description === undefined ? {} : { description: step.description }),
      });
      // Exactly what Powertools Idempotency uses (put in-progress, get, update result, delete on
      // failure), on this table only.
      this.table.grant(
        handler.function,
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
      );
      functions.set(step.name, handler.function);
    }
    this.stepFunctions = functions;

    const compiled = compileWorkflow(new Construct(this, 'Definition'), workflow, {
      functionFor: (step: StepSpec) => {
        const fn = functions.get(step.name);
        if (fn === undefined)
          throw new Error(`${spec.file}:${step.line}: no function for step '${step.name}'`);
        return fn;
      },
    });

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
    this.definitionBytes = size.bytes;
    this.warnings = [...workflow.warnings, ...size.warnings.map(formatWarning)];

    this.api = new ExecutionApi(this, 'Api', {
      rootDir: props.rootDir,
      spec,
      table: this.table,
      stateMachine: this.stateMachine,
      environment: shared,
      authorization: props.apiAuthorization ?? 'IAM',
      throttlingRateLimit: props.throttlingRateLimit ?? 50,
      throttlingBurstLimit: props.throttlingBurstLimit ?? 100,
      logRetention,
    });

    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'StateMachineConsoleUrl', {
      value: `https://${Aws.REGION}.console.aws.amazon.com/states/home?region=${Aws.REGION}#/statemachines/view/${this.stateMachine.stateMachineArn}`,
    });
    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url });
    new CfnOutput(this, 'ExecutionsEndpoint', {
      value: this.api.restApi.urlForPath(`/${spec.api.resource}`),
    });

    acknowledgeWildcards(this);
  }
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
    ...stackProps
  } = props;
  return stackProps;
}
