/**
 * A second workflow beside the flagship, end to end: declarative HTTP steps (no handler module),
 * a diamond, a step with `on_failure: continue`, its services mocked from its mock file. Through
 * the local API, the CLI and the mocks' request logs.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { deriveIdempotencyKey } from '../../lambdas/runtime/http-client.ts';
import type { ExecutionApiClient } from '../../local/cli/api-client.ts';
import { removeRuntimeInfo, writeRuntimeInfo } from '../../local/cli/local-target.ts';
import { followExecution } from '../../local/cli/step-lines.ts';
import { main } from '../../local/cli/stepflow.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime/index.ts';
import type { RunningServices } from '../../local/simulators/index.ts';
import { executionOutput } from './execution-output.ts';
import { apiClient, copyWorkflow, register, registrationBody } from './support.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = join(ROOT, 'test/fixtures/workflows/e2e/order_fulfillment/order_fulfillment.yaml');

const order = (id: string, extra: Record<string, unknown> = {}) => ({
  order_id: id,
  items: [{ sku: 'BOOK-42', qty: 2 }],
  amount_cents: 4200,
  email: 'buyer@example.com',
  ...extra,
});

describe('a second workflow of HTTP steps and mocks beside the flagship', () => {
  let runtime: LocalRuntime;
  let orders: ExecutionApiClient;
  let mocks: RunningServices;
  const scratch = mkdtempSync(join(tmpdir(), 'second-workflow-'));

  before(async () => {
    const configDir = join(scratch, 'config');
    mkdirSync(configDir);
    copyWorkflow(join(ROOT, 'config', 'user_registration.yaml'), configDir);
    copyWorkflow(FIXTURE, configDir);
    runtime = await startLocalRuntime({ configDir, timeScale: 50 });
    orders = apiClient(runtime.apiUrl, 'orders');
    mocks = runtime.workflow('order_fulfillment').services!;
    writeRuntimeInfo(runtime);
  });
  after(async () => {
    removeRuntimeInfo(runtime.apiUrl);
    await runtime.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('every step reaches its mock through STEPFLOW_SERVICE_URLS', () => {
    assert.deepEqual(
      runtime.workflow('order_fulfillment').steps.map((step) => `${step.step}:${step.service}:${step.via}`),
      [
        'reserve_inventory:inventory:mock',
        'charge_payment:payments:mock',
        'send_confirmation:notifications:mock',
        'schedule_shipment:shipping:mock',
      ],
    );
  });

  test('succeeds with each route applied once, fields of earlier answers in later requests', async () => {
    const { started, status } = await register(orders, order('ord-1'), { correlationId: 'orders-e2e-1' });
    assert.equal(status.status, 'SUCCEEDED', JSON.stringify(status));
    const calls = mocks.counters.log({ correlationId: 'orders-e2e-1' });
    assert.deepEqual(calls.map((call) => `${call.service} ${call.route} ${call.outcome}`).sort(), [
      'inventory POST /reservations applied',
      'notifications POST /messages applied',
      'payments POST /charges applied',
      'shipping POST /orders/{order_id}/shipments applied',
    ]);
    const { steps } = await executionOutput<{
      steps: Record<string, { status: number; body: Record<string, unknown> }>;
    }>(runtime.sfnClient, started.execution_arn);
    const reservation = steps.reserve_inventory?.body.reservation_id;
    assert.match(String(reservation), /^res_\d+$/);
    assert.equal(steps.reserve_inventory?.status, 201);
    assert.equal(steps.charge_payment?.body.reservation_id, reservation, 'reservation id reached payments');
    assert.equal(steps.charge_payment?.body.merchant, 'stepflow-demo', 'a literal header reached payments');
    assert.equal(steps.charge_payment?.body.amount_cents, 4200);
    assert.equal(
      steps.schedule_shipment?.body.charge_id,
      steps.charge_payment?.body.charge_id,
      'charge id reached shipping',
    );
    assert.equal(steps.schedule_shipment?.body.order_id, 'ord-1', 'the path built with States.Format');
    assert.equal(steps.schedule_shipment?.body.priority, 'standard');
    assert.equal(steps.send_confirmation?.status, 202);
    assert.deepEqual(
      status.steps.map((step) => `${step.name} ${step.status} x${step.attempts}`),
      [
        'reserve_inventory succeeded x1',
        'charge_payment succeeded x1',
        'send_confirmation succeeded x1',
        'schedule_shipment succeeded x1',
      ],
    );
  });

  test('retries keep the Idempotency-Key, every call carries X-Correlation-ID, nothing is applied twice', async () => {
    mocks.faults.set('payments', 'POST /charges', { kind: 'status', status: 503, times: 1 });
    mocks.faults.set('shipping', '*', { kind: 'apply_then_drop', times: 1 });
    try {
      const { status } = await register(orders, order('ord-2'), { correlationId: 'orders-e2e-2' });
      assert.equal(status.status, 'SUCCEEDED', JSON.stringify(status));
    } finally {
      mocks.faults.clear();
    }
    const calls = mocks.counters.log({ correlationId: 'orders-e2e-2' });
    assert.ok(calls.length >= 6, `${calls.length} calls`);
    for (const step of ['charge_payment', 'schedule_shipment']) {
      const key = deriveIdempotencyKey('orders-e2e-2', step);
      const attempts = calls.filter((call) => call.idempotencyKey === key);
      assert.equal(attempts.length, 2, `${step}: one failed and one retried call, same key`);
      assert.equal(attempts.filter((call) => call.outcome === 'applied').length, 1, step);
    }
    assert.ok(
      mocks.counters.log().every((call) => call.correlationId !== undefined),
      'X-Correlation-ID on every call',
    );
    assert.deepEqual(mocks.counters.duplicates(), []);
  });

  test('a 400 for the on_failure: continue step shows fallback, and the order still ships', async () => {
    const { started, status } = await register(orders, order('ord-3', { email: '' }), {
      correlationId: 'orders-e2e-3',
    });
    assert.equal(status.status, 'SUCCEEDED', JSON.stringify(status));
    const confirmation = status.steps.find((step) => step.name === 'send_confirmation');
    assert.equal(confirmation?.status, 'fallback');
    assert.equal(confirmation?.attempts, 1, 'a 400 is permanent: not retried');
    assert.equal(confirmation?.error?.error, 'PermanentError');
    const { steps } = await executionOutput(runtime.sfnClient, started.execution_arn);
    assert.deepEqual(
      {
        status: steps.send_confirmation?.status,
        order_id: steps.send_confirmation?.order_id,
        used: steps.send_confirmation?.fallback_used,
      },
      { status: 'not_sent', order_id: 'ord-3', used: true },
    );
    assert.equal(status.steps.find((step) => step.name === 'schedule_shipment')?.status, 'succeeded');
    const refused = mocks.counters.log({ correlationId: 'orders-e2e-3', service: 'notifications' });
    assert.deepEqual(
      refused.map((call) => [call.status, call.outcome]),
      [[400, 'rejected']],
    );
  });

  test('the CLI follows it by workflow name and shows the fallback; the flagship answers 202 beside it', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const code = await main(
      ['status', 'orders-e2e-3', '--workflow', 'order_fulfillment', '--api', runtime.apiUrl],
      { stdout, stderr },
    );
    assert.equal(code, 0, out);
    assert.match(out, /⚑ send_confirmation +attempt 1 +.*fallback used after PermanentError/);
    assert.match(out, /✔ schedule_shipment +attempt 1 +.*succeeded/);
    const flagship = await register(apiClient(runtime.apiUrl), registrationBody('pro', 'beside-orders'));
    assert.equal(flagship.status.status, 'SUCCEEDED');
    const post = await fetch(`${runtime.apiUrl}/registrations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(registrationBody('free', 'beside-orders-2')),
    });
    assert.equal(post.status, 202);
    // Let it end before the runtime closes: nothing may be left writing to dynalite.
    const { correlation_id: id } = (await post.json()) as { correlation_id: string };
    const ended = await followExecution(
      () => apiClient(runtime.apiUrl).status(id),
      () => {},
      { pollMs: 50, timeoutMs: 60_000 },
    );
    assert.equal(ended.status, 'SUCCEEDED');
  });
});
