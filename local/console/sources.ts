/**
 * Everything the console knows comes through here: the workflow's status API (POST to start,
 * GET `<resource>/{id}` for the status document) and the Step Functions API (ListExecutions,
 * DescribeExecution, GetExecutionHistory), the same two the CLI reads. No state of its own.
 */
import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  type ExecutionStatus,
  type HistoryEvent,
  paginateGetExecutionHistory,
  paginateListExecutions,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { OPERATION_PATHS } from '../../lambdas/contracts.ts';
import type { StepState } from '../../lambdas/graph/index.ts';
import { operationPath } from '../cli/api-client.ts';
import { buildTimeline, parseJsonText, type Timeline } from './timeline.ts';

/** A step as the status document reports it. */
export interface StepStatus extends StepState {
  readonly started_at?: string | null;
  readonly error?: { readonly error: string; readonly cause: string };
}

/** The status document (`GET <resource>/{id}`): only the fields the console reads. */
export interface StatusDocument {
  readonly correlation_id: string;
  readonly status: string;
  readonly execution_arn: string;
  readonly started_at?: string | null;
  readonly stopped_at?: string | null;
  readonly steps: readonly StepStatus[];
  readonly failed_steps?: readonly string[];
  readonly output?: unknown;
  readonly error?: string | null;
  readonly cause?: string | null;
  /** `succeeded`, `compensated`, `held_for_redrive`, ... (absent from older APIs). */
  readonly outcome?: string;
}

/** Everything the execution page shows, sent to the browser as JSON on every change. */
export interface ExecutionView {
  readonly workflow: string;
  readonly correlationId: string;
  readonly executionArn: string;
  readonly status: string;
  readonly startedAt: string | null;
  readonly stoppedAt: string | null;
  readonly steps: readonly StepStatus[];
  readonly failedSteps: readonly string[];
  readonly error: string | null;
  readonly cause: string | null;
  /** The status document's `outcome`, or null when the API gives none. */
  readonly outcome: string | null;
  readonly input: unknown;
  readonly output: unknown;
  readonly timeline: Timeline;
  /** The same execution in the AWS console, when the console was given a base URL. */
  readonly awsConsoleUrl: string | null;
}

/** An answer of the status API that is not 2xx. */
export class ApiAnswerError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown, url: string) {
    const message =
      typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : String(body);
    super(`${url} answered ${status}: ${message}`);
    this.name = 'ApiAnswerError';
    this.status = status;
    this.body = body;
  }
}

/** How the console reaches the API: `fetch`, or one that signs requests for a deployed stack. */
export type ApiFetch = (url: string, init: RequestInit) => Promise<Response>;

/** History pages read at most (1000 events each; a Standard execution has at most 25,000). */
const MAX_HISTORY_PAGES = 26;
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/** Whether an execution status is final. */
export function isFinal(status: string): boolean {
  return TERMINAL.has(status);
}

/** GET `<resourceUrl>/{id}`: the status document, or undefined for a 404. */
export async function readStatus(
  apiFetch: ApiFetch,
  resourceUrl: string,
  correlationId: string,
): Promise<StatusDocument | undefined> {
  const url = `${resourceUrl}/${encodeURIComponent(correlationId)}`;
  const response = await apiFetch(url, {
    headers: { Accept: 'application/json' },
    signal: AbortSignal.timeout(10_000),
  });
  const body = await readJson(response);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new ApiAnswerError(response.status, body, url);
  return body as StatusDocument;
}

/** POST `<resourceUrl>` with `body` (JSON text): the API's own answer, passed through. */
export async function startExecution(
  apiFetch: ApiFetch,
  resourceUrl: string,
  body: string,
): Promise<{ status: number; body: unknown }> {
  const response = await apiFetch(resourceUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, body: await readJson(response) };
}

/** The operator routes the console's buttons call (lambdas/contracts.ts OPERATION_PATHS). */
export const OPERATIONS = ['stop', 'redrive', 'resolve', 'fail'] as const;
export type Operation = (typeof OPERATIONS)[number];

/**
 * POST `<resourceUrl>/{id}/stop|redrive` or `.../steps/{step}/resolve|fail` with `body` (JSON
 * text): the API's own answer, passed through.
 */
export async function operateExecution(
  apiFetch: ApiFetch,
  resourceUrl: string,
  request: { readonly operation: Operation; readonly correlationId: string; readonly step?: string },
  body: string,
): Promise<{ status: number; body: unknown }> {
  const url = `${resourceUrl}${operationPath(OPERATION_PATHS[request.operation], request.correlationId, request.step)}`;
  const response = await apiFetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === '' ? '{}' : body,
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, body: await readJson(response) };
}

/**
 * Executions of a state machine, newest first, through the SDK's ListExecutions paginator.
 *
 * @param limit - executions at most @default 50
 */
export async function listExecutions(
  sfn: SFNClient,
  stateMachineArn: string,
  status?: ExecutionStatus,
  limit = 50,
): Promise<ExecutionListItem[]> {
  const found: ExecutionListItem[] = [];
  const pages = paginateListExecutions(
    { client: sfn, pageSize: Math.min(limit, 100) },
    { stateMachineArn, ...(status ? { statusFilter: status } : {}) },
  );
  for await (const page of pages) {
    found.push(...(page.executions ?? []));
    if (found.length >= limit) break;
  }
  return found.slice(0, limit);
}

/** The whole history of an execution, through the SDK's GetExecutionHistory paginator. */
export async function readHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let pages = 0;
  const paginator = paginateGetExecutionHistory(
    { client: sfn, pageSize: 1000 },
    { executionArn, includeExecutionData: true },
  );
  for await (const page of paginator) {
    events.push(...(page.events ?? []));
    if (++pages >= MAX_HISTORY_PAGES) break;
  }
  return events;
}

/**
 * The execution page's data: the status document from the API (statuses, attempts, durations,
 * errors), then DescribeExecution (input, output) and the history (the timeline) from Step
 * Functions. Undefined when the API does not know the correlation ID.
 */
export async function readExecutionView(
  sources: { readonly apiFetch: ApiFetch; readonly sfn: SFNClient; readonly awsConsoleBase?: string },
  workflow: { readonly name: string; readonly resourceUrl: string },
  correlationId: string,
): Promise<ExecutionView | undefined> {
  const document = await readStatus(sources.apiFetch, workflow.resourceUrl, correlationId);
  if (!document) return undefined;
  const arn = document.execution_arn;
  const [described, events] = await Promise.all([
    sources.sfn.send(new DescribeExecutionCommand({ executionArn: arn })),
    readHistory(sources.sfn, arn),
  ]);
  const running = !isFinal(document.status);
  return {
    workflow: workflow.name,
    correlationId: document.correlation_id,
    executionArn: arn,
    status: document.status,
    startedAt: document.started_at ?? null,
    stoppedAt: document.stopped_at ?? null,
    steps: document.steps,
    failedSteps: document.failed_steps ?? [],
    error: document.error ?? null,
    cause: document.cause ?? null,
    outcome: document.outcome ?? null,
    input: parseJsonText(described.input),
    output: document.output ?? parseJsonText(described.output),
    timeline: buildTimeline(events, { running, stoppedAt: described.stopDate }),
    awsConsoleUrl: sources.awsConsoleBase ? awsConsoleUrl(sources.awsConsoleBase, arn) : null,
  };
}

/**
 * The AWS console's page of an execution.
 *
 * @param base - e.g. `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1`
 */
export function awsConsoleUrl(base: string, executionArn: string): string {
  return `${base.replace(/#.*$/, '')}#/v2/executions/details/${executionArn}`;
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  return parseJsonText(text) ?? text;
}
