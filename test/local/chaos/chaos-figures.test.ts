import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deriveIdempotencyKey } from '../../../lambdas/runtime/http-client.ts';
import { chaosFigures, chaosSummary } from '../../../local/chaos/chaos-run.ts';
import type { ExecutionStatusDocument } from '../../../local/cli/api-client.ts';
import { parseMockFile } from '../../../local/mocks/mock-file.ts';
import { mockServiceSet } from '../../../local/mocks/mock-services.ts';
import type { StepServiceRoute } from '../../../local/runtime/offline-services.ts';
import { type RunningServices, startServices } from '../../../local/simulators/index.ts';

const MOCKS = parseMockFile(
  'services:\n  payments:\n    routes:\n      POST /charges:\n        status: 201\n      GET /charges/{id}: {}\n',
  'chaos.mocks.yaml',
);
const STEPS: StepServiceRoute[] = [
  { step: 'charge', service: 'payments', url: 'https://payments.example.com', via: 'mock' },
  { step: 'local', service: 'hooks', url: 'http://127.0.0.1:9', via: 'loopback' },
];

/** A status document as GET /<resource>/{id} gives it, for the steps named. */
function doc(
  id: string,
  status: string,
  steps: Record<string, [string, number]>,
  failed?: { error: string; cause: string },
): ExecutionStatusDocument {
  return {
    correlation_id: id,
    status,
    started_at: null,
    stopped_at: null,
    steps: Object.entries(steps).map(([name, [stepStatus, attempts]]) => ({
      name,
      status: stepStatus,
      attempts,
      started_at: null,
      duration_ms: null,
      ...(failed && stepStatus === 'failed' ? { error: failed } : {}),
    })),
    failed_steps: Object.entries(steps)
      .filter(([, [s]]) => s === 'failed')
      .map(([name]) => name),
    console_url: '',
  };
}

describe('chaos figures from the services request logs', () => {
  let services: RunningServices;
  /** One call of step `charge` of execution `id`, as the HTTP policy sends it. */
  const charge = (id: string) =>
    fetch(`${services.urls.payments}/charges`, {
      method: 'POST',
      headers: { 'idempotency-key': deriveIdempotencyKey(id, 'charge'), 'x-correlation-id': id },
      body: '{}',
    }).then(
      (res) => res.status,
      () => 0,
    );

  before(async () => {
    services = await startServices(mockServiceSet(MOCKS), { seed: 3 });
  });
  after(() => services.close());

  test('a step that succeeded while every call met a fault is lost; a retried and replayed step is not', async () => {
    services.faults.set('payments', 'POST /charges', [
      { kind: 'status', status: 503, times: 1 },
      { kind: 'apply_then_drop', times: 1 },
    ]);
    assert.equal(await charge('ok-1'), 503);
    assert.equal(await charge('ok-1'), 0, 'applied, answer lost');
    assert.equal(await charge('ok-1'), 201, 'replayed');
    services.faults.set('payments', 'POST /charges', { kind: 'status', status: 503, times: 2 });
    await charge('lost-1');
    await charge('lost-1');
    services.faults.clear();
    await fetch(`${services.urls.payments}/charges/x`, { headers: { 'x-correlation-id': 'ok-1' } });
    await fetch(`${services.urls.payments}/charges/y`);
    const figures = chaosFigures({ steps: STEPS }, services, [
      {
        correlationId: 'ok-1',
        doc: doc('ok-1', 'SUCCEEDED', { charge: ['succeeded', 3], local: ['succeeded', 1] }),
      },
      { correlationId: 'lost-1', doc: doc('lost-1', 'SUCCEEDED', { charge: ['succeeded', 2] }) },
      { correlationId: 'none-1', doc: doc('none-1', 'SUCCEEDED', { charge: ['succeeded', 1] }) },
      {
        correlationId: 'failed-1',
        doc: doc(
          'failed-1',
          'FAILED',
          { charge: ['failed', 4] },
          { error: 'RetryableError', cause: 'payments answered 503' },
        ),
      },
    ]);
    assert.deepEqual(figures.problems, [
      'lost-1: step charge succeeded but payments handled none of its 2 call(s)',
    ]);
    assert.deepEqual(figures.services.payments, {
      requests: 7,
      applied: 1,
      replays: 1,
      faults: 4,
      duplicates: 0,
      lost: 1,
      uncorrelated: 1,
    });
    assert.deepEqual([...figures.byCause], [['charge/RetryableError(503)', 1]]);
    assert.equal(figures.succeeded, 3);
    assert.equal(figures.retries, 2 + 1 + 3);
    const summary = chaosSummary({
      ...figures,
      workflow: 'w',
      seed: 3,
      executions: new Array(4),
      apiRetries: 0,
      wallSeconds: 1,
    });
    assert.match(summary, /executions=4 succeeded=3 failed=1 \(by cause: charge\/RetryableError\(503\)=1\)/);
    assert.match(
      summary,
      /duplicates=0 lost=1 services: payments\(requests=7 applied=1 replays=1 faults=4 duplicates=0 lost=1\)/,
    );
  });

  test("a service set's own duplicates are problems too", async () => {
    const doubled = await startServices(() => ({
      services: [
        {
          name: 'ledger',
          routes: [{ key: 'POST /entries', handle: () => ({ status: 201, body: {}, applied: true }) }],
        },
      ],
      duplicates: () => ['ledger entry e-1: booked 2 times by c-1'],
    }));
    try {
      const figures = chaosFigures({ steps: [] }, doubled, []);
      assert.deepEqual(figures.problems, ['ledger entry e-1: booked 2 times by c-1']);
    } finally {
      await doubled.close();
    }
  });
});
