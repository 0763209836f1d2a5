/**
 * The operator routes of a workflow's API, one Lambda dispatching on `resource` + `httpMethod`
 * (docs/operations-api.md):
 *
 * - `GET /<resource>?status=&limit=&next_token=`: ListExecutions, newest first.
 * - `POST /<resource>/{correlation_id}/stop`: StopExecution, optional `{error, cause}`.
 * - `POST /<resource>/{correlation_id}/redrive`: RedriveExecution; 409 when Step Functions refuses
 *   (with its reason) and when the execution was compensated.
 * - `POST /<resource>/{correlation_id}/steps/{step}/resolve`: `{result}` -> SendTaskSuccess with
 *   `{...result, resolved_manually: true}` to the step awaiting an operator.
 * - `POST /<resource>/{correlation_id}/steps/{step}/fail`: `{error, cause}` -> SendTaskFailure.
 *
 * The ID routes let in whom the status route lets in (the starter or the status token holder);
 * anyone else gets the 404 of an unknown ID.
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  type ListExecutionsCommandOutput,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  type ExecutionList,
  type ExecutionListItem,
  LIST_QUERY,
  LIST_STATUS_FILTERS,
  OPERATION_CONFLICTS,
  OPERATION_PATHS,
  RESOLVED_MANUALLY,
  STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES,
} from '../contracts.ts';
import { type ApiLog, createApiLog, createClients, readOperateConfig } from './api-config.ts';
import type { ExecutionStore } from './execution-store.ts';
import { endedCompensated, findExecution } from './get-execution.ts';
import {
  ApiError,
  CORRELATION_ID_PATTERN,
  errorResponse,
  type FieldProblem,
  header,
  jsonResponse,
} from './http.ts';
import type { OperatorStore } from './operator-store.ts';
import { readJsonBody } from './request-body.ts';
import { executionNotFound } from './status-access.ts';

/** What the operations handler needs; the Lambda builds it from its environment. */
export interface OperateExecutionDeps {
  readonly store: ExecutionStore;
  readonly operators: OperatorStore;
  readonly sfn: SFNClient;
  /** The unqualified state machine ARN (its executions, whichever version or alias started them). */
  readonly stateMachineArn: string;
  /** The API resource (`api.resource`): the routes are under `/<resource>`. */
  readonly resource: string;
  /** Where the handler reports outcomes (IDs, statuses and error names only). @default no logging */
  readonly log?: ApiLog;
}

type Route = 'list' | keyof typeof OPERATION_PATHS;

/** Step names are identifiers in the YAML; this also keeps them safe in a DynamoDB key and a log. */
const STEP_PARAM_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;
/** RedriveExecution's clientToken: 1-64 printable ASCII characters. */
const REDRIVE_TOKEN_PATTERN = /^[!-~]{1,64}$/;
const MAX_ERROR_CHARS = 256;
const MAX_CAUSE_CHARS = 32_768;

/**
 * Builds the operations handler.
 *
 * @example
 * const handler = createOperateExecutionHandler({ store, operators, sfn, stateMachineArn, resource: 'orders' });
 * await handler(event); // GET /orders?status=FAILED -> 200 {executions, next_token?}
 */
export function createOperateExecutionHandler(
  deps: OperateExecutionDeps,
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  const log = deps.log ?? (() => {});
  return async (event) => {
    const route = routeOf(event, deps.resource);
    try {
      if (route === undefined) {
        throw new ApiError(404, `No operation ${event.httpMethod} ${event.resource}`);
      }
      const result = await ROUTES[route](deps, event);
      log('info', 'operation done', {
        operation: route,
        status: result.statusCode,
        correlation_id: event.pathParameters?.correlation_id,
      });
      return result;
    } catch (error) {
      if (error instanceof ApiError) {
        log('warn', 'operation refused', {
          operation: route,
          status: error.statusCode,
          reason: error.details.reason,
        });
        return errorResponse(error);
      }
      log('error', 'operation failed', { operation: route, error: (error as Error).name });
      throw error;
    }
  };
}

function routeOf(event: APIGatewayProxyEvent, resource: string): Route | undefined {
  const base = `/${resource}`;
  if (event.httpMethod === 'GET') return event.resource === base ? 'list' : undefined;
  if (event.httpMethod !== 'POST') return undefined;
  for (const [route, path] of Object.entries(OPERATION_PATHS) as Array<[Route, string]>) {
    if (event.resource === `${base}/${path}`) return route;
  }
  return undefined;
}

type RouteHandler = (
  deps: OperateExecutionDeps,
  event: APIGatewayProxyEvent,
) => Promise<APIGatewayProxyResult>;

const ROUTES: Readonly<Record<Route, RouteHandler>> = {
  list: listExecutions,
  stop: stopExecution,
  redrive: redriveExecution,
  resolve: (deps, event) => settleStep(deps, event, 'resolve'),
  fail: (deps, event) => settleStep(deps, event, 'fail'),
};

// ---------------------------------------------------------------------------------------------
// GET /<resource>
// ---------------------------------------------------------------------------------------------

async function listExecutions(
  deps: OperateExecutionDeps,
  event: APIGatewayProxyEvent,
): Promise<APIGatewayProxyResult> {
  const status = queryValue(event, LIST_QUERY.status);
  const limitText = queryValue(event, LIST_QUERY.limit);
  const nextToken = queryValue(event, LIST_QUERY.nextToken);
  const problems: FieldProblem[] = [];
  const statusFilter = LIST_STATUS_FILTERS.find((candidate) => candidate === status);
  if (status !== undefined && statusFilter === undefined) {
    problems.push({
      field: `query ${LIST_QUERY.status}`,
      problem: `must be one of ${LIST_STATUS_FILTERS.join(', ')}`,
    });
  }
  const limit = limitText === undefined ? LIST_QUERY.defaultLimit : Number(limitText);
  if (limitText !== undefined && (!/^\d{1,3}$/.test(limitText) || limit < 1 || limit > LIST_QUERY.maxLimit)) {
    problems.push({
      field: `query ${LIST_QUERY.limit}`,
      problem: `must be an integer from 1 to ${LIST_QUERY.maxLimit}`,
    });
  }
  if (nextToken !== undefined && (nextToken.length > 3096 || !/^[!-~]+$/.test(nextToken))) {
    problems.push({ field: `query ${LIST_QUERY.nextToken}`, problem: 'is not a token this list gave' });
  }
  if (problems.length > 0)
    throw new ApiError(400, `Query is invalid: ${problems.length} problem(s)`, problems);
  let page: ListExecutionsCommandOutput;
  try {
    page = await deps.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: deps.stateMachineArn,
        maxResults: limit,
        ...(statusFilter === undefined ? {} : { statusFilter }),
        ...(nextToken === undefined ? {} : { nextToken }),
      }),
    );
  } catch (error) {
    if ((error as Error).name === 'InvalidToken') {
      throw new ApiError(400, 'Query is invalid: 1 problem(s)', [
        { field: `query ${LIST_QUERY.nextToken}`, problem: 'is not a token this list gave' },
      ]);
    }
    throw error;
  }
  const executions: ExecutionListItem[] = (page.executions ?? []).map((execution) => ({
    // Executions are named after their correlation ID (start-execution.ts).
    correlation_id: execution.name ?? '',
    execution_arn: execution.executionArn ?? '',
    status: execution.status ?? 'UNKNOWN',
    started_at: execution.startDate?.toISOString() ?? null,
    stopped_at: execution.stopDate?.toISOString() ?? null,
    redrive_count: execution.redriveCount ?? 0,
  }));
  const body: ExecutionList = { executions, ...(page.nextToken ? { next_token: page.nextToken } : {}) };
  return jsonResponse(200, body);
}

/** One query parameter; sent twice with different values is ambiguous, so a 400. */
function queryValue(event: APIGatewayProxyEvent, name: string): string | undefined {
  const values = new Set(event.multiValueQueryStringParameters?.[name] ?? []);
  const single = event.queryStringParameters?.[name];
  if (single !== undefined) values.add(single);
  if (values.size > 1) {
    throw new ApiError(400, `Query parameter ${name} was sent more than once`, [
      { field: `query ${name}`, problem: 'must be sent once' },
    ]);
  }
  return values.values().next().value;
}

// ---------------------------------------------------------------------------------------------
// POST /<resource>/{correlation_id}/stop and /redrive
// ---------------------------------------------------------------------------------------------

async function stopExecution(
  deps: OperateExecutionDeps,
  event: APIGatewayProxyEvent,
): Promise<APIGatewayProxyResult> {
  const record = await executionOf(deps, event);
  const body = operationBody(event, false);
  const problems: FieldProblem[] = [];
  onlyFields(body, ['error', 'cause'], problems);
  const error = stringField(body, 'error', MAX_ERROR_CHARS, false, problems);
  const cause = stringField(body, 'cause', MAX_CAUSE_CHARS, false, problems);
  refuseProblems(problems);
  const execution = await describe(deps, record.executionArn, record.correlationId);
  if (execution.status !== 'RUNNING') {
    throw conflict(
      `Execution '${record.correlationId}' is ${execution.status}, not running`,
      OPERATION_CONFLICTS.notRunning,
      { status: execution.status },
    );
  }
  const stopped = await deps.sfn.send(
    new StopExecutionCommand({
      executionArn: record.executionArn,
      ...(error === undefined ? {} : { error }),
      ...(cause === undefined ? {} : { cause }),
    }),
  );
  return jsonResponse(200, {
    correlation_id: record.correlationId,
    execution_arn: record.executionArn,
    status: 'ABORTED',
    stopped_at: stopped.stopDate?.toISOString() ?? null,
  });
}

async function redriveExecution(
  deps: OperateExecutionDeps,
  event: APIGatewayProxyEvent,
): Promise<APIGatewayProxyResult> {
  const record = await executionOf(deps, event);
  const clientToken = header(event, 'Idempotency-Key');
  if (clientToken !== undefined && !REDRIVE_TOKEN_PATTERN.test(clientToken)) {
    throw new ApiError(400, 'Idempotency-Key header is invalid', [
      { field: 'header Idempotency-Key', problem: 'must be 1-64 printable ASCII characters for a redrive' },
    ]);
  }
  const execution = await describe(deps, record.executionArn, record.correlationId);
  if (execution.status === 'FAILED' && (await compensated(deps.sfn, record.executionArn))) {
    throw conflict(
      `Execution '${record.correlationId}' was compensated: its completed steps were undone, so a redrive would resume a workflow that no longer exists; start a new execution`,
      OPERATION_CONFLICTS.compensated,
    );
  }
  let redriveDate: Date | undefined;
  try {
    ({ redriveDate } = await deps.sfn.send(
      new RedriveExecutionCommand({
        executionArn: record.executionArn,
        ...(clientToken === undefined ? {} : { clientToken }),
      }),
    ));
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ExecutionNotRedrivable') {
      throw conflict(
        `Execution '${record.correlationId}' is not redrivable: ${(error as Error).message}`,
        OPERATION_CONFLICTS.notRedrivable,
        { status: execution.status },
      );
    }
    if (name === 'ThrottlingException' || name === 'ExecutionLimitExceeded') {
      throw new ApiError(503, 'Step Functions is throttling; retry shortly', undefined, {
        'Retry-After': '1',
      });
    }
    throw error;
  }
  return jsonResponse(200, {
    correlation_id: record.correlationId,
    execution_arn: record.executionArn,
    redrive_date: redriveDate?.toISOString() ?? null,
  });
}

/** True when the history ends in COMPENSATED_FAIL_STATE (the last few events, newest first). */
async function compensated(sfn: SFNClient, executionArn: string): Promise<boolean> {
  const { events = [] } = await sfn.send(
    new GetExecutionHistoryCommand({
      executionArn,
      reverseOrder: true,
      maxResults: 10,
      includeExecutionData: false,
    }),
  );
  return endedCompensated([...events].reverse());
}

// ---------------------------------------------------------------------------------------------
// POST /<resource>/{correlation_id}/steps/{step}/resolve and /fail
// ---------------------------------------------------------------------------------------------

async function settleStep(
  deps: OperateExecutionDeps,
  event: APIGatewayProxyEvent,
  how: 'resolve' | 'fail',
): Promise<APIGatewayProxyResult> {
  const step = event.pathParameters?.step ?? '';
  if (!STEP_PARAM_PATTERN.test(step)) {
    throw new ApiError(400, 'step in the path is invalid', [
      { field: 'path step', problem: 'must be 1-80 characters of A-Z a-z 0-9 _ -' },
    ]);
  }
  const record = await executionOf(deps, event);
  const body = operationBody(event, true);
  const problems: FieldProblem[] = [];
  const withToken = (taskToken: string) => {
    if (how === 'resolve') {
      const output = JSON.stringify({
        ...(body.result as Record<string, unknown>),
        [RESOLVED_MANUALLY]: true,
      });
      return new SendTaskSuccessCommand({ taskToken, output });
    }
    return new SendTaskFailureCommand({
      taskToken,
      error: body.error as string,
      ...(typeof body.cause === 'string' ? { cause: body.cause } : {}),
    });
  };
  if (how === 'resolve') {
    onlyFields(body, ['result'], problems);
    const result = body.result;
    if (typeof result !== 'object' || result === null || Array.isArray(result)) {
      problems.push({ field: '/result', problem: 'is required: the step result, a JSON object' });
    } else {
      const size = Buffer.byteLength(JSON.stringify({ ...result, [RESOLVED_MANUALLY]: true }));
      if (size > STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES) {
        throw new ApiError(
          413,
          `The result would be ${size} bytes; Step Functions accepts at most ${STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES}`,
        );
      }
    }
  } else {
    onlyFields(body, ['error', 'cause'], problems);
    stringField(body, 'error', MAX_ERROR_CHARS, true, problems);
    stringField(body, 'cause', MAX_CAUSE_CHARS, false, problems);
  }
  refuseProblems(problems);
  const notAwaiting = conflict(
    `Step '${step}' of execution '${record.correlationId}' is not awaiting an operator`,
    OPERATION_CONFLICTS.notAwaitingOperator,
  );
  const awaiting = await deps.operators.get(record.correlationId, step);
  if (!awaiting) throw notAwaiting;
  const command = withToken(awaiting.taskToken);
  try {
    await deps.sfn.send(command as SendTaskSuccessCommand);
  } catch (error) {
    const name = (error as Error).name;
    // The wait ended meanwhile (timed out, settled by someone else, execution stopped).
    if (name === 'TaskTimedOut' || name === 'InvalidToken' || name === 'TaskDoesNotExist') {
      await deps.operators.delete(record.correlationId, step, awaiting.taskToken);
      throw notAwaiting;
    }
    throw error;
  }
  await deps.operators.delete(record.correlationId, step, awaiting.taskToken);
  return jsonResponse(200, {
    correlation_id: record.correlationId,
    step,
    status: how === 'resolve' ? 'resolved' : 'failed',
  });
}

// ---------------------------------------------------------------------------------------------
// Shared parts
// ---------------------------------------------------------------------------------------------

/** The correlation record of the path's ID, when the caller may operate it (else the 404). */
async function executionOf(deps: OperateExecutionDeps, event: APIGatewayProxyEvent) {
  const correlationId = event.pathParameters?.correlation_id ?? '';
  if (!CORRELATION_ID_PATTERN.test(correlationId)) {
    throw new ApiError(400, 'correlation_id in the path is invalid', [
      { field: 'path correlation_id', problem: 'must be 1-80 characters of A-Z a-z 0-9 _ . -' },
    ]);
  }
  return findExecution(deps.store, correlationId, event);
}

async function describe(
  deps: OperateExecutionDeps,
  executionArn: string,
  correlationId: string,
): Promise<DescribeExecutionCommandOutput> {
  try {
    return await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    // Accepted but never started, or its history expired: as unknown as any other.
    if ((error as Error).name === 'ExecutionDoesNotExist') throw executionNotFound(correlationId);
    throw error;
  }
}

/** The JSON object body; an empty body is `{}` when the route allows it. */
function operationBody(event: APIGatewayProxyEvent, required: boolean): Record<string, unknown> {
  if (!required && (event.body === null || event.body === undefined || event.body.length === 0)) return {};
  const value = readJsonBody(event);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, 'Request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function onlyFields(
  body: Record<string, unknown>,
  allowed: readonly string[],
  problems: FieldProblem[],
): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) problems.push({ field: `/${key}`, problem: 'is not an allowed field' });
  }
}

function stringField(
  body: Record<string, unknown>,
  name: string,
  max: number,
  required: boolean,
  problems: FieldProblem[],
): string | undefined {
  const value = body[name];
  if (value === undefined) {
    if (required) problems.push({ field: `/${name}`, problem: 'is required' });
    return undefined;
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    problems.push({ field: `/${name}`, problem: `must be a string of 1-${max} characters` });
    return undefined;
  }
  return value;
}

function refuseProblems(problems: readonly FieldProblem[]): void {
  if (problems.length > 0) {
    throw new ApiError(400, `Request body is invalid: ${problems.length} problem(s)`, problems);
  }
}

function conflict(message: string, reason: string, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError(409, message, undefined, undefined, { reason, ...extra });
}

let cached: ((event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>) | undefined;

/** The Lambda entry point: configuration and clients are built on the first invocation. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  if (!cached) {
    const config = readOperateConfig();
    const { sfn, store, operators } = createClients(config.tableName);
    cached = createOperateExecutionHandler({
      store,
      operators,
      sfn,
      stateMachineArn: config.stateMachineArn,
      resource: config.resource,
      log: createApiLog('operate-execution', config.logLevel),
    });
  }
  return cached(event);
}
