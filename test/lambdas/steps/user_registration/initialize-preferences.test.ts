import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RETRYABLE_ERROR } from '../../../../lambdas/contracts.ts';
import type { Env } from '../../../../lambdas/runtime/config.ts';
import { definition } from '../../../../lambdas/steps/user_registration/initialize-preferences.ts';
import { PLAN_DEFAULT_PREFERENCES } from '../../../../lambdas/steps/user_registration/plan-defaults.ts';
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
const prefsState = (plan: string, preferences?: Record<string, boolean>) =>
  registrationState(
    { plan },
    {
      ...(preferences === undefined ? {} : { preferences }),
      steps: { create_user_account: { user_id: `usr_pref_${++nextUser}`, status: 'created' } },
    },
  );

describe('initialize_preferences', () => {
  useStepSuite((harness) => {
    h = harness;
  });

  test('free plan defaults: email notifications on, marketing off, light theme', async () => {
    const state = prefsState('free');
    const result = await invoke(state);
    assert.equal(result.status, 'initialized');
    assert.deepEqual(result.preferences, PLAN_DEFAULT_PREFERENCES.free);
    assert.equal(result.preferences_count, Object.keys(PLAN_DEFAULT_PREFERENCES.free).length);
    const stored = h.sims.counters
      .entities()
      .preferences.find((p) => p.correlation_id === state.correlation_id);
    assert.deepEqual(stored?.preferences, {
      email_notifications: true,
      marketing_emails: false,
      product_updates: false,
      newsletter: false,
      theme: 'light',
    });
  });

  test('the request overrides the plan defaults; paid plans add their own', async () => {
    const result = await invoke(prefsState('enterprise', { marketing_emails: true, newsletter: false }));
    const prefs = result.preferences as Record<string, unknown>;
    assert.equal(prefs.marketing_emails, true);
    assert.equal(prefs.sso, true);
    assert.equal(prefs.product_updates, true);
    const pro = (await invoke(prefsState('pro'))).preferences as Record<string, unknown>;
    assert.equal(pro.weekly_digest, true);
    assert.equal(pro.sso, undefined);
  });

  test('a failing service is retryable (the state machine falls back once retries run out)', async () => {
    h.sims.faults.set('preferences', '*', { kind: 'status', status: 500 });
    const error = await rejection(invoke(prefsState('pro')));
    assert.equal(error.name, RETRYABLE_ERROR);
    assert.match(error.message, /POST \/users\/usr_pref_\d+\/preferences answered 500/);
  });

  test('a write whose response was lost is not applied twice on retry', async () => {
    h.sims.faults.set('preferences', 'POST /users/{id}/preferences', { kind: 'apply_then_drop', times: 1 });
    const state = prefsState('free');
    await rejection(invoke(state));
    await invoke(state, 1);
    const stored = h.sims.counters
      .entities()
      .preferences.find((p) => p.correlation_id === state.correlation_id);
    assert.equal(stored?.writes, 1);
  });
});
