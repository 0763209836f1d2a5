import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { writeStartEntry } from '../lambdas/api/standalone-validator.ts';
import { ENV, KEY_PREFIX, OPERATION_PATHS } from '../lambdas/contracts.ts';
import { serializeWorkflowGraph, WORKFLOW_GRAPH_ENV } from '../lambdas/graph/index.ts';
import type { LiveAlias } from './deployment.ts';
import { workflowGraph } from './graph/index.ts';
import { HandlerFunction } from './handler-function.ts';
import { toApiGatewaySchema } from './json-schema-model.ts';
import { API_ACKNOWLEDGEMENTS } from './nag-acknowledgements.ts';
import type { SharedEnvironment } from './step-environment.ts';
import { grantTableKeys } from './table-access.ts';
import type { WorkflowSpec } from './workflow/index.ts';
import { statusOutputOf } from './workflow-options.ts';

/** The operations function behind the list, stop, redrive, resolve and fail routes. */
export const OPERATIONS_ENTRY = 'lambdas/api/operate-execution.ts';

/** Handler modules behind the API (repo-relative); each one must exist (`buildApp` checks). */
export const API_ENTRIES = {
  start: 'lambdas/api/start-execution.ts',
  status: 'lambdas/api/get-execution.ts',
  operations: OPERATIONS_ENTRY,
} as const;

/**
 * Access log fields. Deliberately no `$context.requestBody`/response body, no headers and no
 * `$context.error.validationErrorString` (its messages quote the rejected values, e.g. an email):
 * the access log must never hold execution data (it may be personal).
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integration.latency',
  integrationStatus: '$context.integration.status',
  errorMessage: '$context.error.message',
  sourceIp: '$context.identity.sourceIp',
  caller: '$context.identity.caller',
  userArn: '$context.identity.userArn',
  xrayTraceId: '$context.xrayTraceId',
} as const;

/** Props of {@link ExecutionApi}. */
export interface ExecutionApiProps {
  /** Repository root for the handler modules. */
  readonly rootDir: string;
  /** The workflow: its schema becomes the request model and `WORKFLOW_SCHEMA`. */
  readonly spec: WorkflowSpec;
  /** The workflow's table (idempotency keys, correlation IDs). */
  readonly table: dynamodb.Table;
  /** The state machine: its executions are read, listed, stopped and redriven. */
  readonly stateMachine: sfn.StateMachine;
  /** The alias `live`: the start function starts executions through it. */
  readonly live: LiveAlias;
  /** Reserved concurrency of the start function, or `null` for none. */
  readonly startReservedConcurrency: number | null;
  /** Variables every function of the workflow shares. */
  readonly environment: SharedEnvironment;
  /** `IAM` (SigV4-signed callers with execute-api:Invoke) or `NONE`. */
  readonly authorization: 'IAM' | 'NONE';
  /** Stage-wide steady-state rate (requests per second). */
  readonly throttlingRateLimit: number;
  /** Stage-wide burst (requests). */
  readonly throttlingBurstLimit: number;
  /** Retention of the access log group and the functions' log groups. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * A workflow's REST API: `POST /<resource>` (start) and `GET /<resource>/{correlation_id}`
 * (status), where the resource is the YAML's `api.resource` (default: the workflow name), a
 * request model generated from the workflow schema with a validator, IAM authorization, a
 * throttled stage and body-free access logs.
 */
export class ExecutionApi extends Construct {
  /** The REST API (its deployment stage is `v1`). */
  readonly restApi: apigw.RestApi;
  /** The function behind `POST /<resource>`. */
  readonly startFunction: HandlerFunction;
  /** The function behind `GET /<resource>/{correlation_id}`. */
  readonly statusFunction: HandlerFunction;
  /** The function behind the operator routes (list, stop, redrive, resolve, fail). */
  readonly operationsFunction: HandlerFunction;

  constructor(scope: Construct, id: string, props: ExecutionApiProps) {
    super(scope, id);
    const { spec, table, stateMachine } = props;
    const resource = spec.api.resource;
    // Readers of executions get the state machine itself (ListExecutions on it lists the
    // executions of every version and alias); only the start function gets the alias.
    const environment = {
      ...props.environment,
      [ENV.stateMachineArn]: stateMachine.stateMachineArn,
      [ENV.workflowSchema]: JSON.stringify(spec.schema),
      [ENV.apiResource]: resource,
    };
    const common = { rootDir: props.rootDir, environment, logRetention: props.logRetention };
    // 15 s leaves room for waiting on a concurrent duplicate's response, under API Gateway's 29 s.
    this.startFunction = new HandlerFunction(this, 'StartExecution', {
      ...common,
      environment: { ...environment, [ENV.stateMachineArn]: props.live.aliasArn },
      entry: API_ENTRIES.start,
      // The deployed bundle validates with the schema's ajv standalone code, generated here, and
      // carries no ajv compiler. Without bundling (in-process synthesis) nothing is generated.
      ...(Stack.of(this).bundlingRequired
        ? { bundleEntry: writeStartEntry(props.rootDir, spec.schema).entry }
        : {}),
      timeout: Duration.seconds(15),
      description: `POST /${resource}: starts workflow ${spec.name}`,
      ...(props.startReservedConcurrency === null
        ? {}
        : { reservedConcurrentExecutions: props.startReservedConcurrency }),
    });
    this.statusFunction = new HandlerFunction(this, 'GetExecution', {
      ...common,
      environment: {
        ...environment,
        ...workflowStepsEnvironment(spec),
        ...workflowGraphEnvironment(spec),
        [ENV.statusOutput]: JSON.stringify(statusOutputOf(spec)),
      },
      entry: API_ENTRIES.status,
      timeout: Duration.seconds(10),
      description: `GET /${resource}/{correlation_id}: status of workflow ${spec.name}`,
    });
    // Start: conditional writes of the idempotency key and correlation records, and reads of a
    // concurrent winner's record; nothing else on the table.
    grantTableKeys(
      this.startFunction.function,
      table,
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      [`${KEY_PREFIX.idempotency}*`, `${KEY_PREFIX.correlation}*`],
    );
    props.live.grantStartExecution(this.startFunction.function);
    // Status: the correlation -> execution record, then Step Functions (the source of truth).
    grantTableKeys(this.statusFunction.function, table, ['dynamodb:GetItem'], [`${KEY_PREFIX.correlation}*`]);
    stateMachine.grantExecution(
      this.statusFunction.function,
      'states:DescribeExecution',
      'states:GetExecutionHistory',
    );
    this.operationsFunction = this.#operationsFunction(props, environment);

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    const authorizationType =
      props.authorization === 'IAM' ? apigw.AuthorizationType.IAM : apigw.AuthorizationType.NONE;
    this.restApi = new apigw.RestApi(this, 'RestApi', {
      restApiName: `${spec.name}-api`,
      description: `Starts and reports on workflow ${spec.name}`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Execution logging needs the account-wide API Gateway CloudWatch role; a stack must not
      // take over that account singleton (see the APIG6 acknowledgement).
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
        tracingEnabled: true,
        metricsEnabled: true,
        dataTraceEnabled: false,
      },
      defaultMethodOptions: { authorizationType },
    });
    const api = this.restApi;

    const model = api.addModel('ExecutionRequest', {
      contentType: 'application/json',
      description: `Input of workflow ${spec.name} (from ${spec.file}; formats and defaults are checked by the start function)`,
      schema: toApiGatewaySchema(spec.schema),
    });
    const validator = api.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    // The validator's own message lists the failing fields; surface it instead of a bare
    // "Invalid request body".
    api.addGatewayResponse('BadRequestBody', {
      type: apigw.ResponseType.BAD_REQUEST_BODY,
      statusCode: '400',
      templates: {
        'application/json':
          '{"message":"Invalid request body","errors":"$util.escapeJavaScript($context.error.validationErrorString)"}',
      },
    });

    const executions = api.root.addResource(resource);
    executions.addMethod(
      'POST',
      new apigw.LambdaIntegration(this.startFunction.function, { allowTestInvoke: false }),
      {
        requestModels: { 'application/json': model },
        requestValidator: validator,
        requestParameters: {
          'method.request.header.Idempotency-Key': false,
          'method.request.header.X-Correlation-ID': false,
        },
      },
    );
    const execution = executions.addResource('{correlation_id}');
    execution.addMethod(
      'GET',
      new apigw.LambdaIntegration(this.statusFunction.function, { allowTestInvoke: false }),
      {
        requestValidator: validator,
        requestParameters: { 'method.request.path.correlation_id': true },
      },
    );
    this.#operationRoutes(executions, validator, this.operationsFunction);

    Validations.of(api).acknowledge(...API_ACKNOWLEDGEMENTS);
    if (props.authorization === 'NONE') {
      Validations.of(api).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Authorization was switched off on purpose with the apiAuthorization=NONE context (test deployments).',
      });
    }
  }

  /**
   * The operations function: list, stop and redrive executions of this state machine, and send a
   * task result for a step awaiting an operator (its token read, then deleted, from OPERATOR#).
   */
  #operationsFunction(props: ExecutionApiProps, environment: Record<string, string>): HandlerFunction {
    const { spec, table, stateMachine } = props;
    const fn = new HandlerFunction(this, 'OperateExecution', {
      rootDir: props.rootDir,
      environment: { ...environment, ...workflowStepsEnvironment(spec) },
      logRetention: props.logRetention,
      entry: OPERATIONS_ENTRY,
      timeout: Duration.seconds(15),
      description: `Operator routes of workflow ${spec.name}: list, stop, redrive, resolve, fail`,
    });
    // The correlation record: which execution an ID names, and who may operate it.
    grantTableKeys(fn.function, table, ['dynamodb:GetItem'], [`${KEY_PREFIX.correlation}*`]);
    grantTableKeys(
      fn.function,
      table,
      ['dynamodb:GetItem', 'dynamodb:DeleteItem'],
      [`${KEY_PREFIX.operator}*`],
    );
    stateMachine.grant(fn.function, 'states:ListExecutions');
    stateMachine.grantExecution(
      fn.function,
      'states:DescribeExecution',
      'states:GetExecutionHistory',
      'states:StopExecution',
      'states:RedriveExecution',
    );
    stateMachine.grant(fn.function, 'states:SendTaskSuccess', 'states:SendTaskFailure');
    return fn;
  }

  /** `GET /<resource>` and the POST routes of {@link OPERATION_PATHS} on the operations function. */
  #operationRoutes(executions: apigw.Resource, validator: apigw.RequestValidator, fn: HandlerFunction): void {
    const integration = new apigw.LambdaIntegration(fn.function, { allowTestInvoke: false });
    executions.addMethod('GET', integration, {
      requestValidator: validator,
      requestParameters: {
        'method.request.querystring.status': false,
        'method.request.querystring.limit': false,
        'method.request.querystring.next_token': false,
      },
    });
    for (const path of Object.values(OPERATION_PATHS)) {
      executions.resourceForPath(path).addMethod('POST', integration, {
        requestValidator: validator,
        requestParameters: pathParameters(path),
      });
    }
  }
}

/** The path parameters of an operation route (`{correlation_id}`, `{step}`), required. */
function pathParameters(path: string): Record<string, boolean> {
  return Object.fromEntries(
    [...path.matchAll(/\{([a-z_]+)\}/g)].map((match) => [`method.request.path.${match[1]}`, true]),
  );
}

/**
 * Lets the status list steps not reached yet as `pending`, in workflow order. Lambda caps the
 * whole environment at 4 KB, so a very large workflow goes without it (the status then lists the
 * steps that have started) rather than failing to deploy.
 */
export const WORKFLOW_STEPS_MAX_BYTES = 1024;

function workflowStepsEnvironment(spec: WorkflowSpec): Record<string, string> {
  const steps = JSON.stringify(spec.steps.map((step) => step.name));
  return Buffer.byteLength(steps) <= WORKFLOW_STEPS_MAX_BYTES ? { [ENV.workflowSteps]: steps } : {};
}

/**
 * The true dependency graph (about 40 bytes per step) for `GET ...?format=mermaid`; left out, like
 * `WORKFLOW_STEPS`, when it would crowd Lambda's 4 KB environment (the Mermaid answer then draws
 * the steps the history shows).
 */
export const WORKFLOW_GRAPH_MAX_BYTES = 1536;

function workflowGraphEnvironment(spec: WorkflowSpec): Record<string, string> {
  const graph = serializeWorkflowGraph(workflowGraph(spec));
  return Buffer.byteLength(graph) <= WORKFLOW_GRAPH_MAX_BYTES ? { [WORKFLOW_GRAPH_ENV]: graph } : {};
}
