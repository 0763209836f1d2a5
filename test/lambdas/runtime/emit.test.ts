import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as z from 'zod/mini';
import { ENV, PERMANENT_ERROR } from '../../../lambdas/contracts.ts';
import type { Env } from '../../../lambdas/runtime/config.ts';
import type { EventProperties } from '../../../lambdas/runtime/metrics.ts';
import { defineStep } from '../../../lambdas/runtime/step-handler.ts';
import {
  buildHandler,
  lambdaContext,
  newCorrelationId,
  type RuntimeHarness,
  rejection,
  runtimeEnv,
} from '../step-harness.ts';
import { type ScriptedService, useScriptedSuite } from './scripted-service.ts';

const STEP = 'validate_order';

let h: RuntimeHarness;
let service: ScriptedService;

/** A module step that calls its service, then emits `event` with `properties`. */
function emittingStep(event: string, properties?: EventProperties) {
  return defineStep({
    step: STEP,
    inputSchema: z.object({ correlation_id: z.string() }),
    run: async (_input, ctx) => {
      await ctx.http.request('POST', '/orders/validate', { body: {} });
      ctx.emit(event, properties);
      return { valid: true };
    },
  });
}

const env = (customEvents: string[]): Env =>
  runtimeEnv(h, STEP, {
    [ENV.workflowName]: 'order_fulfillment',
    [ENV.serviceName]: 'orders',
    [ENV.serviceUrl]: service.url,
    [ENV.customEvents]: JSON.stringify(customEvents),
    [ENV.circuitBreaker]: 'off',
  });

async function run(event: string, declared: string[], properties?: EventProperties) {
  const handler = buildHandler(h, emittingStep(event, properties), env(declared));
  const payload = {
    workflow: 'order_fulfillment',
    step: STEP,
    attempt: 0,
    state: { correlation_id: newCorrelationId() },
  };
  const from = h.lines.length;
  const result = handler(payload, lambdaContext(STEP));
  return {
    result,
    emf: async () => {
      await result.catch(() => undefined);
      return h.lines
        .slice(from)
        .map((line) => JSON.parse(line))
        .filter((line) => line._aws !== undefined);
    },
  };
}

describe('ctx.emit', () => {
  useScriptedSuite((harness, scripted) => {
    h = harness;
    service = scripted;
  });

  test('a declared event is one EMF line of its own, and the built-in call metrics still appear', async () => {
    const invocation = await run('order_validated', ['order_validated', 'order_shipped'], {
      order_id: 'ord-1',
      items: 3,
      express: true,
    });
    assert.equal((await invocation.result).valid, true);
    const emf = await invocation.emf();
    const event = emf.find((line) => line.order_validated !== undefined);
    assert.ok(event, 'the event line');
    assert.deepEqual(event._aws.CloudWatchMetrics[0].Metrics, [{ Name: 'order_validated', Unit: 'Count' }]);
    assert.deepEqual(event._aws.CloudWatchMetrics[0].Dimensions, [['service', 'step']]);
    assert.deepEqual(
      [event.order_validated, event.service, event.step, event.order_id, event.items, event.express],
      [1, 'orders', STEP, 'ord-1', '3', 'true'],
    );
    const builtIn = emf.find((line) => line.service_call_started !== undefined);
    assert.ok(builtIn, 'the built-in metrics line');
    assert.equal(builtIn.service_call_completed, 1);
    assert.equal(emf.length, 2);
  });

  test('an undeclared event name fails the step with CONFIGURATION_ERROR, naming the declared ones', async () => {
    const invocation = await run('order_validatd', ['order_validated']);
    const error = await rejection(invocation.result);
    assert.equal(error.name, PERMANENT_ERROR);
    assert.equal(
      error.message,
      "CONFIGURATION_ERROR: event 'order_validatd' is not declared in the workflow's custom_events (CUSTOM_EVENTS: order_validated)",
    );
    const emf = await invocation.emf();
    assert.equal(emf.filter((line) => line.order_validatd !== undefined).length, 0);
  });

  test('with no custom_events every emit is a CONFIGURATION_ERROR', async () => {
    const error = await rejection((await run('anything', [])).result);
    assert.match(
      error.message,
      /^CONFIGURATION_ERROR: event 'anything' is not declared .*\(CUSTOM_EVENTS: none\)$/,
    );
  });

  test('event properties are masked like log fields (email, phone, name)', async () => {
    const invocation = await run('customer_checked', ['customer_checked'], {
      email: 'jane.doe@example.com',
      phone: '+1 555 010 4477',
      name: 'Jane Doe',
      note: 'contact jane.doe@example.com',
    });
    await invocation.result;
    const line = JSON.stringify((await invocation.emf()).find((l) => l.customer_checked !== undefined));
    for (const secret of ['jane.doe@example.com', '555 010', 'Jane Doe']) {
      assert.ok(!line.includes(secret), `${secret} leaked: ${line}`);
    }
    assert.match(line, /"email":"j\*\*\*@\*\*\*"/);
    assert.match(line, /"phone":"\*\*\*77"/);
  });
});
