import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ENV,
  IDEMPOTENCY_IN_PROGRESS_ERROR,
  PERMANENT_ERROR,
  RETRYABLE_ERROR,
} from '../../../lambdas/contracts.ts';
import type { Env } from '../../../lambdas/runtime/config.ts';
import {
  definition as createUser,
  STEP,
} from '../../../lambdas/steps/user_registration/create-user-account.ts';
import { definition as setupBilling } from '../../../lambdas/steps/user_registration/setup-billing-profile.ts';
import {
  buildHandler,
  invokeStep,
  lambdaContext,
  registrationState,
  rejection,
  type StepHarness,
  stepEnv,
  stepPayload,
  until,
  useStepSuite,
} from '../step-harness.ts';

let h: StepHarness;
const invoke = (state: Record<string, unknown>, attempt = 0, timeoutMs = 30_000, env: Env = {}) =>
  invokeStep(h, createUser, state, { attempt, timeoutMs, env });
const postsFor = (correlationId: string) =>
  h.sims.counters.requests({ service: 'user', route: 'POST /users', correlationId });

describe('step runtime', () => {
  useStepSuite((harness) => {
    h = harness;
  });

  describe('idempotency', () => {
    test('two concurrent invocations call the service once; the loser is retried into the stored result', async () => {
      const slow = { [ENV.requestTimeoutMs]: '5000' };
      h.sims.faults.set('user', 'POST /users', { kind: 'latency', ms: 200, times: 1 });
      const state = registrationState();
      const [first, second] = await Promise.allSettled([
        invoke(state, 0, 30_000, slow),
        invoke(state, 0, 30_000, slow),
      ]);
      const fulfilled = [first, second].filter((r) => r.status === 'fulfilled');
      const rejected = [first, second].filter((r) => r.status === 'rejected');
      assert.equal(fulfilled.length, 1);
      assert.equal(rejected.length, 1);
      assert.equal((rejected[0] as PromiseRejectedResult).reason.name, IDEMPOTENCY_IN_PROGRESS_ERROR);
      const retried = await invoke(state, 1);
      assert.deepEqual(retried, (fulfilled[0] as PromiseFulfilledResult<unknown>).value);
      assert.equal(postsFor(state.correlation_id), 1);
    });

    test('a duplicate rejected as in progress does not free the key for a third one', async () => {
      // Long enough that both duplicates are rejected while the first call is still at the service.
      h.sims.faults.set('user', 'POST /users', { kind: 'latency', ms: 800, times: 1 });
      const state = registrationState();
      const running = invoke(state, 0, 30_000, { [ENV.requestTimeoutMs]: '5000' });
      await until(() => postsFor(state.correlation_id) === 1);
      assert.equal((await rejection(invoke(state))).name, IDEMPOTENCY_IN_PROGRESS_ERROR);
      assert.equal((await rejection(invoke(state))).name, IDEMPOTENCY_IN_PROGRESS_ERROR);
      await running;
      assert.equal(postsFor(state.correlation_id), 1);
    });

    test("honor_retry_after: in-progress answers are never RetriesExhausted and spend none of the step's retries", async () => {
      const env = { [ENV.honorRetryAfter]: 'true', [ENV.retryLimit]: '2', [ENV.requestTimeoutMs]: '600' };
      // The first invocation holds the record until its call times out (a RetryableError).
      h.sims.faults.set('user', 'POST /users', { kind: 'latency', ms: 1_500, times: 1 });
      const state = registrationState();
      const running = rejection(invoke(state, 0, 30_000, env));
      await until(() => postsFor(state.correlation_id) === 1);
      // RetryCount 1..3, past the limit of 2 from 2 on: the answers stay in-progress.
      const waits = [await rejection(invoke(state, 1, 30_000, env))];
      waits.push(await rejection(invoke(state, 2, 30_000, env)));
      waits.push(await rejection(invoke(state, 3, 30_000, env)));
      assert.deepEqual(
        waits.map((e) => e.name),
        Array(3).fill(IDEMPOTENCY_IN_PROGRESS_ERROR),
      );
      assert.equal((await running).name, RETRYABLE_ERROR);
      // RetryCount 4 less 3 waits: own attempt 1 of the limit 2, so a 503 is still retryable.
      h.sims.faults.set('user', 'POST /users', { kind: 'status', status: 503, times: 1 });
      assert.equal((await rejection(invoke(state, 4, 30_000, env))).name, RETRYABLE_ERROR);
      assert.equal(postsFor(state.correlation_id), 2, 'the duplicates called nothing');
    });

    test('at-least-once delivery: the same attempt delivered twice does one side effect, logged as a replay', async () => {
      const state = registrationState();
      const payload = stepPayload(STEP, state, 0);
      const handler = buildHandler(h, createUser, stepEnv(h, STEP));
      const a = await handler(payload, lambdaContext(STEP));
      const before = h.lines.length;
      const b = await handler(payload, lambdaContext(STEP));
      assert.deepEqual(a, b);
      assert.equal(postsFor(state.correlation_id), 1);
      const replayed = h.lines
        .slice(before)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.correlation_id === state.correlation_id);
      assert.deepEqual(
        replayed.map((line) => line.message),
        ['step started', 'step result replayed from the idempotency store'],
      );
      assert.equal(typeof replayed[1]?.duration_ms, 'number');
    });

    test('a failed attempt releases the key so the retry runs', async () => {
      h.sims.faults.set('user', 'POST /users', { kind: 'status', status: 503, times: 1 });
      const state = registrationState();
      assert.equal((await rejection(invoke(state))).name, RETRYABLE_ERROR);
      assert.equal((await invoke(state, 1)).status, 'created');
      assert.equal(postsFor(state.correlation_id), 2);
    });

    test('running out of Lambda time is a RetryableError and releases the key', async () => {
      h.sims.faults.set('user', 'POST /users', { kind: 'latency', ms: 400, times: 1 });
      const state = registrationState();
      const error = await rejection(invoke(state, 0, 150, { [ENV.requestTimeoutMs]: '5000' }));
      assert.equal(error.name, RETRYABLE_ERROR);
      assert.match(error.message, /^TimeoutError: /);
      assert.equal((await invoke(state, 1)).status, 'created');
      assert.equal(
        h.sims.counters.entities().users.filter((u) => u.correlation_id === state.correlation_id).length,
        1,
      );
    });

    test('steps of one registration have separate keys: the same correlation id runs each step once', async () => {
      const state = registrationState({ plan: 'pro' });
      const user = await invoke(state);
      const withUser = { ...state, steps: { create_user_account: user } };
      const billing = await invokeStep(h, setupBilling, withUser);
      assert.equal(billing.status, 'created');
    });
  });

  describe('correlation, metrics', () => {
    test('sends X-Correlation-ID and one stable Idempotency-Key per (correlation id, step)', async () => {
      h.sims.faults.set('user', 'POST /users', { kind: 'status', status: 500, times: 1 });
      const state = registrationState();
      await rejection(invoke(state));
      await invoke(state, 1);
      const calls = h.sims.counters.log({ route: 'POST /users', correlationId: state.correlation_id });
      assert.equal(calls.length, 2);
      assert.ok(calls[0]?.idempotencyKey);
      assert.equal(calls[0]?.idempotencyKey, calls[1]?.idempotencyKey);
      const other = registrationState();
      await invoke(other);
      const [otherCall] = h.sims.counters.log({ route: 'POST /users', correlationId: other.correlation_id });
      assert.notEqual(otherCall?.idempotencyKey, calls[0]?.idempotencyKey);
    });

    test('custom events become EMF metrics with service and step dimensions, flushed per invocation', async () => {
      const before = h.lines.length;
      await invoke(registrationState());
      const emf = h.lines
        .slice(before)
        .map((line) => JSON.parse(line))
        .filter((line) => line._aws !== undefined);
      assert.equal(emf.length, 1);
      const [doc] = emf;
      assert.deepEqual(doc._aws.CloudWatchMetrics[0].Dimensions, [['service', 'step']]);
      assert.equal(doc.service, 'user');
      assert.equal(doc.step, STEP);
      assert.equal(doc.service_call_started, 1);
      assert.equal(doc.service_call_completed, 1);
    });

    test("the built-in call metrics appear whatever CUSTOM_EVENTS declares (the workflow's own names or none)", async () => {
      for (const declared of ['["order_validated","order_shipped"]', '[]', undefined]) {
        const before = h.lines.length;
        await invoke(registrationState(), 0, 30_000, { [ENV.customEvents]: declared });
        const fresh = h.lines.slice(before);
        const emf = fresh.map((line) => JSON.parse(line)).filter((line) => line._aws !== undefined);
        assert.equal(emf.length, 1, String(declared));
        assert.equal(emf[0].service_call_started, 1, String(declared));
        assert.equal(emf[0].service_call_completed, 1, String(declared));
        assert.doesNotMatch(fresh.join('\n'), /No application metrics/);
      }
    });

    test('a missing SERVICE_URL is a named configuration error', async () => {
      const error = await rejection(
        invoke(registrationState(), 0, 30_000, {
          [ENV.serviceUrl]: undefined,
          [ENV.handlerConfig]: undefined,
        }),
      );
      assert.equal(error.name, PERMANENT_ERROR);
      assert.match(error.message, /^CONFIGURATION_ERROR: SERVICE_URL is not set/);
    });
  });

  describe('configuration seam', () => {
    const call = (handler: ReturnType<typeof buildHandler>, state = registrationState()) =>
      handler(stepPayload(STEP, state), lambdaContext(STEP));

    test('reads its configuration on the first invocation only: a later change is not seen', async () => {
      const env: Record<string, string | undefined> = { ...stepEnv(h, STEP) };
      const handler = buildHandler(h, createUser, env);
      assert.equal((await call(handler)).status, 'created');
      env[ENV.serviceUrl] = 'http://127.0.0.1:1';
      env[ENV.requestTimeoutMs] = 'not a number';
      const state = registrationState();
      assert.equal((await call(handler, state)).status, 'created');
      assert.equal(postsFor(state.correlation_id), 1);
    });

    test('a configuration error fails the invocation and is read again on the next one', async () => {
      const env: Record<string, string | undefined> = { ...stepEnv(h, STEP), [ENV.serviceUrl]: undefined };
      const handler = buildHandler(h, createUser, env);
      assert.match((await rejection(call(handler))).message, /^CONFIGURATION_ERROR: SERVICE_URL is not set/);
      env[ENV.serviceUrl] = h.sims.urls.user;
      assert.equal((await call(handler)).status, 'created');
    });

    test('two handlers in one process keep their own configuration', async () => {
      h.sims.faults.set('user', 'POST /users', { kind: 'latency', ms: 400, times: 2 });
      const impatient = buildHandler(h, createUser, stepEnv(h, STEP, { [ENV.requestTimeoutMs]: '100' }));
      const patient = buildHandler(h, createUser, stepEnv(h, STEP));
      const [timedOut, created] = await Promise.allSettled([call(impatient), call(patient)]);
      assert.equal(timedOut.status, 'rejected');
      assert.match((timedOut as PromiseRejectedResult).reason.message, /timed out after 100 ms/);
      assert.equal(created.status === 'fulfilled' && created.value.status, 'created');
    });
  });
});
