import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
  paginateGetExecutionHistory,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { COMPENSATED_FAIL_STATE, type ExecutionOutcome } from '../contracts.ts';
import type { WorkflowGraph } from '../graph/index.ts';
import { type ApiLog, consoleUrlFor, createApiLog, createClients, readStatusConfig } from './api-config.ts';
import { mermaidResponse, statusFormat } from './execution-mermaid.ts';
import { type StepSummary, summarizeSteps } from './execution-steps.ts';
import type { CorrelationRecord, ExecutionStore } from './execution-store.ts';
import { ApiError, CORRELATION_ID_PATTERN, errorResponse, jsonResponse } from './http.ts';
import { executionNotFound, mayAccess } from './status-access.ts';
import { pickAllowedOutput, publicCause } from './status-privacy.ts';

/** What the status handler needs; the Lambda builds it from its environment. */
export interface GetExecutionDeps {
  readonly store: ExecutionStore;
  readonly sfn: SFNClient;
  /** Every step in workflow order, so steps not reached yet are listed as pending. @default [] */
  readonly stepNames?: readonly string[];
  /** Where the handler reports outcomes. @default no logging */
  readonly log?: ApiLog;
  /** Events per GetExecutionHistory page. @default 1000 (the most Step Functions gives) */
  readonly historyPageSize?: number;
  /** Pages read at most. @default 26 (a Standard execution has at most 25,000 events) */
  readonly maxHistoryPages?: number;
  /** The workflow's name, the title of the Mermaid answer. @default 'workflow' */
  readonly workflowName?: string;
  /**
   * The workflow's true dependency graph, for `?format=mermaid`.
   * @default none: the Mermaid answer draws the steps the history shows, without edges
   */
  readonly graph?: WorkflowGraph;
  /**
   * Output paths the status may show (`api.status_output`, env `STATUS_OUTPUT`), e.g.
   * `steps.create_user_account.user_id`. @default [] (no output at all)
   */
  readonly statusOutput?: readonly string[];
}

/**
 * `GET /<resource>/{correlation_id}`: correlation ID -> execution ARN (DynamoDB), then
 * DescribeExecution + GetExecutionHistory, summarized per step. Only the principal that started
 * the execution or a caller with its status token (`?token=`) may read it; anyone else, like an
 * unknown ID, gets the same 404. `?format=mermaid` answers the same status as a Mermaid flowchart.
 */
export function createGetExecutionHandler(
  deps: GetExecutionDeps,
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  return async (event) => {
    try {
      const correlationId = event.pathParameters?.correlation_id ?? '';
      if (!CORRELATION_ID_PATTERN.test(correlationId)) {
        throw new ApiError(400, 'correlation_id in the path is invalid', [
          { field: 'path correlation_id', problem: 'must be 1-80 characters of A-Z a-z 0-9 _ . -' },
        ]);
      }
      const format = statusFormat(event);
      const record = await findExecution(deps.store, correlationId, event);
      const document = await describeExecution(deps, record);
      deps.log?.('debug', 'execution status read', {
        correlation_id: correlationId,
        status: document.status,
        format,
      });
      if (format === 'mermaid') {
        return mermaidResponse(document, deps.workflowName ?? 'workflow', deps.graph);
      }
      return jsonResponse(200, document, { 'X-Correlation-ID': correlationId });
    } catch (error) {
      if (error instanceof ApiError) {
        deps.log?.('warn', 'execution status refused', { status: error.statusCode });
        return errorResponse(error);
      }
      deps.log?.('error', 'execution status failed', { error: (error as Error).name });
      throw error;
    }
  };
}

/**
 * The status document of one execution (the body of a 200): statuses, attempts, timings, error
 * names, codes and masked causes, never the input or output; `output` holds only the allow-listed
 * paths; `error`, `cause` once it ended unsuccessfully.
 */
export interface ExecutionDocument extends Record<string, unknown> {
  readonly correlation_id: string;
  readonly status: string | undefined;
  readonly outcome: ExecutionOutcome;
  readonly steps: readonly StepSummary[];
}

/**
 * The correlation record of `correlationId` when the caller may see it (status-access.ts), else
 * the one 404 of an unknown ID.
 */
export async function findExecution(
  store: ExecutionStore,
  correlationId: string,
  event: APIGatewayProxyEvent,
): Promise<CorrelationRecord> {
  const record = await store.getCorrelation(correlationId);
  if (!record || !mayAccess(record, event)) throw executionNotFound(correlationId);
  return record;
}

/** The status document of one execution (the body of a 200), for a caller already let in. */
export async function describeExecution(
  deps: GetExecutionDeps,
  mapping: CorrelationRecord,
): Promise<ExecutionDocument> {
  const correlationId = mapping.correlationId;
  const notFound = executionNotFound(correlationId);
  let execution: DescribeExecutionCommandOutput;
  try {
    execution = await deps.sfn.send(new DescribeExecutionCommand({ executionArn: mapping.executionArn }));
  } catch (error) {
    // Accepted but never started (the start failed after recording the ID), or history expired.
    if ((error as Error).name === 'ExecutionDoesNotExist') throw notFound;
    throw error;
  }
  const allowed = deps.statusOutput ?? [];
  // Without allow-listed paths to read from a state, the history is read without its data: the
  // status function never receives the inputs and outputs (personal data, up to 256 KB each).
  const events = await readHistory(
    deps,
    mapping.executionArn,
    allowed.length > 0 && execution.status !== 'SUCCEEDED',
  );
  const running = execution.status === 'RUNNING' || execution.status === 'PENDING_REDRIVE';
  const steps = summarizeSteps(events, { running, stoppedAt: execution.stopDate }, deps.stepNames ?? []);
  const document: ExecutionDocument = {
    correlation_id: correlationId,
    status: execution.status,
    outcome: outcomeOf(execution, events),
    started_at: execution.startDate?.toISOString() ?? null,
    stopped_at: execution.stopDate?.toISOString() ?? null,
    execution_arn: mapping.executionArn,
    redrive_count: execution.redriveCount ?? 0,
    steps,
    failed_steps: steps.filter((step) => step.status === 'failed').map((step) => step.name),
    console_url: consoleUrlFor(mapping.executionArn),
  };
  if (allowed.length > 0) {
    const output = pickAllowedOutput(latestState(execution, events), allowed);
    if (output !== undefined) document.output = output;
  }
  if (execution.status !== 'RUNNING' && execution.status !== 'SUCCEEDED') {
    const failure = failureOf(events);
    document.error = execution.error ?? failure?.error ?? null;
    document.cause = publicCause(execution.cause ?? failure?.cause) || null;
  }
  return document;
}

/**
 * How the execution ended, in the terms of compensation and redrive: a FAILED execution whose
 * last state was COMPENSATED_FAIL_STATE was `compensated`; any other FAILED one is
 * `held_for_redrive` while Step Functions still calls it redrivable, `failed` after.
 */
export function outcomeOf(
  execution: Pick<DescribeExecutionCommandOutput, 'status' | 'redriveStatus'>,
  events: readonly HistoryEvent[],
): ExecutionOutcome {
  switch (execution.status) {
    case 'SUCCEEDED':
      return 'succeeded';
    case 'TIMED_OUT':
      return 'timed_out';
    case 'ABORTED':
      return 'aborted';
    case 'FAILED':
      if (endedCompensated(events)) return 'compensated';
      return execution.redriveStatus === 'NOT_REDRIVABLE' ? 'failed' : 'held_for_redrive';
    default:
      return 'running';
  }
}

/** True when the last state the execution entered was the compensation chain's Fail state. */
export function endedCompensated(events: readonly HistoryEvent[]): boolean {
  for (let i = events.length - 1; i >= 0; i--) {
    const name = events[i]?.stateEnteredEventDetails?.name;
    if (name !== undefined) return name === COMPENSATED_FAIL_STATE;
  }
  return false;
}

/**
 * The state document the allow-listed paths are read from: the output of a SUCCEEDED execution,
 * else the output of the last state that exited (the history's data is included).
 */
function latestState(execution: DescribeExecutionCommandOutput, events: readonly HistoryEvent[]): unknown {
  if (execution.status === 'SUCCEEDED' && execution.output !== undefined) return parseJson(execution.output);
  for (let i = events.length - 1; i >= 0; i--) {
    const output = events[i]?.stateExitedEventDetails?.output;
    if (output !== undefined) return parseJson(output);
  }
  return undefined;
}

/** The whole history through the SDK's paginator, bounded by `maxHistoryPages`. */
async function readHistory(
  deps: GetExecutionDeps,
  executionArn: string,
  includeExecutionData: boolean,
): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  const maxPages = deps.maxHistoryPages ?? 26;
  let pages = 0;
  const paginator = paginateGetExecutionHistory(
    { client: deps.sfn, pageSize: deps.historyPageSize ?? 1000 },
    { executionArn, includeExecutionData },
  );
  for await (const page of paginator) {
    events.push(...(page.events ?? []));
    if (++pages >= maxPages) break;
  }
  return events;
}

function failureOf(events: readonly HistoryEvent[]): { error?: string; cause?: string } | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i];
    const details =
      event?.executionFailedEventDetails ??
      event?.executionAbortedEventDetails ??
      event?.executionTimedOutEventDetails;
    if (details)
      return {
        ...(details.error ? { error: details.error } : {}),
        ...(details.cause ? { cause: details.cause } : {}),
      };
  }
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

let cached: ((event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>) | undefined;

/** The Lambda entry point: configuration and clients are built on the first invocation. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  if (!cached) {
    const config = readStatusConfig();
    const { sfn, store } = createClients(config.tableName);
    cached = createGetExecutionHandler({
      store,
      sfn,
      stepNames: config.stepNames,
      workflowName: config.workflowName,
      ...(config.graph === undefined ? {} : { graph: config.graph }),
      statusOutput: config.statusOutput,
      log: createApiLog('get-execution', config.logLevel),
    });
  }
  return cached(event);
}
