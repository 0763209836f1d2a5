/**
 * A service answering slower than the STEP timeout (issue 5, part 1's "responses slower than the
 * step timeout", at the Task level rather than the handler's request timeout): the state machine
 * times the Task out while the Lambda's call is still in flight, the slow write still lands, and
 * the retry must neither fail the registration nor create the user twice.
 *
 * Runs the registration workflow with create_user_account's timeout_seconds lowered to 2 (and its
 * HTTP request timeout raised above that), from a copy of config/ in a temp folder.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { parseDocument } from 'yaml';
import { REPO_ROOT } from '../../infra/build-app.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime/index.ts';
import { simulatorsOf } from '../../local/simulators/user_registration/index.ts';
import { copyWorkflow } from '../e2e/support.ts';
import { findPiiLeaks, registrationBody, waitForTerminal } from './support.ts';

const STEP_TIMEOUT_SECONDS = 2;
/**
 * Longer than the step timeout, so the Task times out first whatever the load: the answer comes
 * this long after the request reached the service, which is after the invocation started.
 */
const SERVICE_LATENCY_MS = 2600;

let runtime: LocalRuntime;
const logLines: string[] = [];
const configDir = mkdtempSync(join(tmpdir(), 'step-timeout-'));

before(async () => {
  const document = parseDocument(readFileSync(join(REPO_ROOT, 'config', 'user_registration.yaml'), 'utf8'));
  const steps = document.get('step_templates') as { items: Array<{ get(key: string): unknown }> };
  const create = steps.items.find((step) => step.get('name') === 'create_user_account') as unknown as {
    set(key: string, value: unknown): void;
    setIn(path: string[], value: unknown): void;
  };
  create.set('timeout_seconds', STEP_TIMEOUT_SECONDS);
  create.setIn(['handler_config', 'request_timeout_seconds'], 10);
  copyWorkflow(join(REPO_ROOT, 'config', 'user_registration.yaml'), configDir, () => document.toString());
  runtime = await startLocalRuntime({ configDir, timeScale: 50, onLog: (line) => logLines.push(line) });
});
after(async () => {
  await runtime?.close();
  rmSync(configDir, { recursive: true, force: true });
});

/** Error names of create_user_account's failed attempts, in order. */
function failedAttempts(events: readonly HistoryEvent[]): string[] {
  return events.flatMap((event) => {
    const details = event.lambdaFunctionFailedEventDetails ?? event.lambdaFunctionTimedOutEventDetails;
    return details ? [details.error ?? '?'] : [];
  });
}

test('a call slower than the step timeout is timed out and retried, and the user is created once', async () => {
  const { body, pii } = registrationBody(1, 'steptimeout', 'free');
  simulatorsOf(runtime).faults.set('user', 'POST /users', {
    kind: 'latency',
    ms: SERVICE_LATENCY_MS,
    times: 1,
  });
  const response = await fetch(`${runtime.apiUrl}/registrations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  assert.equal(response.status, 202);
  const { execution_arn: arn, correlation_id: id } = (await response.json()) as {
    execution_arn: string;
    correlation_id: string;
  };
  const status = await waitForTerminal(runtime.sfnClient, arn, Date.now() + 120_000);
  const errors = failedAttempts(runtime.getExecution(arn)?.events ?? []);
  const doc = (await (await fetch(`${runtime.apiUrl}/registrations/${id}`)).json()) as {
    steps: Array<{ name: string; attempts: number; error?: { error: string; cause: string } }>;
  };
  const step = doc.steps.find((candidate) => candidate.name === 'create_user_account');
  assert.equal(status, 'SUCCEEDED', `attempts failed with ${errors.join(', ')}; ${JSON.stringify(step)}`);
  assert.ok(errors[0] === 'States.Timeout', `the first attempt timed out: ${errors.join(', ')}`);

  // Give the slow write time to land (its request arrived before the end), then count.
  await new Promise((resolve) => setTimeout(resolve, SERVICE_LATENCY_MS));
  const users = simulatorsOf(runtime)
    .counters.entities()
    .users.filter((user) => user.email === pii.email);
  assert.equal(users.length, 1);
  assert.deepEqual(simulatorsOf(runtime).counters.duplicates(), []);
  const calls = simulatorsOf(runtime).counters.requests({ route: 'POST /users', correlationId: id });
  assert.deepEqual(findPiiLeaks(logLines, [pii]), []);
  console.log(
    `step timeout: timeout=${STEP_TIMEOUT_SECONDS}s service_latency=${SERVICE_LATENCY_MS}ms ` +
      `attempts=${step?.attempts} failed_attempts=[${errors.join(', ')}] service_calls=${calls} users=${users.length} duplicates=0`,
  );
});
