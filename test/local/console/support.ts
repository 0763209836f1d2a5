/** A local runtime with the console in front of it, for the console tests. */
import { loadWorkflows } from '../../../infra/workflow/index.ts';
import { localConsoleWorkflows } from '../../../local/console/local-workflows.ts';
import { type ConsoleServer, type ConsoleWorkflow, startConsole } from '../../../local/console/server.ts';
import type { StatusDocument } from '../../../local/console/sources.ts';
import {
  type LocalRuntime,
  type LocalRuntimeOptions,
  startLocalRuntime,
} from '../../../local/runtime/index.ts';
import { createStatusChangeHub, type StatusChangeHub } from '../../../local/runtime/status-events.ts';

export const REPO_ROOT = new URL('../../../', import.meta.url).pathname;
/** The non-series-parallel fixture (a->c, b->c, b->d) and its sleep-step handlers. */
export const N_SHAPE_DIR = `${REPO_ROOT}test/fixtures/workflows/console/n-shape`;

/** The runtime and a console showing every workflow it runs. */
export interface ConsoleStack {
  readonly runtime: LocalRuntime;
  readonly console: ConsoleServer;
  /** `<api>/<resource>` of the (single) workflow. */
  readonly resourceUrl: string;
  /** What the console shows (to start another console on the same runtime). */
  readonly workflows: readonly ConsoleWorkflow[];
  /** The runtime's status-change events, as `npm start` hands them to the console. */
  readonly statusChanges: StatusChangeHub;
  close(): Promise<void>;
}

/** Starts the runtime (`configDir` as given, `config/` by default) and a console on a free port. */
export async function startConsoleStack(opts: LocalRuntimeOptions = {}): Promise<ConsoleStack> {
  const statusChanges = createStatusChangeHub();
  const runtime = await startLocalRuntime({
    timeScale: 50,
    ...opts,
    onExecutionStatusChange: (event) => {
      opts.onExecutionStatusChange?.(event);
      statusChanges.publish(event);
    },
  });
  try {
    const workflows = localConsoleWorkflows(runtime, loadWorkflows(opts.configDir ?? `${REPO_ROOT}config`));
    const resourceUrl = workflows[0]!.resourceUrl;
    const server = await startConsole({
      port: 0,
      sfnEndpoint: runtime.sfnEndpoint,
      pollMs: 100,
      statusChanges,
      workflows,
    });
    return {
      runtime,
      console: server,
      resourceUrl,
      workflows,
      statusChanges,
      close: async () => {
        await server.close();
        await runtime.close();
      },
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}

/** POSTs an execution through the API and returns its correlation ID. */
export async function startRun(resourceUrl: string, body: unknown, correlationId: string): Promise<string> {
  const response = await fetch(resourceUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Correlation-ID': correlationId },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { correlation_id?: string };
  if (response.status !== 202 || !answer.correlation_id) {
    throw new Error(`POST ${resourceUrl} answered ${response.status}: ${JSON.stringify(answer)}`);
  }
  return answer.correlation_id;
}

/** Polls the status API until the execution is final (bounded). */
export async function waitForEnd(
  resourceUrl: string,
  id: string,
  timeoutMs = 60_000,
): Promise<StatusDocument> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const document = (await (await fetch(`${resourceUrl}/${id}`)).json()) as StatusDocument;
    if (document.status !== 'RUNNING') return document;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${id} still running after ${timeoutMs} ms`);
}

/** A flagship registration body with a unique email. */
export function registrationBody(tag: string): Record<string, unknown> {
  return {
    user_info: { email: `${tag}@example.com`, name: `User ${tag}`, plan: 'pro' },
    billing_info: { payment_method: 'card_visa' },
  };
}
