import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type HistoryEvent, paginateGetExecutionHistory, type SFNClient } from '@aws-sdk/client-sfn';
import {
  createApiClient,
  type ExecutionApiClient,
  type ExecutionStatusDocument,
  type StartedExecution,
} from '../../local/cli/api-client.ts';
import { followExecution } from '../../local/cli/step-lines.ts';
import { mockFilePath } from '../../local/mocks/load-mocks.ts';

/** One registration run through the API to its end. */
export interface Completed {
  readonly started: StartedExecution;
  readonly status: ExecutionStatusDocument;
}

/** POSTs `body` and polls GET until the execution is terminal (bounded). */
export async function register(
  client: ExecutionApiClient,
  body: unknown,
  opts: { correlationId?: string; idempotencyKey?: string; timeoutMs?: number } = {},
): Promise<Completed> {
  const { correlationId, idempotencyKey } = opts;
  const { body: started } = await client.start(body, {
    ...(correlationId ? { correlationId } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });
  const status = await followExecution(
    () => client.status(started.correlation_id),
    () => {},
    { pollMs: 50, timeoutMs: opts.timeoutMs ?? 60_000 },
  );
  return { started, status };
}

/** A client for the flagship's resource on the runtime's local API. */
export function apiClient(apiUrl: string, resource = 'registrations'): ExecutionApiClient {
  return createApiClient(`${apiUrl}/${resource}`);
}

/** A registration body with a unique email. */
export function registrationBody(
  plan: 'free' | 'pro' | 'enterprise',
  tag: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    user_info: { email: `${tag}@example.com`, name: `User ${tag}`, plan, phone: '+1-555-0100' },
    ...(plan === 'free' ? {} : { billing_info: { payment_method: 'card_visa' } }),
    ...extra,
  };
}

/** The whole history of an execution, through the Step Functions API. */
export async function historyOf(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for await (const page of paginateGetExecutionHistory({ client: sfn, pageSize: 1000 }, { executionArn })) {
    events.push(...(page.events ?? []));
  }
  return events;
}

/**
 * Copies a workflow file into `dir` with its mock file (if it has one), so a test can run it
 * beside others in a config folder of its own. `edit` changes the workflow's text.
 */
export function copyWorkflow(file: string, dir: string, edit?: (yaml: string) => string): void {
  const target = join(dir, basename(file));
  if (edit) writeFileSync(target, edit(readFileSync(file, 'utf8')));
  else copyFileSync(file, target);
  const mocks = mockFilePath(file);
  if (existsSync(mocks)) copyFileSync(mocks, join(dir, basename(mocks)));
}

/** What a finished child process printed and its exit code. */
export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end (killed after `timeoutMs`), collecting its output. */
export function runProcess(
  command: string,
  args: readonly string[],
  opts: { cwd: string; timeoutMs?: number },
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The repository root (where `npx stepflow` resolves the project's bin). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The file package.json's `bin.stepflow` names, which `npx stepflow` runs. */
export const STEPFLOW_BIN = join(REPO_ROOT, 'local', 'cli', 'stepflow.ts');

/**
 * Runs the stepflow CLI in its own process from the repository root, as `npx stepflow <args>`
 * does once npx has found the bin: the bin's file on the Node 24 running the tests. npx itself
 * (npm's start-up, about 1 s of CPU a call) is left out; test/e2e/cli.test.ts runs the real
 * `npx stepflow`, bin resolution included.
 */
export function stepflow(args: readonly string[], timeoutMs = 60_000): Promise<ProcessResult> {
  return runProcess(process.execPath, [STEPFLOW_BIN, ...args], { cwd: REPO_ROOT, timeoutMs });
}

/** A status document as the API answers it (raw JSON: the fields this wave adds included). */
export interface StatusBody {
  readonly correlation_id: string;
  readonly status: string;
  readonly outcome?: string;
  readonly steps: ReadonlyArray<{
    readonly name: string;
    readonly status: string;
    readonly attempts: number;
    readonly error?: unknown;
  }>;
  readonly [field: string]: unknown;
}

/** GET `<resourceUrl>/<id>` (plus `query`), answering the HTTP status and the parsed body. */
export async function getStatus(
  resourceUrl: string,
  id: string,
  query = '',
): Promise<{ status: number; body: StatusBody; text: string }> {
  const res = await fetch(`${resourceUrl}/${encodeURIComponent(id)}${query}`, {
    headers: { Accept: 'application/json' },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: left as text for the assertion message.
  }
  return { status: res.status, body: body as StatusBody, text };
}

/**
 * Polls the status of `id` until `done(document)` holds (bounded); returns that document, or
 * throws with the last one seen.
 */
export async function pollStatus(
  resourceUrl: string,
  id: string,
  done: (doc: StatusBody) => boolean,
  timeoutMs = 60_000,
): Promise<StatusBody> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const { status, body, text } = await getStatus(resourceUrl, id);
    last = `${status} ${text.slice(0, 600)}`;
    if (status === 200 && done(body)) return body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`status of ${id} never matched within ${timeoutMs} ms; last: ${last}`);
}
