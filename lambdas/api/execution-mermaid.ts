import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { renderExecutionMermaid, type StepState, type WorkflowGraph } from '../graph/index.ts';
import { ApiError } from './http.ts';

/** The representations `GET /<resource>/{id}` answers in (`?format=`). */
export const STATUS_FORMATS = ['json', 'mermaid'] as const;

/** One of {@link STATUS_FORMATS}. */
export type StatusFormat = (typeof STATUS_FORMATS)[number];

/** `?format=` of a status request; absent means JSON, anything unknown is a 400 naming the values. */
export function statusFormat(event: APIGatewayProxyEvent): StatusFormat {
  const format = event.queryStringParameters?.format ?? 'json';
  const known = STATUS_FORMATS.find((candidate) => candidate === format);
  if (known === undefined) {
    throw new ApiError(400, 'format in the query is invalid', [
      { field: 'query format', problem: `must be one of ${STATUS_FORMATS.join(', ')}` },
    ]);
  }
  return known;
}

/**
 * The status document as a Mermaid flowchart, each step coloured by its status
 * (`renderExecutionMermaid` in lambdas/graph). Without the workflow's graph (the stack leaves
 * `WORKFLOW_GRAPH` out when it would crowd Lambda's 4 KB environment) the steps the document
 * lists are drawn without their dependency edges.
 */
export function mermaidResponse(
  document: { readonly correlation_id: string; readonly steps: readonly StepState[] },
  workflow: string,
  graph: WorkflowGraph | undefined,
): APIGatewayProxyResult {
  const drawn = graph ?? {
    workflow,
    steps: document.steps.map((step) => ({
      name: step.name,
      dependsOn: [],
      fallback: false,
      honorRetryAfter: false,
      http: false,
    })),
  };
  return {
    statusCode: 200,
    // Mermaid has no registered media type; plain text shows in a browser and pipes into mmdc.
    headers: {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Correlation-ID': document.correlation_id,
    },
    body: renderExecutionMermaid(drawn, document.steps, `${drawn.workflow} ${document.correlation_id}`),
  };
}
