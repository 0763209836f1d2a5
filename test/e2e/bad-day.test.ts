/**
 * Issue 13 "Done when", end to end on the local stack:
 * - a canary registration's status carries no email, name, phone, company or address, and
 *   answers the same 404 as an unknown ID without its status token (`npm start
 *   --require-status-token`, so the local API treats no caller as the starter);
 * - a permanent failure at update_user_status ends FAILED after compensation: no active user,
 *   billing profile or welcome sequence is left in the simulators, and redrive is refused (409);
 * - an exhausted retryable failure at the same step ends FAILED with nothing compensated, stays
 *   redrivable, and redrive then succeeds.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { DescribeExecutionCommand, RedriveExecutionCommand } from '@aws-sdk/client-sfn';
import { COMPENSATED_FAIL_STATE } from '../../lambdas/contracts.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime/index.ts';
import { type Simulators, simulatorsOf } from '../../local/simulators/user_registration/index.ts';
import type { SimulatorEntities } from '../../local/simulators/user_registration/types.ts';
import { waitForTerminal } from '../reliability/support.ts';
import { apiClient, copyWorkflow, pollStatus, REPO_ROOT, registrationBody } from './support.ts';

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/** `node local/start.ts <args>` (what `npm start` runs), resolved once it serves. */
async function npmStart(
  args: string[],
): Promise<{ child: ChildProcess; apiUrl: string; output: () => string }> {
  const child = spawn(process.execPath, ['local/start.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  let exited: number | null | undefined;
  child.on('close', (code) => {
    exited = code;
  });
  for (let i = 0; i < 1200 && exited === undefined && !output.includes('Serving until Ctrl-C'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const apiUrl = /Local API +(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  if (exited !== undefined || !apiUrl) {
    child.kill('SIGKILL');
    throw new Error(`npm start ${args.join(' ')} did not serve (exit ${exited}):\n${output}`);
  }
  return { child, apiUrl, output: () => output };
}

describe('status privacy with npm start --require-status-token', () => {
  let server: Awaited<ReturnType<typeof npmStart>> | undefined;
  const scratch = mkdtempSync(join(tmpdir(), 'stepflow-bad-day-'));
  before(async () => {
    copyWorkflow(join(REPO_ROOT, 'config', 'user_registration.yaml'), scratch);
    server = await npmStart([
      '--no-demo',
      '--require-status-token',
      '--port',
      '0',
      '--sfn-port',
      '0',
      '--dynamodb-port',
      '0',
      '--config-dir',
      scratch,
    ]);
  });
  after(async () => {
    if (server) {
      const closed = new Promise((resolve) => server?.child.on('close', resolve));
      server.child.kill('SIGINT');
      await closed;
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  test('a canary registration: its status has no personal data, and without its token the 404 of an unknown ID', async () => {
    const canary = {
      email: 'canary.vexbright@privacy.example.org',
      name: 'Quillonia Canary Vexbright',
      phone: '+1 555 0177 9931',
      company: 'Vexbright Canary Holdings',
      street: '77 Canarywhistle Lane',
      zip: '62799',
    };
    const resource = `${server!.apiUrl}/registrations`;
    const res = await fetch(resource, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        user_info: {
          email: canary.email,
          name: canary.name,
          phone: canary.phone,
          company: canary.company,
          plan: 'pro',
        },
        billing_info: {
          payment_method: 'card_canary',
          billing_address: { street: canary.street, city: 'Springfield', state: 'IL', zip: canary.zip },
        },
      }),
    });
    const startedText = await res.text();
    assert.equal(res.status, 202, startedText);
    const started = JSON.parse(startedText) as { correlation_id: string; status_url: string };
    const statusUrl = new URL(started.status_url, server!.apiUrl);
    assert.match(
      statusUrl.searchParams.get('token') ?? '',
      /^[A-Za-z0-9_-]{43}$/,
      'a 32-byte base64url token',
    );
    const id = started.correlation_id;

    let doc: { status: string } | undefined;
    let text = '';
    for (let i = 0; i < 600 && !TERMINAL.has(doc?.status ?? ''); i++) {
      const answer = await fetch(statusUrl);
      text = await answer.text();
      assert.equal(answer.status, 200, `with its token: ${answer.status} ${text}`);
      doc = JSON.parse(text) as { status: string };
      if (!TERMINAL.has(doc.status)) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(doc?.status, 'SUCCEEDED', text);
    const lower = text.toLowerCase();
    const needles = [
      canary.email,
      encodeURIComponent(canary.email),
      canary.name,
      'Vexbright',
      canary.phone,
      canary.phone.replace(/\D/g, ''),
      canary.company,
      canary.street,
      'Canarywhistle',
      canary.zip,
      'card_canary',
    ];
    const leaked = needles.filter((needle) => lower.includes(needle.toLowerCase()));
    const parsed = JSON.parse(text) as Record<string, unknown>;

    // Without the token, with a wrong one, and for an ID nobody started: the same 404.
    const unknownId = `${id.slice(0, -4)}beef`;
    const answer = async (url: string, ownId: string) => {
      const r = await fetch(url);
      const body = (await r.text()).replaceAll(ownId, '<id>');
      return { status: r.status, type: r.headers.get('content-type'), body };
    };
    const withoutToken = await answer(`${resource}/${id}`, id);
    const wrongToken = await answer(`${resource}/${id}?token=${'A'.repeat(43)}`, id);
    const unknown = await answer(`${resource}/${unknownId}`, unknownId);
    console.log(
      `PROOF status-privacy: with token 200 ${doc?.status}, pii_found=${leaked.length} input_or_output=${'input' in parsed || 'output' in parsed}; ` +
        `without token ${withoutToken.status}, wrong token ${wrongToken.status}, unknown id ${unknown.status}; ` +
        `same body as unknown: ${withoutToken.body === unknown.body && wrongToken.body === unknown.body}`,
    );
    assert.deepEqual(leaked, [], 'the status document carries personal data');
    assert.equal('input' in parsed, false, 'no input in the status document');
    assert.equal('output' in parsed, false, 'no output in the status document');
    assert.equal(unknown.status, 404);
    assert.deepEqual(withoutToken, unknown, 'no token: the 404 of an unknown ID');
    assert.deepEqual(wrongToken, unknown, 'a wrong token: the 404 of an unknown ID');
  });
});

/** Entity statuses that mean "undone" (docs/cli-operations.md, "Undo routes"). */
const UNDONE = new Set(['deleted', 'deactivated', 'cancelled']);
const live = (entity: { status?: string } | undefined) =>
  entity !== undefined && !UNDONE.has(entity.status ?? '');

/** What one registration left in the simulators: its user, billing profile and welcome sequence. */
function leftBy(entities: SimulatorEntities, email: string) {
  const user = entities.users.find((u) => u.email === email);
  const profile = entities.profiles.find((p) => p.user_id === user?.id);
  const welcome = entities.welcomeSequences.find((w) => w.user_id === user?.id) as
    | { status?: string }
    | undefined;
  return { user, profile, welcome };
}

/** Requests of one registration to anything but the five forward routes (the undo routes). */
function undoCalls(sims: Simulators, correlationId: string): string[] {
  const forward = new Set([
    'POST /users',
    'POST /profiles',
    'POST /users/{id}/preferences',
    'POST /notifications/welcome',
    'PATCH /users/{id}/status',
  ]);
  return sims.counters
    .log({ correlationId })
    .filter((r) => !forward.has(r.route) && r.method !== 'GET')
    .map((r) => `${r.service} ${r.route} -> ${r.status}`);
}

describe('a failed registration: compensated when permanent, held for redrive when exhausted', () => {
  let runtime: LocalRuntime;
  let sims: Simulators;
  before(async () => {
    runtime = await startLocalRuntime({ timeScale: 50 });
    sims = simulatorsOf(runtime);
  });
  afterEach(() => sims.faults.clear());
  after(() => runtime?.close());

  const describeExecution = (executionArn: string) =>
    runtime.sfnClient.send(new DescribeExecutionCommand({ executionArn }));
  const resource = () => runtime.workflow('user_registration').resourceUrl;

  test('a permanent 422 at update_user_status: FAILED with the original error, no active user, billing profile or welcome left', async () => {
    sims.faults.set('user', 'PATCH /users/{id}/status', {
      kind: 'status',
      status: 422,
      body: { error: 'ACCOUNT_LOCKED' },
    });
    const body = registrationBody('pro', 'bad-day-permanent');
    const email = (body.user_info as { email: string }).email;
    const { body: started } = await apiClient(runtime.apiUrl).start(body);
    const id = started.correlation_id;
    const doc = await pollStatus(resource(), id, (d) => TERMINAL.has(d.status));
    assert.equal(doc.status, 'FAILED', JSON.stringify(doc));
    const described = await describeExecution(started.execution_arn);
    const left = leftBy(sims.counters.entities(), email);
    const undone = undoCalls(sims, id);
    const statuses = Object.fromEntries(doc.steps.map((step) => [step.name, step.status]));
    const redrive = await fetch(`${resource()}/${id}/redrive`, { method: 'POST' });
    const redriveText = await redrive.text();
    // A wrongly accepted redrive must not run on into the next test (the breaker is shared).
    if (redrive.status < 300)
      await waitForTerminal(runtime.sfnClient, started.execution_arn, Date.now() + 60_000);
    console.log(
      `PROOF compensation: 422 at update_user_status -> ${described.status} ${described.error} (outcome ${doc.outcome}); ` +
        `user=${left.user?.status} profile=${left.profile?.status} welcome=${left.welcome?.status}; ` +
        `undo calls ${undone.length} [${undone.join('; ')}]; steps ${JSON.stringify(statuses)}; redrive ${redrive.status}`,
    );
    assert.equal(described.error, 'PermanentError', 'the original error');
    assert.match(described.cause ?? '', /422/);
    assert.equal(doc.outcome, 'compensated');
    assert.ok(left.user, 'the user was created before the failure');
    assert.equal(live(left.user), false, `user left ${left.user?.status}`);
    assert.equal(live(left.profile), false, `billing profile left ${left.profile?.status}`);
    assert.equal(live(left.welcome), false, `welcome sequence left ${left.welcome?.status}`);
    assert.deepEqual(
      {
        create_user_account: statuses.create_user_account,
        setup_billing_profile: statuses.setup_billing_profile,
        send_welcome_sequence: statuses.send_welcome_sequence,
        update_user_status: statuses.update_user_status,
      },
      {
        create_user_account: 'compensated',
        setup_billing_profile: 'compensated',
        send_welcome_sequence: 'compensated',
        update_user_status: 'failed',
      },
    );
    const events = runtime.getExecution(started.execution_arn)?.events ?? [];
    assert.ok(
      events.some((event) => event.stateEnteredEventDetails?.name === COMPENSATED_FAIL_STATE),
      `the execution ended in '${COMPENSATED_FAIL_STATE}'`,
    );
    assert.equal(redrive.status, 409, redriveText);
    assert.match(redriveText, /compensated/i);
    assert.deepEqual(sims.counters.duplicates(), []);
  });

  test('an exhausted 503 at update_user_status: FAILED, nothing compensated, redrivable, and the redrive succeeds', async () => {
    sims.faults.set('user', 'PATCH /users/{id}/status', { kind: 'status', status: 503 });
    const body = registrationBody('pro', 'bad-day-exhausted');
    const email = (body.user_info as { email: string }).email;
    const { body: started } = await apiClient(runtime.apiUrl).start(body);
    const id = started.correlation_id;
    const doc = await pollStatus(resource(), id, (d) => TERMINAL.has(d.status));
    assert.equal(doc.status, 'FAILED', JSON.stringify(doc));
    const described = await describeExecution(started.execution_arn);
    const left = leftBy(sims.counters.entities(), email);
    const undone = undoCalls(sims, id);
    const compensated = doc.steps.filter((step) => step.status.startsWith('compensat')).map((s) => s.name);
    // The calls that reached the service (the status's attempts also count waits on an open breaker).
    const attempts = sims.counters.requests({ correlationId: id, route: 'PATCH /users/{id}/status' });

    sims.faults.clear();
    await runtime.sfnClient.send(new RedriveExecutionCommand({ executionArn: started.execution_arn }));
    const final = await waitForTerminal(runtime.sfnClient, started.execution_arn, Date.now() + 60_000);
    const after = leftBy(sims.counters.entities(), email);
    console.log(
      `PROOF held-for-redrive: 503 x${attempts} at update_user_status -> ${described.status} ${described.error} ` +
        `(outcome ${doc.outcome}, ${described.redriveStatus}); undo calls ${undone.length}, compensated steps ${compensated.length}; ` +
        `left user=${left.user?.status} profile=${left.profile?.status} welcome=${left.welcome?.status}; redrive -> ${final}, user ${after.user?.status}`,
    );
    assert.equal(described.error, 'RetryableError');
    assert.equal(attempts, 3, 'default_retry_limit 2 + 1 calls');
    assert.equal(doc.outcome, 'held_for_redrive');
    assert.equal(described.redriveStatus, 'REDRIVABLE');
    assert.deepEqual(undone, [], 'no compensation called a service');
    assert.deepEqual(compensated, []);
    assert.equal(left.user?.status, 'pending', 'the user is kept for the redrive');
    assert.equal(live(left.profile), true);
    assert.equal(live(left.welcome), true);
    assert.equal(final, 'SUCCEEDED');
    assert.equal(after.user?.status, 'active');
    assert.equal(sims.counters.requests({ correlationId: id, route: 'POST /users' }), 1);
    assert.deepEqual(sims.counters.duplicates(), []);
  });
});
