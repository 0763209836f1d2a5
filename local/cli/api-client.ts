import { LIST_QUERY, OPERATION_PATHS, STATUS_TOKEN_PARAM } from '../../lambdas/contracts.ts';

/** A step as GET /<resource>/{id} reports it. */
export interface StepView {
  readonly name: string;
  /** One of STEP_STATUSES (lambdas/contracts.ts). */
  readonly status: string;
  readonly attempts: number;
  readonly started_at: string | null;
  readonly duration_ms: number | null;
  /** `code` when the message starts with one (`USER_CONFLICT: ...`). */
  readonly error?: { readonly error: string; readonly cause: string; readonly code?: string };
  /** An operator settled it (`resolve`). */
  readonly resolved_manually?: boolean;
  /** Its compensation (`<step> (undo)`): attempts, and the undo's own error when it failed. */
  readonly compensation?: {
    readonly attempts?: number;
    readonly error?: { readonly error: string; readonly cause: string };
  };
}

/** The body of GET /<resource>/{id}. */
export interface ExecutionStatusDocument {
  readonly correlation_id: string;
  readonly status: string;
  readonly started_at: string | null;
  readonly stopped_at: string | null;
  readonly steps: readonly StepView[];
  readonly failed_steps?: readonly string[];
  readonly output?: unknown;
  readonly error?: string | null;
  readonly cause?: string | null;
  /** `succeeded`, `compensated`, `held_for_redrive`, `failed`, ... (absent from older APIs). */
  readonly outcome?: string;
  /** Absent when the API does not link one. */
  readonly console_url?: string;
}

/** One execution of `GET /<resource>` (its name is the correlation ID). */
export interface ExecutionListItem {
  readonly correlation_id: string;
  readonly execution_arn: string;
  readonly status: string;
  readonly started_at: string | null;
  readonly stopped_at: string | null;
  readonly redrive_count?: number;
}

/** The body of `GET /<resource>`: newest first, `next_token` when there is more. */
export interface ExecutionListPage {
  readonly executions: readonly ExecutionListItem[];
  readonly next_token?: string;
}

/** What `GET /<resource>` filters and pages on. */
export interface ListOptions {
  readonly status?: string;
  readonly limit?: number;
  readonly nextToken?: string;
}

/** The JSON answer of an operator route (stop, redrive, resolve, fail); its shape is the API's. */
export type OperationAnswer = Readonly<Record<string, unknown>>;

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
    // A 409 from an operator route names why (`not_redrivable`, `compensated`, ...).
    const reason =
      typeof body === 'object' && body !== null && 'reason' in body && typeof body.reason === 'string'
        ? ` (reason: ${body.reason})`
        : '';
    super(`HTTP ${status}: ${message}${reason}`);
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
  /** `GET <resource>/<id>`, with the status token of `status_url` when given. */
  status(correlationId: string, opts?: { token?: string }): Promise<ExecutionStatusDocument>;
  /** `GET <resource>?status=&limit=&next_token=`: one page. */
  list(opts?: ListOptions): Promise<ExecutionListPage>;
  /** `POST .../{id}/stop`, with StopExecution's optional error and cause. */
  stop(correlationId: string, opts?: { error?: string; cause?: string }): Promise<OperationAnswer>;
  /** `POST .../{id}/redrive`; an Idempotency-Key makes a repeated redrive one redrive. */
  redrive(correlationId: string, opts?: { idempotencyKey?: string }): Promise<OperationAnswer>;
  /** `POST .../{id}/steps/{step}/resolve` with `{result}`: the step continues with that result. */
  resolve(correlationId: string, step: string, result: Record<string, unknown>): Promise<OperationAnswer>;
  /** `POST .../{id}/steps/{step}/fail` with `{error, cause?}`. */
  failStep(
    correlationId: string,
    step: string,
    failure: { error: string; cause?: string },
  ): Promise<OperationAnswer>;
}

/** `{correlation_id}/steps/{step}/resolve` with both filled in, each segment URL-encoded. */
export function operationPath(
  template: (typeof OPERATION_PATHS)[keyof typeof OPERATION_PATHS],
  correlationId: string,
  step = '',
): string {
  return `/${template
    .replace('{correlation_id}', encodeURIComponent(correlationId))
    .replace('{step}', encodeURIComponent(step))}`;
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
    async status(correlationId, opts = {}) {
      const query =
        opts.token === undefined ? '' : `?${new URLSearchParams({ [STATUS_TOKEN_PARAM]: opts.token })}`;
      const result = await call('GET', `/${encodeURIComponent(correlationId)}${query}`);
      return result.body as ExecutionStatusDocument;
    },
    async list(opts = {}) {
      const query = new URLSearchParams();
      if (opts.status !== undefined) query.set(LIST_QUERY.status, opts.status);
      if (opts.limit !== undefined) query.set(LIST_QUERY.limit, String(opts.limit));
      if (opts.nextToken !== undefined) query.set(LIST_QUERY.nextToken, opts.nextToken);
      const text = query.toString();
      const result = await call('GET', text === '' ? '' : `?${text}`);
      return result.body as ExecutionListPage;
    },
    async stop(correlationId, opts = {}) {
      const body = {
        ...(opts.error === undefined ? {} : { error: opts.error }),
        ...(opts.cause === undefined ? {} : { cause: opts.cause }),
      };
      return answerOf(
        await call('POST', operationPath(OPERATION_PATHS.stop, correlationId), JSON.stringify(body)),
      );
    },
    async redrive(correlationId, opts = {}) {
      const headers = opts.idempotencyKey ? { 'Idempotency-Key': opts.idempotencyKey } : {};
      const path = operationPath(OPERATION_PATHS.redrive, correlationId);
      return answerOf(await call('POST', path, '{}', headers));
    },
    async resolve(correlationId, step, result) {
      const path = operationPath(OPERATION_PATHS.resolve, correlationId, step);
      return answerOf(await call('POST', path, JSON.stringify({ result })));
    },
    async failStep(correlationId, step, failure) {
      const path = operationPath(OPERATION_PATHS.fail, correlationId, step);
      return answerOf(await call('POST', path, JSON.stringify(failure)));
    },
  };
}

function answerOf(result: { body: unknown }): OperationAnswer {
  const body = result.body;
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as OperationAnswer) : {};
}

/** The `token` of a `status_url` (`...?token=...`), if it has one. */
export function statusTokenOf(statusUrl: string | undefined): string | undefined {
  if (statusUrl === undefined) return undefined;
  try {
    return new URL(statusUrl, 'http://status.invalid').searchParams.get(STATUS_TOKEN_PARAM) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Whether an execution status is final. */
export function isTerminal(status: string): boolean {
  return status !== 'RUNNING' && status !== 'PENDING_REDRIVE';
}
