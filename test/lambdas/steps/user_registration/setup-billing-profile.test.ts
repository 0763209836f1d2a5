import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PERMANENT_ERROR, RETRYABLE_ERROR } from '../../../../lambdas/contracts.ts';
import type { Env } from '../../../../lambdas/runtime/config.ts';
import { definition } from '../../../../lambdas/steps/user_registration/setup-billing-profile.ts';
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
  invokeStep(h, definition, state, { attempt, env });
const billingState = (plan: string, userId = `usr_test_${++nextUser}`) =>
  registrationState(
    { plan },
    {
      billing_info: {
        payment_method: 'card_tok_visa',
        billing_address: { street: '1 Main St', city: 'Springfield', state: 'IL', zip: '62701' },
      },
      steps: { create_user_account: { user_id: userId, status: 'created' } },
    },
  );

describe('setup_billing_profile', () => {
  useStepSuite((harness) => {
    h = harness;
  });

  test('free plan: no call, billing not required', async () => {
    const state = billingState('free');
    const result = await invoke(state);
    assert.deepEqual(result, {
      billing_required: false,
      status: 'skipped_free_plan',
      plan: 'free',
      correlation_id: state.correlation_id,
    });
    assert.equal(h.sims.counters.requests({ correlationId: state.correlation_id }), 0);
  });

  for (const [plan, amount] of [
    ['pro', 29.99],
    ['enterprise', 299.99],
  ] as const) {
    test(`${plan} plan: creates a monthly USD profile at ${amount}`, async () => {
      const state = billingState(plan);
      const result = await invoke(state);
      assert.equal(result.billing_required, true);
      assert.equal(result.status, 'created');
      assert.match(String(result.billing_id), /^bp_/);
      assert.equal(result.amount, amount);
      const profile = h.sims.counters
        .entities()
        .profiles.find((p) => p.correlation_id === state.correlation_id);
      assert.deepEqual(
        {
          plan: profile?.plan,
          amount: profile?.amount,
          currency: profile?.currency,
          cycle: profile?.billing_cycle,
        },
        { plan, amount, currency: 'USD', cycle: 'monthly' },
      );
      assert.equal(profile?.payment_method, 'card_tok_visa');
    });
  }

  test('409 (the user already has a profile) is success: already_exists with the existing id', async () => {
    const first = billingState('pro', 'usr_shared');
    const created = await invoke(first);
    const second = billingState('pro', 'usr_shared');
    const result = await invoke(second);
    assert.equal(result.status, 'already_exists');
    assert.equal(result.billing_id, created.billing_id);
    assert.equal(h.sims.counters.entities().profiles.filter((p) => p.user_id === 'usr_shared').length, 1);
  });

  test('422 from billing fails permanently', async () => {
    h.sims.faults.set('billing', 'POST /profiles', { kind: 'status', status: 422, times: 1 });
    const error = await rejection(invoke(billingState('pro')));
    assert.equal(error.name, PERMANENT_ERROR);
    assert.match(error.message, /^SERVICE_VALIDATION_FAILED: POST \/profiles answered 422/);
  });

  test('503 then a retry: one profile', async () => {
    h.sims.faults.set('billing', 'POST /profiles', { kind: 'status', status: 503, times: 1 });
    const state = billingState('enterprise');
    assert.equal((await rejection(invoke(state))).name, RETRYABLE_ERROR);
    assert.equal((await invoke(state, 1)).status, 'created');
    assert.equal(
      h.sims.counters.entities().profiles.filter((p) => p.correlation_id === state.correlation_id).length,
      1,
    );
  });

  test('a paid plan without a user id from create_user_account is invalid input', async () => {
    const state = billingState('pro');
    delete (state as { steps?: unknown }).steps;
    const error = await rejection(invoke(state));
    assert.match(error.message, /^INVALID_INPUT: state\.steps: /);
  });
});
