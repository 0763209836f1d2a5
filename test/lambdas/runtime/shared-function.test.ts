import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as z from 'zod/mini';
import { ENV, PERMANENT_ERROR } from '../../../lambdas/contracts.ts';
import type { Env } from '../../../lambdas/runtime/config.ts';
import { defineStep } from '../../../lambdas/runtime/step-handler.ts';
import {
  buildHandler,
  lambdaContext,
  newCorrelationId,
  type RuntimeHarness,
  rejection,
  runtimeEnv,
  startRuntimeHarness,
} from '../step-harness.ts';
import { type ScriptedService, startScriptedService } from './scripted-service.ts';

let h: RuntimeHarness;
let first: ScriptedService;
let second: ScriptedService;

/** A step whose payload carries its variables under `vars`, as a function shared by many steps. */
const shared = defineStep({
  inputSchema: z.object({ correlation_id: z.string() }),
  payloadEnv: (event) => (event as { vars?: Env }).vars,
  run: async (_input, ctx) => {
    await ctx.http.request('POST', '/work', { body: {} });
    return { step: ctx.step, service: ctx.config.service };
  },
});

describe('a function shared by many steps (variables in the payload)', () => {
  before(async () => {
    h = await startRuntimeHarness();
    first = await startScriptedService();
    second = await startScriptedService();
  });
  after(async () => {
    await first.close();
    await second.close();
    await h.close();
  });

  test('each invocation runs with its step variables over the environment, with its own records', async () => {
    const { [ENV.stepName]: _step, ...base } = runtimeEnv(h, 'unused');
    const handler = buildHandler(h, shared, { ...base, [ENV.circuitBreaker]: 'off' });
    const vars = (step: string, service: string, url: string): Env => ({
      [ENV.stepName]: step,
      [ENV.serviceName]: service,
      [ENV.serviceUrl]: url,
    });
    const correlationId = newCorrelationId();
    const call = (step: string, v: Env) =>
      handler(
        { workflow: 'w', step, attempt: 0, state: { correlation_id: correlationId }, vars: v },
        lambdaContext(step),
      );
    const a = await call('charge', vars('charge', 'payments', first.url));
    const b = await call('ship', vars('ship', 'shipping', second.url));
    assert.deepEqual([a.step, a.service, b.step, b.service], ['charge', 'payments', 'ship', 'shipping']);
    assert.equal(first.received.length, 1);
    assert.equal(second.received.length, 1);
    // Replays come from each step's own record.
    assert.deepEqual(await call('charge', vars('charge', 'payments', first.url)), a);
    assert.equal(first.received.length, 1);
    const broken = await rejection(call('broken', { [ENV.stepName]: 'broken', [ENV.serviceName]: 'x' }));
    assert.equal(broken.name, PERMANENT_ERROR);
    assert.match(broken.message, /^CONFIGURATION_ERROR: SERVICE_URL is not set/);
  });
});
