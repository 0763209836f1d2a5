import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { parseMockFile } from '../../../local/mocks/mock-file.ts';
import { mockServiceSet } from '../../../local/mocks/mock-services.ts';
import { type RunningServices, startServices } from '../../../local/simulators/index.ts';
import { call } from '../simulators/support.ts';

const MOCKS = `services:
  payments:
    routes:
      POST /orders/{order_id}/charges:
        required: [body.amount_cents, headers.x-tenant]
        answers:
          - when: { body.amount_cents: 0 }
            status: 400
            body: { error: ZERO_AMOUNT, order_id: "{{path.order_id}}" }
          - status: 201
            headers: { Location: "/charges/ch_{{seq}}" }
            body:
              charge_id: "ch_{{seq}}"
              order_id: "{{path.order_id}}"
              amount_cents: "{{body.amount_cents}}"
              items: "{{body.items}}"
              first_sku: "{{body.items.0.sku}}"
              currency: "{{query.currency}}"
              tenant: "{{headers.x-tenant}}"
              note: "order {{path.order_id}} for {{body.amount_cents}} cents, {{body.missing}}!"
              receipt: "{{uuid}}"
              correlation_id: "{{correlation_id}}"
      GET /charges/{id}:
        body: { charge_id: "{{path.id}}", status: captured }
  shipping:
    latency_ms: 50
    routes:
      DELETE /shipments/{id}:
        status: 204
        body: null
`;

async function start(seed: number): Promise<RunningServices> {
  return startServices(mockServiceSet(parseMockFile(MOCKS, 'test.mocks.yaml')), { seed });
}

const charge = (services: RunningServices, key: string, body: unknown, order = 'ord-1') =>
  call('POST', `${services.urls.payments}/orders/${order}/charges?currency=EUR`, body, {
    'idempotency-key': key,
    'x-correlation-id': `corr-${key}`,
    'x-tenant': 'acme',
  });

describe('declarative mock services', () => {
  let services: RunningServices;
  before(async () => {
    services = await start(7);
  });
  after(() => services.close());
  beforeEach(() => services.reset());

  test('answers with fields taken from the path, query, headers and body, keeping JSON types', async () => {
    const items = [{ sku: 'A-1', qty: 2 }];
    const answer = await charge(services, 'k1', { amount_cents: 1250, items });
    assert.equal(answer.status, 201);
    assert.equal(answer.headers.get('location'), '/charges/ch_1');
    const { receipt, ...rest } = answer.body;
    assert.deepEqual(rest, {
      charge_id: 'ch_1',
      order_id: 'ord-1',
      amount_cents: 1250,
      items,
      first_sku: 'A-1',
      currency: 'EUR',
      tenant: 'acme',
      note: 'order ord-1 for 1250 cents, !',
      correlation_id: 'corr-k1',
    });
    assert.match(String(receipt), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const next = await charge(services, 'k2', { amount_cents: 5, items: [] });
    assert.equal(next.body.charge_id, 'ch_2', 'each applied answer takes the next sequence number');
    assert.notEqual(next.body.receipt, receipt);
  });

  test('replays the first answer for a repeated Idempotency-Key without applying again', async () => {
    const first = await charge(services, 'same', { amount_cents: 100 });
    const again = await charge(services, 'same', { amount_cents: 100 });
    assert.deepEqual(again.body, first.body);
    assert.deepEqual(services.counters.appliedByKey(), { 'payments same': 1 });
    assert.equal(services.counters.replays(), 1);
    assert.deepEqual(
      services.counters.log().map((record) => [record.route, record.outcome]),
      [
        ['POST /orders/{order_id}/charges', 'applied'],
        ['POST /orders/{order_id}/charges', 'replayed'],
      ],
    );
    assert.equal(services.counters.snapshot().services.payments?.applied, 1);
  });

  test('picks the first answer whose when matches; a 4xx applies nothing and takes no number', async () => {
    const refused = await charge(services, 'zero', { amount_cents: 0 });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body, { error: 'ZERO_AMOUNT', order_id: 'ord-1' });
    const ok = await charge(services, 'one', { amount_cents: 1 });
    assert.equal(ok.body.charge_id, 'ch_1');
    assert.deepEqual(services.counters.appliedByKey(), { 'payments one': 1 });
  });

  test('a missing required field is a 400 naming it', async () => {
    const missing = await call('POST', `${services.urls.payments}/orders/o/charges`, { amount_cents: 3 });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body, { error: 'MISSING_FIELD', field: 'headers.x-tenant' });
    assert.equal(services.counters.log()[0]?.outcome, 'rejected');
  });

  test('reads are not applied; a null body answers without one; unknown paths 404, wrong methods 405', async () => {
    const read = await call('GET', `${services.urls.payments}/charges/ch_9`);
    assert.deepEqual(read.body, { charge_id: 'ch_9', status: 'captured' });
    assert.equal(services.counters.log()[0]?.outcome, 'read');
    const deleted = await fetch(`${services.urls.shipping}/shipments/s1`, { method: 'DELETE' });
    assert.equal(deleted.status, 204);
    assert.equal(await deleted.text(), '');
    assert.equal((await call('GET', `${services.urls.payments}/nothing`)).status, 404);
    assert.equal((await call('PUT', `${services.urls.payments}/charges/x`)).status, 405);
  });

  test("a service's own latency delays its answers", async () => {
    const started = performance.now();
    await fetch(`${services.urls.shipping}/shipments/s2`, { method: 'DELETE' });
    assert.ok(performance.now() - started >= 45);
  });

  test('takes faults like the simulators: a status fault, then applied-but-lost, then a replay', async () => {
    services.faults.set('payments', 'POST /orders/{order_id}/charges', [
      { kind: 'status', status: 503, times: 1 },
      { kind: 'apply_then_drop', times: 1 },
    ]);
    assert.equal((await charge(services, 'f', { amount_cents: 9 })).status, 503);
    await assert.rejects(charge(services, 'f', { amount_cents: 9 }), { name: 'TypeError' });
    const replayed = await charge(services, 'f', { amount_cents: 9 });
    assert.equal(replayed.status, 201);
    assert.equal(replayed.body.charge_id, 'ch_1');
    assert.deepEqual(services.counters.duplicates(), []);
    assert.throws(
      () => services.faults.set('payments', 'POST /charges', { kind: 'drop' }),
      /service 'payments' has no route 'POST \/charges' \(routes: POST \/orders\/\{order_id\}\/charges, GET \/charges\/\{id\}, or \*\)/,
    );
    assert.throws(
      () => services.faults.set('billing', '*', { kind: 'drop' }),
      /unknown service 'billing' \(expected one of payments, shipping, \*\)/,
    );
  });

  test('the control API lists the services and their routes', async () => {
    const listed = await call('GET', `${services.urls.shipping}/_services`);
    assert.deepEqual(listed.body.services, {
      payments: ['POST /orders/{order_id}/charges', 'GET /charges/{id}'],
      shipping: ['DELETE /shipments/{id}'],
    });
  });

  test('generated ids replay with the seed and differ across seeds', async () => {
    const receipts = async (kit: RunningServices) => [
      (await charge(kit, 'a', { amount_cents: 1 })).body.receipt,
      (await charge(kit, 'b', { amount_cents: 1 })).body.receipt,
    ];
    const first = await receipts(services);
    services.reset();
    assert.deepEqual(await receipts(services), first, 'reset restarts the PRNG');
    const other = await start(8);
    try {
      assert.notDeepEqual(await receipts(other), first);
    } finally {
      await other.close();
    }
  });
});
