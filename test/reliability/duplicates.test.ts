/**
 * Duplicate submissions (issue 5, part 2) on the whole offline stack: the local API, the start
 * Lambda, the Step Functions endpoint, the step Lambdas in their sandboxes and the simulators.
 * Duplicates arrive as a client retrying one request, a client reusing a correlation ID, and
 * Step Functions delivering one Lambda invocation twice (at-least-once).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { LocalRuntime } from '../../local/runtime/index.ts';
import { simulatorsOf } from '../../local/simulators/user_registration/index.ts';
import type { ServiceName } from '../../local/simulators/user_registration/types.ts';
import { collectLogs, sharedRuntime } from '../e2e/shared-runtime.ts';
import {
  countExecutions,
  findPiiLeaks,
  type PersonalData,
  registrationBody,
  waitForTerminal,
} from './support.ts';

const STEPS = [
  ['create_user_account', 'POST /users'],
  ['setup_billing_profile', 'POST /profiles'],
  ['initialize_preferences', 'POST /users/{id}/preferences'],
  ['send_welcome_sequence', 'POST /notifications/welcome'],
  ['update_user_status', 'PATCH /users/{id}/status'],
] as const;

const SERVICE_OF: Record<(typeof STEPS)[number][0], ServiceName> = {
  create_user_account: 'user',
  setup_billing_profile: 'billing',
  initialize_preferences: 'preferences',
  send_welcome_sequence: 'notification',
  update_user_status: 'user',
};

/** Every Task state's Lambda ARN by state name, from the definition the runtime runs. */
function taskResources(definition: unknown, out = new Map<string, string>()): Map<string, string> {
  const states = (definition as { States?: Record<string, Record<string, unknown>> }).States ?? {};
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') out.set(name, String(state.Resource));
    for (const branch of (state.Branches as unknown[] | undefined) ?? []) taskResources(branch, out);
  }
  return out;
}

/**
 * How long the first of two simultaneous deliveries stays in its service call. Both start on warm
 * sandboxes (warmTwoSandboxes), so the second reaches its idempotency check within milliseconds;
 * before the warm-up, 2.5 s had to cover a cold start of the second sandbox.
 */
const IN_FLIGHT_MS = 400;

describe('duplicate submissions', () => {
  let runtime: LocalRuntime;
  let stateMachineArn: string;
  const logLines: string[] = [];
  let stopLogs = (): void => {};
  const people: PersonalData[] = [];
  const figures: string[] = [];

  before(async () => {
    // The process's runtime of config/ (test/e2e/shared-runtime.ts): two sandboxes per function
    // whatever the core count, as the at-least-once proof delivers one invocation twice at once.
    stopLogs = collectLogs(logLines);
    runtime = await sharedRuntime();
    stateMachineArn = runtime.workflow('user_registration').stateMachineArn;
  });
  after(() => stopLogs());

  /**
   * Grows a function's pool to two loaded sandboxes (bounded): two invocations at once with an
   * empty payload, which the handler rejects before any service call or record write.
   */
  const warmTwoSandboxes = async (arn: string): Promise<void> => {
    const name = runtime.lambdas.find(arn)?.functionName;
    assert.ok(name, `no function for ${arn}`);
    for (let round = 0; round < 5 && (runtime.lambdas.stats()[name]?.idle ?? 0) < 2; round += 1) {
      await Promise.all([runtime.lambdas.invokeRaw(arn, {}), runtime.lambdas.invokeRaw(arn, {})]);
    }
    assert.equal(runtime.lambdas.stats()[name]?.idle, 2, `${name}: two warm sandboxes`);
  };

  const post = async (body: unknown, headers: Record<string, string>) => {
    const response = await fetch(`${runtime.apiUrl}/registrations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: response.status, text: await response.text() };
  };

  test('50 concurrent POSTs with one Idempotency-Key start one execution and get 50 identical answers', async () => {
    const { body, pii } = registrationBody(1, 'dup', 'pro');
    people.push(pii);
    const executionsBefore = await countExecutions(runtime.sfnClient, stateMachineArn);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => post(body, { 'idempotency-key': 'dup-key-0001' })),
    );
    const distinct = new Set(answers.map((answer) => `${answer.status} ${answer.text}`));
    assert.equal(distinct.size, 1, [...distinct].join('\n'));
    assert.equal(answers[0]!.status, 202);
    const executions = (await countExecutions(runtime.sfnClient, stateMachineArn)) - executionsBefore;
    assert.equal(executions, 1);

    const accepted = JSON.parse(answers[0]!.text) as { correlation_id: string; execution_arn: string };
    const status = await waitForTerminal(runtime.sfnClient, accepted.execution_arn, Date.now() + 60_000);
    assert.equal(status, 'SUCCEEDED');
    const users = simulatorsOf(runtime)
      .counters.entities()
      .users.filter((user) => user.email === pii.email);
    assert.equal(users.length, 1);
    // Replayed after the execution finished too: still the same answer, still one execution.
    const late = await post(body, { 'idempotency-key': 'dup-key-0001' });
    assert.equal(`${late.status} ${late.text}`, [...distinct][0]);
    assert.equal((await countExecutions(runtime.sfnClient, stateMachineArn)) - executionsBefore, 1);
    figures.push(`same_key: posts=51 distinct_answers=${distinct.size} executions=${executions}`);
  });

  test('a reused correlation ID with a different body is rejected, naming the header, and starts nothing', async () => {
    const first = registrationBody(2, 'dup', 'free');
    const other = registrationBody(3, 'dup', 'free');
    people.push(first.pii, other.pii);
    const headers = { 'x-correlation-id': 'dup-corr-0002' };
    const accepted = await post(first.body, headers);
    assert.equal(accepted.status, 202, accepted.text);
    const executionsBefore = await countExecutions(runtime.sfnClient, stateMachineArn);

    const rejected = await post(other.body, headers);
    assert.equal(rejected.status, 409, rejected.text);
    const error = JSON.parse(rejected.text) as { message: string; errors: Array<{ field: string }> };
    assert.match(error.message, /Correlation ID 'dup-corr-0002' already belongs to a different request/);
    assert.deepEqual(
      error.errors.map((problem) => problem.field),
      ['header X-Correlation-ID'],
    );
    // The same ID in the body instead of the header is the same registration identity.
    const inBody = await post({ ...other.body, correlation_id: 'dup-corr-0002' }, {});
    assert.equal(inBody.status, 409, inBody.text);
    // ...while repeating the original request is a harmless retry.
    const repeat = await post(first.body, headers);
    assert.equal(repeat.status, 202, repeat.text);
    assert.equal(
      JSON.parse(repeat.text).execution_arn,
      JSON.parse(accepted.text).execution_arn,
      'a retry names the same execution',
    );
    assert.equal(await countExecutions(runtime.sfnClient, stateMachineArn), executionsBefore);
    const arn = (JSON.parse(accepted.text) as { execution_arn: string }).execution_arn;
    assert.equal(await waitForTerminal(runtime.sfnClient, arn, Date.now() + 60_000), 'SUCCEEDED');
    figures.push('reused_correlation_id: different_body=409 same_body=202 new_executions=0');
  });

  test('each step Lambda delivered twice for the same attempt, at once and again later, applies one side effect', async () => {
    const { body, pii } = registrationBody(4, 'dup', 'enterprise');
    people.push(pii);
    const correlationId = 'dup-delivery-0004';
    const resources = taskResources(runtime.workflow('user_registration').definition);
    const userInfo = body.user_info as Record<string, unknown>;
    const state: Record<string, unknown> = {
      ...body,
      preferences: { marketing_emails: false, product_updates: false, newsletter: false },
      correlation_id: correlationId,
      steps: {},
    };
    const counts: string[] = [];
    let inProgress = 0;
    for (const [step] of STEPS) {
      const arn = resources.get(step);
      assert.ok(arn, `no Task state for ${step}`);
      await warmTwoSandboxes(arn);
    }
    for (const [step, route] of STEPS) {
      const arn = resources.get(step)!;
      const payload = {
        workflow: 'user_registration',
        step,
        attempt: 0,
        execution_id: `arn:aws:states:us-east-1:000000000000:execution:manual:${correlationId}`,
        state,
      };
      // Two deliveries at the same time, each on a warm sandbox: the loser sees the winner's
      // in-progress record. The slow service keeps the first in flight meanwhile.
      const service = SERVICE_OF[step];
      simulatorsOf(runtime).faults.set(service, route, { kind: 'latency', ms: IN_FLIGHT_MS });
      const concurrent = await Promise.all([
        runtime.lambdas.invokeRaw(arn, payload),
        runtime.lambdas.invokeRaw(arn, payload),
      ]);
      simulatorsOf(runtime).faults.clear();
      const results: unknown[] = [];
      for (const outcome of concurrent) {
        if (outcome.ok) results.push(outcome.result);
        else {
          assert.equal(outcome.error.errorType, 'IdempotencyAlreadyInProgressError', JSON.stringify(outcome));
          inProgress += 1;
        }
      }
      assert.ok(results.length >= 1, `${step}: neither delivery succeeded`);
      // A redelivery after the first completed returns the stored result.
      const later = await runtime.lambdas.invokeRaw(arn, payload);
      assert.ok(later.ok, JSON.stringify(later));
      for (const result of results) assert.deepEqual(result, later.result);
      (state.steps as Record<string, unknown>)[step] = later.result;

      const calls = simulatorsOf(runtime).counters.requests({ service, route, correlationId });
      assert.equal(calls, 1, `${step}: 3 deliveries must make exactly 1 service call, made ${calls}`);
      counts.push(`${step}=${calls}`);
    }
    assert.deepEqual(simulatorsOf(runtime).counters.duplicates(), []);
    assert.ok(inProgress >= 1, 'no delivery overlapped another: the concurrent case was not exercised');
    const entities = simulatorsOf(runtime).counters.entities();
    const user = entities.users.find((candidate) => candidate.email === userInfo.email);
    assert.ok(user);
    assert.equal(user.activations, 1);
    assert.equal(entities.profiles.filter((profile) => profile.user_id === user.id).length, 1);
    assert.equal(entities.preferences.find((record) => record.user_id === user.id)?.writes, 1);
    assert.equal(entities.welcomeSequences.filter((sequence) => sequence.user_id === user.id).length, 1);
    figures.push(
      `at_least_once: deliveries_per_step=3 in_progress_rejections=${inProgress} service_calls(${counts.join(' ')})`,
    );
  });

  test('every record written for deduplication expires: idempotency keys and step results in 24 h, correlation IDs in 90 days', async () => {
    const items: Array<Record<string, AttributeValue>> = [];
    let startKey: Record<string, AttributeValue> | undefined;
    for (let page = 0; page < 100; page += 1) {
      const out = await runtime.dynamo.client.send(
        new ScanCommand({
          TableName: runtime.tableName,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
      if (!startKey) break;
    }
    const now = Date.now() / 1000;
    const kinds = new Map<string, number[]>();
    for (const item of items) {
      const pk = item.pk?.S ?? '';
      const kind = pk.startsWith('idempotency#') ? 'step result' : pk.replace(/#.*$/, '#');
      const expiresAt = Number(item.expires_at?.N);
      assert.ok(Number.isFinite(expiresAt) && expiresAt > now, `${pk} ${item.sk?.S}: no future expires_at`);
      kinds.set(kind, [...(kinds.get(kind) ?? []), (expiresAt - now) / 3600]);
    }
    const hours = (kind: string) => kinds.get(kind) ?? [];
    // Within the lifetime give or take a minute: writers round the expiry to whole seconds.
    const within = (values: number[], expected: number) =>
      values.every((h) => h <= expected + 1 / 60 && h > expected - 1);
    assert.ok(
      hours('IDEMPOTENCY#').length > 0 && within(hours('IDEMPOTENCY#'), 24),
      'API idempotency keys: 24 h',
    );
    assert.ok(
      hours('CORRELATION#').length > 0 && within(hours('CORRELATION#'), 90 * 24),
      'correlation IDs: 90 days',
    );
    assert.ok(
      hours('step result').length > 0 && within(hours('step result'), 24),
      `step results: 24 h, got ${hours('step result').map((h) => h.toFixed(3))}`,
    );
    assert.deepEqual([...kinds.keys()].sort(), ['CORRELATION#', 'IDEMPOTENCY#', 'step result']);
    figures.push(
      `ttl: items=${items.length} ${[...kinds].map(([kind, values]) => `${kind}${values.length}x${Math.round(Math.max(...values))}h`).join(' ')}`,
    );
  });

  test('no log line of these runs carries an email, name or phone in clear', () => {
    const leaks = findPiiLeaks(logLines, people);
    const summary = `duplicates: ${figures.join('; ')}; log_lines=${logLines.length} pii_leaks=${leaks.length}`;
    console.log(summary);
    assert.ok(logLines.length > 0);
    assert.deepEqual(leaks.slice(0, 3), []);
  });
});
