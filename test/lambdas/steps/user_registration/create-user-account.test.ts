import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ENV, PERMANENT_ERROR, RETRYABLE_ERROR } from '../../../../lambdas/contracts.ts';
import type { Env } from '../../../../lambdas/runtime/config.ts';
import { definition } from '../../../../lambdas/steps/user_registration/create-user-account.ts';
import {
  invokeStep,
  registrationState,
  rejection,
  type StepHarness,
  until,
  useStepSuite,
} from '../../step-harness.ts';

let h: StepHarness;
const invoke = (state: Record<string, unknown>, attempt = 0, env: Env = {}) =>
  // These tests inject many failures one call at a time; the breaker has its own tests.
  invokeStep(h, definition, state, { attempt, env: { [ENV.circuitBreaker]: 'off', ...env } });
const route = { service: 'user', route: 'POST /users' } as const;

describe('create_user_account', () => {
  useStepSuite((harness) => {
    h = harness;
  });

  test('creates the user and returns its id, status created and the correlation id', async () => {
    const state = registrationState({ plan: 'pro' });
    const result = await invoke(state);
    assert.equal(result.status, 'created');
    assert.match(String(result.user_id), /^usr_/);
    assert.equal(result.correlation_id, state.correlation_id);
    const [request] = h.sims.counters.log({ ...route, correlationId: state.correlation_id });
    assert.ok(request?.idempotencyKey, 'sends an Idempotency-Key');
    const [user] = h.sims.counters.entities().users.filter((u) => u.correlation_id === state.correlation_id);
    assert.equal(user?.plan, 'pro');
  });

  test('409 with the same name and plan is an idempotent success (already_exists)', async () => {
    const first = registrationState();
    const created = await invoke(first);
    const again = { ...first, correlation_id: `${first.correlation_id}_again` };
    const result = await invoke(again);
    assert.equal(result.status, 'already_exists');
    assert.equal(result.user_id, created.user_id);
  });

  test('409 for another name or plan fails permanently with USER_CONFLICT', async () => {
    const first = registrationState();
    await invoke(first);
    const other = registrationState({ email: first.user_info.email, name: 'Someone Else' });
    const error = await rejection(invoke(other));
    assert.equal(error.name, PERMANENT_ERROR);
    assert.match(error.message, /^USER_CONFLICT: /);
    const otherPlan = registrationState({ ...first.user_info, plan: 'enterprise' });
    assert.match((await rejection(invoke(otherPlan))).message, /^USER_CONFLICT/);
  });

  test('names are compared after NFC normalization and trimming: NFD or a trailing space is the same user', async () => {
    const nfc = 'Jos\u00e9 M\u00fcller';
    const first = registrationState({ name: nfc });
    const created = await invoke(first);
    for (const name of [nfc.normalize('NFD'), `  ${nfc} `, `${nfc.normalize('NFD')}\t`]) {
      assert.notEqual(name, nfc);
      const again = registrationState({ ...first.user_info, name });
      const result = await invoke(again);
      assert.equal(result.status, 'already_exists', JSON.stringify(name));
      assert.equal(result.user_id, created.user_id);
    }
    const other = registrationState({ ...first.user_info, name: 'Jose Muller' });
    assert.match((await rejection(invoke(other))).message, /^USER_CONFLICT: /);
  });

  test('a 201 without an id is a PermanentError', async () => {
    h.sims.faults.set('user', 'POST /users', { kind: 'status', status: 201, body: { email: 'x' }, times: 1 });
    const error = await rejection(invoke(registrationState()));
    assert.equal(error.name, PERMANENT_ERROR);
    assert.match(error.message, /INVALID_SERVICE_RESPONSE: POST \/users answered 201 without a user id/);
  });

  const classes: Array<[number, string, RegExp]> = [
    [400, PERMANENT_ERROR, /^SERVICE_VALIDATION_FAILED: POST \/users answered 400/],
    [422, PERMANENT_ERROR, /^SERVICE_VALIDATION_FAILED: POST \/users answered 422/],
    [401, PERMANENT_ERROR, /^SERVICE_AUTH_FAILED/],
    [403, PERMANENT_ERROR, /^SERVICE_AUTH_FAILED/],
    [404, PERMANENT_ERROR, /^NOT_FOUND/],
    [408, RETRYABLE_ERROR, /POST \/users answered 408/],
    [429, RETRYABLE_ERROR, /answered 429/],
    [500, RETRYABLE_ERROR, /answered 500/],
    [502, RETRYABLE_ERROR, /answered 502/],
    [503, RETRYABLE_ERROR, /answered 503/],
    [504, RETRYABLE_ERROR, /answered 504/],
    [418, RETRYABLE_ERROR, /answered 418/],
  ];
  for (const [status, name, message] of classes) {
    test(`HTTP ${status} becomes ${name}`, async () => {
      h.sims.faults.set('user', 'POST /users', { kind: 'status', status, times: 1 });
      const error = await rejection(invoke(registrationState()));
      assert.equal(error.name, name);
      assert.match(error.message, message);
    });
  }

  test('a timeout is retryable, and the retry finds the user the slow call created (one side effect)', async () => {
    const impatient = { [ENV.requestTimeoutMs]: '200' };
    h.sims.faults.set('user', 'POST /users', { kind: 'latency', ms: 500, times: 1 });
    const state = registrationState();
    const error = await rejection(invoke(state, 0, impatient));
    assert.equal(error.name, RETRYABLE_ERROR);
    assert.match(error.message, /timed out after 200 ms/);
    const slowCall = () => h.sims.counters.log({ ...route, correlationId: state.correlation_id })[0];
    await until(() => slowCall()?.outcome !== undefined); // the slow call still writes
    assert.equal(slowCall()?.outcome, 'applied');
    const retried = await invoke(state, 1, impatient);
    assert.equal(retried.status, 'created');
    const users = h.sims.counters.entities().users.filter((u) => u.correlation_id === state.correlation_id);
    assert.equal(users.length, 1);
    assert.equal(
      h.sims.counters.log({ ...route, correlationId: state.correlation_id }).at(-1)?.outcome,
      'replayed',
    );
  });

  test('a dropped connection is retryable', async () => {
    h.sims.faults.set('user', 'POST /users', { kind: 'drop', times: 1 });
    const error = await rejection(invoke(registrationState()));
    assert.equal(error.name, RETRYABLE_ERROR);
    assert.match(error.message, /POST \/users failed/);
  });

  test('a response lost after the write is retried without creating the user twice', async () => {
    h.sims.faults.set('user', 'POST /users', { kind: 'apply_then_drop', times: 1 });
    const state = registrationState();
    assert.equal((await rejection(invoke(state))).name, RETRYABLE_ERROR);
    const result = await invoke(state, 1);
    assert.equal(result.status, 'created');
    assert.equal(
      h.sims.counters.entities().users.filter((u) => u.correlation_id === state.correlation_id).length,
      1,
    );
    assert.deepEqual(h.sims.counters.duplicates(), []);
  });

  test('a repeated invocation returns the stored result without calling the service', async () => {
    const state = registrationState();
    const first = await invoke(state);
    const second = await invoke(state);
    const third = await invoke(state, 2);
    assert.deepEqual(second, first);
    assert.deepEqual(third, first);
    assert.equal(h.sims.counters.requests({ ...route, correlationId: state.correlation_id }), 1);
  });

  test('invalid input fails permanently, naming the field but not its value', async () => {
    const state = registrationState({ email: 'not-an-email' });
    const error = await rejection(invoke(state));
    assert.equal(error.name, PERMANENT_ERROR);
    assert.match(error.message, /^INVALID_INPUT: state\.user_info\.email: /);
    assert.doesNotMatch(error.message, /not-an-email/);
    const missing = await rejection(invokeStep(h, definition, { user_info: {} }));
    assert.match(missing.message, /state\.correlation_id/);
    assert.match(missing.message, /state\.user_info\.name/);
  });

  test('logs carry the contract fields and no email, name or phone in clear', async () => {
    const state = registrationState();
    await invoke(state);
    const lines = h.lines.filter((line) => line.includes(state.correlation_id));
    const call = lines
      .map((line) => JSON.parse(line))
      .find((log) => log.message === 'service call completed');
    assert.ok(call, 'a service call log line');
    for (const field of ['correlation_id', 'workflow', 'step', 'attempt', 'service', 'method', 'path']) {
      assert.ok(field in call, `log has ${field}`);
    }
    assert.equal(call.status_code, 201);
    assert.equal(typeof call.duration_ms, 'number');
    const user = state.user_info as { email: string; name: string; phone: string };
    const all = h.lines.join('\n');
    assert.ok(!all.includes(user.email), 'email in clear');
    assert.ok(!all.includes(user.name), 'name in clear');
    assert.ok(!all.includes(user.phone), 'phone in clear');
  });
});
