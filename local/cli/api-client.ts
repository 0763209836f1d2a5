/** A step as GET /<resource>/{id} reports it. */
export interface StepView {
  readonly name: string;
  readonly status: string;
  readonly attempts: number;
  readonly started_at: string | null;
  readonly duration_ms: number | null;
  readonly error?: { readonly error: string; readonly cause: string };
}

/** The body of GET /<resource>/{id}. */
export interface ExecutionStatusDocument {
  readonly correlation_id: string;
  readonly status: string;
  readonly started_at: string | null;
  readonly stopped_at: string | null;
  readonly steps: readonly StepView[];
  readonly failed_steps: readonly string[];
  readonly output?: unknown;
  readonly error?: string | null;
  readonly cause?: string | null;
  readonly console_url: string;
}

/** The body of a 202 from POST /<resource>. */
export interface StartedExecution {
  readonly correlation_id: string;
  readonly execution_arn: string;
  readonly status_url: string;
}

/** Adds authentication to a request (SigV4 for a deployed stack); identity locally. */
export type RequestSigner = (request: {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
}) => Promise<Record<string, string>>;

/** A non-2xx answer from the API, with its parsed body. */
export class ApiResponseError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown) {
    const message =
      typeof body === 'object' && body !== null && 'message' in body
        ? String(body.message)
        : JSON.stringify(body);
    super(`HTTP ${status}: ${message}`);
    this.name = 'ApiResponseError';
    this.status = status;
    this.body = body;
  }
}

/** A small client for one workflow's API resource, used by the CLI, `npm start` and the e2e tests. */
export interface ExecutionApiClient {
  start(
    body: unknown,
    opts?: { idempotencyKey?: string; correlationId?: string },
  ): Promise<{ status: number; body: StartedExecution }>;
  status(correlationId: string): Promise<ExecutionStatusDocument>;
}

/**
 * Creates a client for the workflow API resource at `resourceUrl`, e.g.
 * `http://127.0.0.1:3000/orders` (`POST` starts, `GET <resourceUrl>/<id>` reports).
 *
 * @param sign adds auth headers to each request @default no signing (the local API)
 * @param timeoutMs per request @default 30000
 */
export function createApiClient(
  resourceUrl: string,
  sign?: RequestSigner,
  timeoutMs = 30_000,
): ExecutionApiClient {
  const base = resourceUrl.replace(/\/+$/, '');
  async function call(method: string, path: string, body?: string, extra: Record<string, string> = {}) {
    const url = new URL(`${base}${path}`);
    let headers: Record<string, string> = { Accept: 'application/json', ...extra };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (sign) headers = await sign({ method, url, headers, body });
    const res = await fetch(url, {
      method,
      headers,
      body: body ?? null,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (a proxy's HTML error page, say): keep the text for the error message.
    }
    if (res.status >= 300) throw new ApiResponseError(res.status, parsed);
    return { status: res.status, body: parsed };
  }
  return {
    async start(body, opts = {}) {
      const headers: Record<string, string> = {};
      if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
      if (opts.correlationId) headers['X-Correlation-ID'] = opts.correlationId;
      const result = await call('POST', '', JSON.stringify(body), headers);
      return { status: result.status, body: result.body as StartedExecution };
    },
    async status(correlationId) {
      const result = await call('GET', `/${encodeURIComponent(correlationId)}`);
      return result.body as ExecutionStatusDocument;
    },
  };
}

/** Whether an execution status is final. */
export function isTerminal(status: string): boolean {
  return status !== 'RUNNING' && status !== 'PENDING_REDRIVE';
}
