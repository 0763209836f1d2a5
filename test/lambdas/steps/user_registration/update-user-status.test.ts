import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PERMANENT_ERROR, RETRYABLE_ERROR } from '../../../../lambdas/contracts.ts';
import type { Env } from '../../../../lambdas/runtime/config.ts';
import { definition as createUser } from '../../../../lambdas/steps/user_registration/create-user-account.ts';
import {
  definition,
  registrationSummary,
  updateUserStatusInput,
} from '../../../../lambdas/steps/user_registration/update-user-status.ts';
import {
  invokeStep,
  registrationState,
  rejection,
  type StepHarness,
  useStepSuite,
} from '../../step-harness.ts';

let h: StepHarness;
const invoke = (state: Record<string, unknown>, attempt = 0, env: Env = {}) =>
  invokeStep(h, definition, state, { attempt, env });

/** A state as the state machine has it before update_user_status, with a real user. */
async function completedState(plan: string, preferencesResult: Record<string, unknown>) {
  const state = registrationState({ plan });
  const user = await invokeStep(h, createUser, state);
  return {
    ...state,
    steps: {
      create_user_account: user,
      setup_billing_profile:
        plan === 'free'
          ? { billing_required: false, status: 'skipped_free_plan' }
          : { billing_required: true, status: 'created', billing_id: 'bp_000042' },
      initialize_preferences: preferencesResult,
      send_welcome_sequence: { status: 'sent', channels: ['email', 'in_app'] },
    },
  };
}

describe('update_user_status', () => {
  useStepSuite((harness) => {
    h = harness;
  });

  test('activates the user with a registration summary (paid plan: billing id)', async () => {
    const state = await completedState('pro', {
      status: 'initialized',
      preferences: { a: true, b: false, c: 'x' },
    });
    const result = await invoke(state);
    assert.equal(result.status, 'active');
    const summary = result.summary as Record<string, unknown>;
    assert.deepEqual(summary.completed_steps, [
      'create_user_account',
      'setup_billing_profile',
      'initialize_preferences',
      'send_welcome_sequence',
      'update_user_status',
    ]);
    assert.equal(summary.billing_id, 'bp_000042');
    assert.equal(summary.preferences_count, 3);
    assert.deepEqual(summary.notification_channels, ['email', 'in_app']);
    const user = h.sims.counters.entities().users.find((u) => u.id === result.user_id);
    assert.equal(user?.status, 'active');
    assert.equal(user?.activations, 1);
  });

  test('from the preferences fallback: counts the plan defaults and lists the fallback step', async () => {
    const fallback = {
      status: 'defaults_applied',
      preferences_source: 'plan_defaults',
      plan: 'free',
      fallback_used: true,
    };
    const state = await completedState('free', fallback);
    const summary = registrationSummary(updateUserStatusInput.parse(state), new Date('2026-01-01T00:00:00Z'));
    assert.deepEqual(summary.fallback_steps, ['initialize_preferences']);
    assert.equal(summary.preferences_count, 5);
    assert.equal(summary.preferences_source, 'plan_defaults');
    assert.equal(summary.billing_id, undefined);
    assert.equal(summary.activated_at, '2026-01-01T00:00:00.000Z');
    assert.equal((await invoke(state)).status, 'active');
  });

  test('404 (the user does not exist) fails permanently', async () => {
    const state = registrationState({}, { steps: { create_user_account: { user_id: 'usr_missing' } } });
    const error = await rejection(invoke(state));
    assert.equal(error.name, PERMANENT_ERROR);
    assert.match(error.message, /^NOT_FOUND: PATCH \/users\/usr_missing\/status answered 404 USER_NOT_FOUND/);
  });

  test('a retry after a lost response activates the user once', async () => {
    const state = await completedState('free', { status: 'initialized', preferences: {} });
    h.sims.faults.set('user', 'PATCH /users/{id}/status', { kind: 'apply_then_drop', times: 1 });
    assert.equal((await rejection(invoke(state))).name, RETRYABLE_ERROR);
    const result = await invoke(state, 1);
    const user = h.sims.counters.entities().users.find((u) => u.id === result.user_id);
    assert.equal(user?.activations, 1);
    assert.deepEqual(h.sims.counters.duplicates(), []);
  });
});
