import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ENV, PERMANENT_ERROR, RETRYABLE_ERROR, undoStepId } from '../../../../lambdas/contracts.ts';
import { deriveIdempotencyKey } from '../../../../lambdas/runtime/http-client.ts';
import type { StepDefinition } from '../../../../lambdas/runtime/step-handler.ts';
import type { StepState } from '../../../../lambdas/runtime/step-lifecycle.ts';
import { definition as createUser } from '../../../../lambdas/steps/user_registration/create-user-account.ts';
import { definition as sendWelcome } from '../../../../lambdas/steps/user_registration/send-welcome-sequence.ts';
import { definition as setupBilling } from '../../../../lambdas/steps/user_registration/setup-billing-profile.ts';
import { definition as undoCreateUser } from '../../../../lambdas/steps/user_registration/undo-create-user-account.ts';
import { definition as undoWelcome } from '../../../../lambdas/steps/user_registration/undo-send-welcome-sequence.ts';
import { definition as undoBilling } from '../../../../lambdas/steps/user_registration/undo-setup-billing-profile.ts';
import { type ScriptedService, useScriptedSuite } from '../../runtime/scripted-service.ts';
import {
  buildHandler,
  invokeStep,
  lambdaContext,
  newCorrelationId,
  type RuntimeHarness,
  registrationState,
  rejection,
  runtimeEnv,
  type StepHarness,
  startStepHarness,
  stepEnv,
  stepPayload,
} from '../../step-harness.ts';

type AnyStep = StepDefinition<never> & StepDefinition<import('zod/mini').ZodMiniType<StepState>>;

/** Each undo module: its definition, its service, a state with the step's result, the call it makes. */
const UNDOS = [
  {
    name: 'undo create_user_account',
    definition: undoCreateUser,
    service: 'user',
    result: { user_id: 'usr_000042', status: 'created' },
    call: 'DELETE /users/usr_000042',
    done: 'deleted',
  },
  {
    name: 'undo setup_billing_profile',
    definition: undoBilling,
    service: 'billing',
    result: { billing_required: true, status: 'created', billing_id: 'bp_000042' },
    call: 'POST /profiles/bp_000042/cancel',
    done: 'cancelled',
  },
  {
    name: 'undo send_welcome_sequence',
    definition: undoWelcome,
    service: 'notification',
    result: { status: 'sent', sequence_id: 'wseq_000042' },
    call: 'POST /notifications/welcome/wseq_000042/cancel',
    done: 'cancelled',
  },
] as const;

describe('undo modules (a real service on 127.0.0.1)', () => {
  let h: RuntimeHarness;
  let service: ScriptedService;
  useScriptedSuite((harness, scripted) => {
    h = harness;
    service = scripted;
  });
  beforeEach(() => {
    service.received.length = 0;
    service.answer(() => ({ status: 200, body: { ok: true } }));
  });

  /** Invokes `definition` as its compensation (or, `forward: true`, as the step itself). */
  function undo(
    definition: AnyStep,
    serviceName: string,
    stepResult: Record<string, unknown>,
    options: { correlationId?: string; forward?: boolean } = {},
  ) {
    const step = definition.step!;
    const handler = buildHandler(h, definition, {
      ...runtimeEnv(h, step),
      [ENV.serviceName]: serviceName,
      [ENV.serviceUrl]: service.url,
      [ENV.circuitBreaker]: 'off',
    });
    const state = {
      ...registrationState({ plan: 'pro' }),
      ...(options.correlationId === undefined ? {} : { correlation_id: options.correlationId }),
      steps: { [step]: stepResult },
    };
    const payload = { ...stepPayload(step, state), step: options.forward ? step : undoStepId(step) };
    return { correlationId: state.correlation_id, result: handler(payload, lambdaContext(step)) };
  }
  const calls = () => service.received.map((request) => `${request.method} ${request.url}`);

  for (const u of UNDOS) {
    const definition = u.definition as unknown as AnyStep;
    const step = definition.step!;

    test(`${u.name}: ${u.call} under the undo's own Idempotency-Key`, async () => {
      const { correlationId, result } = undo(definition, u.service, u.result);
      assert.equal((await result).status, u.done);
      assert.deepEqual(calls(), [u.call]);
      const key = service.received[0]?.headers['idempotency-key'];
      assert.equal(key, deriveIdempotencyKey(correlationId, undoStepId(step)));
      assert.notEqual(key, deriveIdempotencyKey(correlationId, step));
    });

    test(`${u.name}: a 404 is already undone, a success`, async () => {
      service.answer(() => ({ status: 404, body: { error: 'NOT_FOUND' } }));
      assert.equal((await undo(definition, u.service, u.result).result).status, 'already_undone');
    });

    test(`${u.name}: run twice, it calls once (the second run is the stored result)`, async () => {
      const correlationId = newCorrelationId();
      const first = await undo(definition, u.service, u.result, { correlationId }).result;
      const second = await undo(definition, u.service, u.result, { correlationId }).result;
      assert.deepEqual(second, first);
      assert.equal(service.received.length, 1);
    });

    test(`${u.name}: a 503 is retryable, a 422 permanent (the undo's Retrier and Catch decide)`, async () => {
      service.answer(() => ({ status: 503 }));
      assert.equal((await rejection(undo(definition, u.service, u.result).result)).name, RETRYABLE_ERROR);
      service.answer(() => ({ status: 422 }));
      assert.equal((await rejection(undo(definition, u.service, u.result).result)).name, PERMANENT_ERROR);
    });

    test(`${u.name}: invoked as the step itself, it refuses (CONFIGURATION_ERROR) and calls nothing`, async () => {
      const error = await rejection(undo(definition, u.service, u.result, { forward: true }).result);
      assert.equal(error.name, PERMANENT_ERROR);
      assert.match(
        error.message,
        new RegExp(
          `^CONFIGURATION_ERROR: this module undoes step '${step}' and runs only as its compensation`,
        ),
      );
      assert.deepEqual(calls(), []);
    });
  }

  test('what this registration did not make is left alone, without a call', async () => {
    const kept = await undo(undoCreateUser as unknown as AnyStep, 'user', {
      user_id: 'usr_1',
      status: 'already_exists',
    }).result;
    assert.equal(kept.status, 'kept');
    for (const result of [
      { billing_required: false, status: 'skipped_free_plan', plan: 'free' },
      { billing_required: true, status: 'already_exists', billing_id: 'bp_1' },
    ]) {
      const r = await undo(undoBilling as unknown as AnyStep, 'billing', result).result;
      assert.equal(r.status, 'nothing_to_undo');
    }
    const welcome = await undo(undoWelcome as unknown as AnyStep, 'notification', {
      status: 'already_sent',
      sequence_id: 'wseq_1',
    }).result;
    assert.equal(welcome.status, 'nothing_to_undo');
    assert.deepEqual(calls(), []);
  });
});

describe('undo modules against the flagship simulators', () => {
  let h: StepHarness;
  let routesMissing: string | false = false;
  before(async () => {
    h = await startStepHarness();
    // The undo routes come with the simulators' own change (w3-cli); until they are there, say so.
    const probe = await fetch(`${h.sims.urls.user}/users/usr_probe`, { method: 'DELETE' });
    const body = (await probe.json()) as { error?: string };
    if (body.error === 'ROUTE_NOT_FOUND' || probe.status === 405) {
      routesMissing = 'the flagship simulators have no undo routes yet (DELETE /users/{id} ...)';
      console.log(`# skipping the simulator undo tests: ${routesMissing}`);
    }
  });
  after(() => h.close());

  const asUndo = (definition: AnyStep, state: Record<string, unknown>) => {
    const step = definition.step!;
    const handler = buildHandler(h, definition, stepEnv(h, step, { [ENV.circuitBreaker]: 'off' }));
    return handler({ ...stepPayload(step, state), step: undoStepId(step) }, lambdaContext(step));
  };

  test('a paid registration undone: user deleted, billing profile and welcome sequence cancelled, each once', async (t) => {
    if (routesMissing) {
      t.skip(routesMissing);
      return;
    }
    const state = registrationState({ plan: 'pro' });
    const user = await invokeStep(h, createUser, state);
    const withUser = { ...state, steps: { create_user_account: user } };
    const billing = await invokeStep(h, setupBilling, withUser);
    const welcome = await invokeStep(h, sendWelcome, withUser);
    const done = {
      ...state,
      steps: { create_user_account: user, setup_billing_profile: billing, send_welcome_sequence: welcome },
    };
    // Reverse dependency order, as the compensation chain runs them; then all three again.
    for (let round = 0; round < 2; round++) {
      assert.equal((await asUndo(undoWelcome as unknown as AnyStep, done)).status, 'cancelled');
      assert.equal((await asUndo(undoBilling as unknown as AnyStep, done)).status, 'cancelled');
      assert.equal((await asUndo(undoCreateUser as unknown as AnyStep, done)).status, 'deleted');
    }
    const entities = h.sims.counters.entities();
    const statusOf = (list: readonly unknown[], id: unknown) =>
      (list as Array<Record<string, unknown>>).find((entity) => entity.id === id)?.status;
    assert.equal(statusOf(entities.users, user.user_id), 'deleted');
    assert.equal(statusOf(entities.profiles, billing.billing_id), 'cancelled');
    assert.equal(statusOf(entities.welcomeSequences, welcome.sequence_id), 'cancelled');
    const undoCalls = h.sims.counters
      .log({ correlationId: state.correlation_id })
      .filter((call) => call.route.startsWith('DELETE') || call.route.endsWith('/cancel'));
    assert.equal(undoCalls.length, 3, JSON.stringify(undoCalls.map((call) => call.route)));
    // The email is free again: the same person can register anew.
    const again = await invokeStep(h, createUser, registrationState({ ...state.user_info }));
    assert.equal(again.status, 'created');
  });
});
