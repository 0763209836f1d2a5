/**
 * Failed flagship registrations end to end on one local runtime (each test's registration has its
 * own correlation ID; faults are cleared after each test).
 *
 * Issue 13 "Done when" (the status-privacy canary, which needs `npm start --require-status-token`,
 * shares the `--no-demo` process of test/e2e/npm-start.test.ts):
 * - a permanent failure at update_user_status ends FAILED after compensation: no active user,
 *   billing profile or welcome sequence is left in the simulators, and redrive is refused (409);
 * - an exhausted retryable failure at the same step ends FAILED with nothing compensated, stays
 *   redrivable, and redrive then succeeds.
 *
 * Issue 10 "Done when": a failed registration, redriven with the real AWS CLI
 * (`aws stepfunctions redrive-execution --endpoint-url <local Step Functions>`) after its fault is
 * cleared, ends SUCCEEDED on the same execution ARN, and the steps that had succeeded do not run
 * again (their service counters stay at 1). Skipped, with the reason printed, when no `aws` on
 * PATH has `stepfunctions redrive-execution` (pyenv's awscli 1.45 has it; Debian's 2.9 lacks it).
 *
 * The faults hit different services (user, then billing), so no breaker opens across tests.
 */
import assert from 'node:assert/strict';
import { afterEach, before, describe, test } from 'node:test';
import { DescribeExecutionCommand, type HistoryEvent, RedriveExecutionCommand } from '@aws-sdk/client-sfn';
import { COMPENSATED_FAIL_STATE } from '../../lambdas/contracts.ts';
import type { LocalRuntime } from '../../local/runtime/index.ts';
import { type Simulators, simulatorsOf } from '../../local/simulators/user_registration/index.ts';
import type { SimulatorEntities } from '../../local/simulators/user_registration/types.ts';
import { waitForTerminal } from '../reliability/support.ts';
import { awsCliSkipReason, awsOutput } from '../support/aws-cli.ts';
import { sharedRuntime } from './shared-runtime.ts';
import { apiClient, historyOf, pollStatus, registrationBody } from './support.ts';

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/** The process's flagship runtime (test/e2e/shared-runtime.ts), reset once for this file. */
let shared: Promise<LocalRuntime> | undefined;
const flagship = (): Promise<LocalRuntime> => {
  shared ??= sharedRuntime();
  return shared;
};

const skip = awsCliSkipReason();

/** `aws <args> --endpoint-url <endpoint> --output json`, parsed. */
const aws = async <T>(endpoint: string, ...args: string[]): Promise<T> =>
  JSON.parse(await awsOutput(endpoint, ...args)) as T;

/** How many times each step's Lambda was scheduled in the history (attempts across redrives). */
function scheduledPerStep(events: readonly HistoryEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) {
    const input =
      event.lambdaFunctionScheduledEventDetails?.input ?? event.taskScheduledEventDetails?.parameters;
    if (!input) continue;
    const parsed = JSON.parse(input) as { step?: string; Payload?: { step?: string } };
    const step = parsed.step ?? parsed.Payload?.step;
    if (step) counts[step] = (counts[step] ?? 0) + 1;
  }
  return counts;
}

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
    runtime = await flagship();
    sims = simulatorsOf(runtime);
  });
  afterEach(() => sims.faults.clear());

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

describe('a failed registration redriven with the real AWS CLI', { skip }, () => {
  let runtime: LocalRuntime;

  before(async () => {
    runtime = await flagship();
  });
  afterEach(() => simulatorsOf(runtime).faults.clear());

  test('ends SUCCEEDED on the same ARN; the steps that had succeeded keep their counters at 1', async () => {
    const sims = simulatorsOf(runtime);
    sims.faults.set('billing', 'POST /profiles', { kind: 'status', status: 503 });
    const { body: started } = await apiClient(runtime.apiUrl).start(
      registrationBody('pro', 'aws-cli-redrive'),
    );
    const arn = started.execution_arn;
    assert.equal(await waitForTerminal(runtime.sfnClient, arn, Date.now() + 60_000), 'FAILED');
    const failed = await aws<{ status: string; redriveStatus?: string }>(
      runtime.sfnEndpoint,
      'stepfunctions',
      'describe-execution',
      '--execution-arn',
      arn,
    );
    assert.deepEqual([failed.status, failed.redriveStatus], ['FAILED', 'REDRIVABLE']);
    const billingBefore = sims.counters.requests({
      correlationId: started.correlation_id,
      service: 'billing',
    });

    sims.faults.clear();
    const redriven = await aws<{ redriveDate?: string }>(
      runtime.sfnEndpoint,
      'stepfunctions',
      'redrive-execution',
      '--execution-arn',
      arn,
    );
    assert.ok(redriven.redriveDate, 'redrive-execution answers a redriveDate');
    assert.equal(await waitForTerminal(runtime.sfnClient, arn, Date.now() + 60_000), 'SUCCEEDED');
    const described = await aws<{ executionArn: string; status: string; redriveCount?: number }>(
      runtime.sfnEndpoint,
      'stepfunctions',
      'describe-execution',
      '--execution-arn',
      arn,
    );
    assert.deepEqual(
      [described.executionArn, described.status, described.redriveCount],
      [arn, 'SUCCEEDED', 1],
    );

    const calls = (service: string, route: string) =>
      sims.counters.requests({ correlationId: started.correlation_id, service, route });
    const counters = {
      create_user: calls('user', 'POST /users'),
      preferences: calls('preferences', 'POST /users/{id}/preferences'),
      billing_after_redrive: calls('billing', 'POST /profiles') - billingBefore,
      welcome: calls('notification', 'POST /notifications/welcome'),
      activate: calls('user', 'PATCH /users/{id}/status'),
    };
    const scheduled = scheduledPerStep(await historyOf(runtime.sfnClient, arn));
    console.log(
      `PROOF aws-cli-redrive: FAILED -> aws stepfunctions redrive-execution -> ${described.status} on the same ARN ` +
        `(redriveCount=${described.redriveCount}); billing calls before=${billingBefore} after=${counters.billing_after_redrive}; ` +
        `create_user=${counters.create_user} preferences=${counters.preferences} welcome=${counters.welcome} activate=${counters.activate}; ` +
        `lambda scheduled per step ${JSON.stringify(scheduled)}`,
    );
    assert.deepEqual(counters, {
      create_user: 1,
      preferences: 1,
      billing_after_redrive: 1,
      welcome: 1,
      activate: 1,
    });
    assert.equal(scheduled.create_user_account, 1, 'create_user_account did not run again');
    assert.equal(scheduled.initialize_preferences, 1, 'the succeeded Parallel branch did not run again');
    assert.deepEqual(sims.counters.duplicates(), []);
  });
});
