/**
 * One local runtime per set of workflows and per process, for the end-to-end files that only need
 * a running runtime (test/tiers.ts runs them together in one process: SHARED_RUNTIME_FILES).
 * Starting a runtime synthesizes the app and loads every function's module, ~5 s of CPU each
 * time; in one process the files that ask for the same workflows get the one runtime.
 *
 * Each file still starts from what its tests assume of a fresh runtime: {@link sharedRuntime}
 * clears every fault and every shared circuit-breaker record (the breaker counts retryable
 * failures across callers for 30 s, so one file's exhausted 503s would open it for the next),
 * and {@link collectLogs} hands each file only the log lines written while it runs. What stays
 * is what the files already tell apart by their own correlation IDs and emails: the simulators'
 * entities and request logs, execution histories, idempotency records. (test/reliability/duplicates
 * checks the expiry of every item in the table, so it covers the records the files before it wrote:
 * a new kind of record must expire too.)
 *
 * The runtimes are closed by a root `after` hook, once every file of the process has run (in a
 * process of its own, when that file is done).
 */

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { DeleteCommand, DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { KEY_PREFIX } from '../../lambdas/contracts.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime/index.ts';
import { copyWorkflow, REPO_ROOT } from './support.ts';

type LogListener = (line: string, functionId: string) => void;

/** The time scale of every shared runtime. */
export const SHARED_TIME_SCALE = 50;

const listeners = new Set<LogListener>();
const runtimes = new Map<string, Promise<LocalRuntime>>();
const scratch: string[] = [];

after(async () => {
  const started = [...runtimes.values()];
  runtimes.clear();
  for (const runtime of started) await (await runtime.catch(() => undefined))?.close();
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function start(workflows: readonly string[]): Promise<LocalRuntime> {
  let configDir: string | undefined;
  if (workflows.length > 0) {
    const dir = mkdtempSync(join(tmpdir(), 'shared-runtime-'));
    scratch.push(dir);
    configDir = join(dir, 'config');
    mkdirSync(configDir);
    for (const file of workflows) copyWorkflow(join(REPO_ROOT, file), configDir);
  }
  return startLocalRuntime({
    ...(configDir ? { configDir } : {}),
    timeScale: SHARED_TIME_SCALE,
    // Two sandboxes per function whatever the core count (the default on 2 cores): the
    // at-least-once proof of test/reliability/duplicates delivers one invocation twice at once.
    maxConcurrencyPerFunction: 2,
    onLog: (line, functionId) => {
      for (const listener of listeners) listener(line, functionId);
    },
  });
}

/** Deletes every shared circuit-breaker record of the runtime's workflows. */
async function resetBreakers(runtime: LocalRuntime): Promise<void> {
  const client = DynamoDBDocumentClient.from(runtime.dynamo.client);
  for (const { tableName } of runtime.workflows) {
    for await (const page of paginateScan(
      { client },
      {
        TableName: tableName,
        FilterExpression: 'begins_with(pk, :breaker)',
        ExpressionAttributeValues: { ':breaker': KEY_PREFIX.breaker },
        ProjectionExpression: 'pk, sk',
      },
    )) {
      for (const key of page.Items ?? [])
        await client.send(new DeleteCommand({ TableName: tableName, Key: key }));
    }
  }
}

/**
 * The process's runtime of `workflows` (repository paths of workflow files, copied with their
 * mocks into a config folder of their own; none: the repository's config/), at time scale 50,
 * with no fault set and no breaker record left by the file before.
 *
 * @example const runtime = await sharedRuntime(['config/user_registration.yaml', N_SHAPE]);
 */
export async function sharedRuntime(workflows: readonly string[] = []): Promise<LocalRuntime> {
  const key = JSON.stringify(workflows);
  let runtime = runtimes.get(key);
  if (!runtime) {
    runtime = start(workflows);
    runtimes.set(key, runtime);
  }
  const running = await runtime;
  for (const services of Object.values(running.services)) services.faults.clear();
  await resetBreakers(running);
  return running;
}

/**
 * Pushes onto `lines` every line the process's shared runtimes' functions write from now until
 * the returned function is called (call it from a `before` hook: a suite's body runs when its
 * file is loaded, before any file's tests).
 *
 * @example before(() => { stop = collectLogs(logLines); }); after(() => stop());
 */
export function collectLogs(lines: string[]): () => void {
  return onSharedLog((line) => lines.push(line));
}

/**
 * Hands `listener` every line the process's shared runtimes' functions write, with the id of the
 * function that wrote it (the runtime's `onLog`), until the returned function is called.
 */
export function onSharedLog(listener: LogListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
