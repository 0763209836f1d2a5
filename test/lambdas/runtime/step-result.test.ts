import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as z from 'zod/mini';
import { ENV } from '../../../lambdas/contracts.ts';
import { defineStep } from '../../../lambdas/runtime/step-handler.ts';
import {
  buildHandler,
  lambdaContext,
  newCorrelationId,
  type RuntimeHarness,
  runtimeEnv,
} from '../step-harness.ts';
import { type ScriptedService, useScriptedSuite } from './scripted-service.ts';

let h: RuntimeHarness;
let service: ScriptedService;

const STEP = 'create_profile';
/** A step whose service answered without an id: the result has undefined values. */
const sparse = defineStep({
  step: STEP,
  inputSchema: z.object({ correlation_id: z.string() }),
  run: async (_input, ctx) => {
    const { body } = await ctx.http.request<{ id?: string }>('POST', '/profiles', { body: {} });
    return { profile_id: body.id, nested: { note: undefined, n: 1 }, list: [1, undefined] };
  },
});

describe('step results', () => {
  useScriptedSuite((harness, scripted) => {
    h = harness;
    service = scripted;
  });

  test('undefined values are dropped as the Lambda runtime would, so the result is stored and replayed', async () => {
    service.answer(() => ({ status: 201, body: {} }));
    const handler = buildHandler(h, sparse, {
      ...runtimeEnv(h, STEP),
      [ENV.serviceName]: 'profiles',
      [ENV.serviceUrl]: service.url,
      [ENV.circuitBreaker]: 'off',
    });
    const correlationId = newCorrelationId();
    const payload = { workflow: 'w', step: STEP, attempt: 0, state: { correlation_id: correlationId } };
    const first = await handler(payload, lambdaContext(STEP));
    assert.deepEqual(first, { nested: { n: 1 }, list: [1, null], correlation_id: correlationId });
    assert.ok(!Object.hasOwn(first, 'profile_id'));
    const replay = await handler({ ...payload, attempt: 1 }, lambdaContext(STEP));
    assert.deepEqual(replay, first);
    assert.equal(service.received.length, 1, 'the replay is the stored result: one call');
  });
});
