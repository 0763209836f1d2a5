import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ENV,
  PERMANENT_ERROR,
  RETRIES_EXHAUSTED_ERROR,
  RETRY_AFTER_TOO_LONG_ERROR,
  RETRYABLE_ERROR,
  retryAfterErrorName,
} from '../../../../lambdas/contracts.ts';
import type { Env } from '../../../../lambdas/runtime/config.ts';
import { definition } from '../../../../lambdas/steps/user_registration/send-welcome-sequence.ts';
import {
  invokeStep,
  registrationState,
  rejection,
  type StepHarness,
  useStepSuite,
} from '../../step-harness.ts';

let h: StepHarness;
let nextUser = 0;
const invoke = (state: Record<string, unknown>, attempt = 0, env: Env = {}) =>
  // These tests inject many failures one call at a time; the breaker has its own tests.
  invokeStep(h, definition, state, { attempt, env: { [ENV.circuitBreaker]: 'off', ...env } });
const FALLBACK = {
  status: 'defaults_applied',
  preferences_source: 'plan_defaults',
  plan: 'pro',
  fallback_used: true,
  error: { Error: RETRYABLE_ERROR, Cause: JSON.stringify({ errorType: RETRYABLE_ERROR }) },
};
const welcomeState = (plan: string, preferencesResult: unknown, userInfo: Record<string, unknown> = {}) =>
  registrationState(
    { plan, ...userInfo },
    {
      steps: {
        create_user_account: { user_id: `usr_welcome_${++nextUser}`, status: 'created' },
        initialize_preferences: preferencesResult,
      },
    },
  );
const stored = (preferences: Record<string, unknown>) => ({ status: 'initialized', preferences });
const retryAfter = (retryAfter: number | string, extra: Record<string, unknown> = {}) =>
  h.sims.faults.set('notification', 'POST /notifications/welcome', {
    kind: 'status',
    status: 429,
    retryAfter,
    times: 1,
    ...extra,
  });

describe('send_welcome_sequence', () => {
  useStepSuite((harness) => {
    h = harness;
  });

  test('free plan: email and in-app with the free template', async () => {
    const state = welcomeState('free', stored({ email_notifications: true }));
    const result = await invoke(state);
    assert.equal(result.status, 'sent');
    assert.deepEqual(result.channels, ['email', 'in_app']);
    assert.equal(result.template, 'welcome_free');
    assert.match(String(result.sequence_id), /^wseq_/);
    const sequence = h.sims.counters
      .entities()
      .welcomeSequences.find((s) => s.correlation_id === state.correlation_id);
    assert.deepEqual(sequence?.channels, ['email', 'in_app']);
  });

  test('enterprise with a phone adds SMS; without a phone it cannot', async () => {
    assert.deepEqual((await invoke(welcomeState('enterprise', stored({})))).channels, [
      'email',
      'in_app',
      'sms',
    ]);
    const noPhone = welcomeState('enterprise', stored({}));
    delete (noPhone.user_info as { phone?: string }).phone;
    assert.deepEqual((await invoke(noPhone)).channels, ['email', 'in_app']);
  });

  test('no email channel when the user turned email notifications off', async () => {
    const result = await invoke(welcomeState('pro', stored({ email_notifications: false })));
    assert.deepEqual(result.channels, ['in_app']);
    assert.equal(result.preferences_source, 'service');
  });

  test('works from the preferences fallback, applying the plan defaults', async () => {
    const result = await invoke(welcomeState('pro', FALLBACK));
    assert.deepEqual(result.channels, ['email', 'in_app']);
    assert.equal(result.preferences_source, 'plan_defaults');
    assert.equal(result.template, 'welcome_pro');
  });

  test('429 with Retry-After in seconds becomes RetryAfter.<bucket>s', async () => {
    retryAfter(2);
    const error = await rejection(invoke(welcomeState('free', FALLBACK)));
    assert.equal(error.name, retryAfterErrorName(2));
    assert.match(error.message, /POST \/notifications\/welcome answered 429/);
    retryAfter(7);
    assert.equal((await rejection(invoke(welcomeState('free', FALLBACK)))).name, retryAfterErrorName(8));
  });

  test('429 with Retry-After as an HTTP date is rounded up to a bucket, never earlier', async () => {
    retryAfter(3, { retryAfterAs: 'http-date' });
    const error = await rejection(invoke(welcomeState('free', FALLBACK)));
    // The date has 1 s resolution, so 3 s ahead is 2 to 3 s away by the time it is read.
    assert.ok([retryAfterErrorName(2), retryAfterErrorName(3)].includes(error.name), error.name);
    retryAfter(new Date(Date.now() - 5000).toUTCString());
    assert.equal((await rejection(invoke(welcomeState('free', FALLBACK)))).name, retryAfterErrorName(1));
  });

  test('503 with Retry-After is honoured too; 500 with Retry-After is plain RetryableError', async () => {
    h.sims.faults.set('notification', '*', { kind: 'status', status: 503, retryAfter: 4, times: 1 });
    assert.equal((await rejection(invoke(welcomeState('free', FALLBACK)))).name, retryAfterErrorName(4));
    h.sims.faults.set('notification', '*', { kind: 'status', status: 500, retryAfter: 4, times: 1 });
    assert.equal((await rejection(invoke(welcomeState('free', FALLBACK)))).name, RETRYABLE_ERROR);
  });

  test('a Retry-After above max_retry_after_seconds is RetryAfterTooLong', async () => {
    retryAfter(61);
    const error = await rejection(invoke(welcomeState('free', FALLBACK)));
    assert.equal(error.name, RETRY_AFTER_TOO_LONG_ERROR);
    assert.match(error.message, /61s, more than the step's maximum of 60s/);
  });

  test('once attempts reach RETRY_LIMIT a retryable failure is RetriesExhausted, keeping the cause', async () => {
    const fiveRetries = { [ENV.retryLimit]: '5' };
    retryAfter(2);
    const error = await rejection(invoke(welcomeState('free', FALLBACK), 5, fiveRetries));
    assert.equal(error.name, RETRIES_EXHAUSTED_ERROR);
    assert.match(error.message, /gave up after 6 attempts: POST \/notifications\/welcome answered 429/);
    h.sims.faults.set('notification', '*', { kind: 'status', status: 400, times: 1 });
    assert.equal(
      (await rejection(invoke(welcomeState('free', FALLBACK), 5, fiveRetries))).name,
      PERMANENT_ERROR,
    );
  });

  test('409 (sequence already sent under another key) is success: already_sent', async () => {
    const first = welcomeState('free', FALLBACK);
    const sent = await invoke(first);
    const again = { ...first, correlation_id: `${first.correlation_id}_b` };
    const result = await invoke(again);
    assert.equal(result.status, 'already_sent');
    assert.equal(result.sequence_id, sent.sequence_id);
  });
});
