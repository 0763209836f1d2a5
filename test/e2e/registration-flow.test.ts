import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import type { ExecutionApiClient } from '../../local/cli/api-client.ts';
import type { LocalRuntime } from '../../local/runtime/index.ts';
import { simulatorsOf } from '../../local/simulators/user_registration/index.ts';
import { executionOutput } from './execution-output.ts';
import { collectLogs, sharedRuntime } from './shared-runtime.ts';
import { apiClient, register, registrationBody } from './support.ts';

/** Workflows that share the config folder (and the local API) with the flagship. */
const EXTRA_WORKFLOWS = ['test/fixtures/workflows/console/n-shape/n_shape.yaml'];
const EXTRA_RESOURCES = ['n_shape /n_shape'];

/**
 * Registrations through the local API on the offline runtime (the synthesized definition on the
 * local engine, the real handlers, dynalite, the simulators), with other workflows in the same
 * config folder: which service calls happen per plan, parallelism, correlation IDs, repeated and
 * conflicting registrations.
 */
describe('registration through the local API, beside other workflows', () => {
  let runtime: LocalRuntime;
  let client: ExecutionApiClient;
  const logLines: string[] = [];
  let stopLogs = (): void => {};

  before(async () => {
    stopLogs = collectLogs(logLines);
    runtime = await sharedRuntime(['config/user_registration.yaml', ...EXTRA_WORKFLOWS]);
    client = apiClient(runtime.apiUrl);
  });
  after(() => stopLogs());

  test('every workflow is served at its own resource', () => {
    assert.deepEqual(
      runtime.workflows.map(
        (workflow) => `${workflow.name} ${workflow.resourceUrl.slice(runtime.apiUrl.length)}`,
      ),
      [...EXTRA_RESOURCES, 'user_registration /registrations'].sort(),
    );
  });

  const callsFor = (correlationId: string) =>
    simulatorsOf(runtime)
      .counters.log({ correlationId })
      .map((record) => `${record.service} ${record.route}`);

  test('a free registration calls the user, preferences and notification services, never billing', async () => {
    const { started, status } = await register(client, registrationBody('free', 'free-1'), {
      correlationId: 'e2e-free-1',
    });
    assert.equal(status.status, 'SUCCEEDED', JSON.stringify(status));
    assert.deepEqual(callsFor('e2e-free-1').sort(), [
      'notification POST /notifications/welcome',
      'preferences POST /users/{id}/preferences',
      'user PATCH /users/{id}/status',
      'user POST /users',
    ]);
    const output = await executionOutput(runtime.sfnClient, started.execution_arn);
    assert.equal(output.steps.setup_billing_profile?.status, 'skipped_free_plan');
  });

  for (const plan of ['pro', 'enterprise'] as const) {
    test(`a ${plan} registration calls each of the four services once per step`, async () => {
      const id = `e2e-${plan}-1`;
      const { status } = await register(client, registrationBody(plan, `${plan}-1`), { correlationId: id });
      assert.equal(status.status, 'SUCCEEDED', JSON.stringify(status));
      assert.deepEqual(callsFor(id).sort(), [
        'billing POST /profiles',
        'notification POST /notifications/welcome',
        'preferences POST /users/{id}/preferences',
        'user PATCH /users/{id}/status',
        'user POST /users',
      ]);
      assert.deepEqual(
        Object.fromEntries(status.steps.map((step) => [step.name, `${step.status} x${step.attempts}`])),
        {
          create_user_account: 'succeeded x1',
          setup_billing_profile: 'succeeded x1',
          initialize_preferences: 'succeeded x1',
          send_welcome_sequence: 'succeeded x1',
          update_user_status: 'succeeded x1',
        },
      );
      const profile = simulatorsOf(runtime)
        .counters.entities()
        .profiles.find((p) => p.correlation_id === id);
      assert.equal(profile?.plan, plan);
    });
  }

  test('billing and preferences really run at the same time', async () => {
    const id = 'e2e-overlap';
    // Both calls take 400 ms, so a sequential run could not overlap them.
    simulatorsOf(runtime).faults.set('billing', 'POST /profiles', { kind: 'latency', ms: 400, times: 1 });
    simulatorsOf(runtime).faults.set('preferences', 'POST /users/{id}/preferences', {
      kind: 'latency',
      ms: 400,
      times: 1,
    });
    try {
      const { status } = await register(client, registrationBody('pro', 'overlap'), { correlationId: id });
      assert.equal(status.status, 'SUCCEEDED');
    } finally {
      simulatorsOf(runtime).faults.clear();
    }
    const [billing] = simulatorsOf(runtime).counters.log({ correlationId: id, service: 'billing' });
    const [prefs] = simulatorsOf(runtime).counters.log({ correlationId: id, service: 'preferences' });
    assert.ok(billing?.endedAt && prefs?.endedAt);
    assert.ok(
      billing.startedAt < prefs.endedAt && prefs.startedAt < billing.endedAt,
      `billing ${billing.startedAt}-${billing.endedAt} and preferences ${prefs.startedAt}-${prefs.endedAt} do not overlap`,
    );
  });

  test("the client's X-Correlation-ID is on every service request and in the status", async () => {
    const id = 'client-chosen-id.42';
    const { started, status } = await register(client, registrationBody('enterprise', 'corr'), {
      correlationId: id,
    });
    assert.equal(started.correlation_id, id);
    assert.equal(status.correlation_id, id);
    const records = simulatorsOf(runtime)
      .counters.log()
      .filter((r) => r.path.includes('corr') || r.correlationId === id);
    assert.equal(records.length, 5);
    for (const record of records) assert.equal(record.correlationId, id, `${record.service} ${record.route}`);
    assert.equal(status.correlation_id, id);
    const output = await executionOutput<{ correlation_id: string }>(
      runtime.sfnClient,
      started.execution_arn,
    );
    assert.equal(output.correlation_id, id);
  });

  test('the same registration again succeeds as already_exists; different data for the email is USER_CONFLICT', async () => {
    const body = registrationBody('pro', 'repeat');
    const first = await register(client, body);
    assert.equal(first.status.status, 'SUCCEEDED');
    const again = await register(client, body);
    assert.equal(again.status.status, 'SUCCEEDED');
    const { steps } = await executionOutput(runtime.sfnClient, again.started.execution_arn);
    assert.equal(steps.create_user_account?.status, 'already_exists');

    const conflicting = registrationBody('pro', 'repeat');
    (conflicting.user_info as Record<string, unknown>).name = 'Someone Else';
    const conflict = await register(client, conflicting);
    assert.equal(conflict.status.status, 'FAILED');
    assert.deepEqual(conflict.status.failed_steps, ['create_user_account']);
    assert.equal(conflict.status.error, 'PermanentError');
    assert.match(conflict.status.cause ?? '', /USER_CONFLICT/);
  });

  test('50 concurrent identical POSTs with one Idempotency-Key start one execution and get identical answers', async () => {
    const body = JSON.stringify(registrationBody('pro', 'fifty'));
    const answers = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const res = await fetch(`${runtime.apiUrl}/registrations`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'e2e-fifty' },
          body,
        });
        return `${res.status} ${await res.text()}`;
      }),
    );
    assert.equal(new Set(answers).size, 1, answers.slice(0, 3).join('\n'));
    assert.match(answers[0]!, /^202 /);
    const { correlation_id: id } = JSON.parse(answers[0]!.slice(4)) as { correlation_id: string };
    const { status } = await register(client, JSON.parse(body), { idempotencyKey: 'e2e-fifty' });
    assert.equal(status.correlation_id, id);
    assert.equal(status.status, 'SUCCEEDED');
    const executions = await runtime.sfnClient.send(
      new ListExecutionsCommand({
        stateMachineArn: runtime.workflow('user_registration').stateMachineArn,
        maxResults: 1000,
      }),
    );
    assert.equal(executions.executions?.filter((e) => e.name === id).length, 1);
    assert.equal(simulatorsOf(runtime).counters.requests({ correlationId: id, route: 'POST /users' }), 1);
  });

  test('no handler log line carries an email, name or phone number', () => {
    assert.ok(logLines.length > 0, 'no log lines were captured');
    const pii = /@example\.com|User (free|pro|enterprise|overlap|corr|repeat)|Someone Else|555-0100/;
    const leaks = logLines.filter((line) => pii.test(line));
    assert.deepEqual(leaks, []);
  });
});
