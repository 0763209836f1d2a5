import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { WorkflowError } from '../../../infra/workflow/diagnostics.ts';
import { loadWorkflowMocks } from '../../../local/mocks/load-mocks.ts';
import { parseMockFile } from '../../../local/mocks/mock-file.ts';
import { startServices } from '../../../local/simulators/index.ts';

const F = 'config/orders.mocks.yaml';
const SERVICES = `services:
  payments:
    routes:
      POST /charges:
        status: 201
        body: { id: "ch_{{seq}}" }
`;

function problemsOf(text: string): string[] {
  try {
    parseMockFile(text, F);
  } catch (error) {
    assert.ok(error instanceof WorkflowError, String(error));
    return error.message.split('\n');
  }
  return assert.fail('the file was accepted');
}

describe('outages in a mock file', () => {
  test('reads each outage with its window in milliseconds, its answer and its line', () => {
    const file = parseMockFile(
      `${SERVICES}outages:
  - service: payments
    start_seconds: 2
    duration_seconds: 1.5
  - { service: payments, route: POST /charges, duration_seconds: 3, answer: refuse }
  - { service: payments, duration_seconds: 1, answer: 500 }
`,
      F,
    );
    assert.deepEqual(file.outages, [
      {
        service: 'payments',
        route: '*',
        fault: { kind: 'outage', durationMs: 1500, startInMs: 2000, status: 503 },
        line: 8,
      },
      {
        service: 'payments',
        route: 'POST /charges',
        fault: { kind: 'outage', durationMs: 3000, startInMs: 0, refuse: true },
        line: 11,
      },
      {
        service: 'payments',
        route: '*',
        fault: { kind: 'outage', durationMs: 1000, startInMs: 0, status: 500 },
        line: 12,
      },
    ]);
  });

  test('every malformed outage is reported at its line', () => {
    assert.deepEqual(
      problemsOf(`${SERVICES}outages:
  - { service: payments }
  - { service: payments, duration_seconds: 2, answer: down, start_seconds: -1 }
  - { duration_seconds: 2, route: "charges", bogus: 1 }
`),
      [
        `${F}:8: outage 1: duration_seconds must be a positive number`,
        `${F}:9: outage 2: start_seconds must be a non-negative number`,
        `${F}:9: outage 2: answer must be an HTTP status (100-599) or 'refuse', got "down"`,
        `${F}:10: outage 3: unknown field 'bogus'`,
        `${F}:10: outage 3: service is required (a service key)`,
        `${F}:10: outage 3: route must be 'METHOD /path' of the service, or '*'`,
      ],
    );
    assert.deepEqual(problemsOf(`${SERVICES}outages: { service: payments }\n`), [
      `${F}:7: 'outages' must be a list of {service, duration_seconds, ...}`,
    ]);
  });

  test('a loaded file checks service and route names, and its services start down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepflow-outage-'));
    try {
      writeFileSync(join(dir, 'orders.yaml'), 'name: orders\n');
      writeFileSync(
        join(dir, 'orders.mocks.yaml'),
        `${SERVICES}outages:\n  - { service: paymnets, duration_seconds: 1 }\n  - { service: payments, route: GET /charges, duration_seconds: 1 }\n`,
      );
      await assert.rejects(loadWorkflowMocks(join(dir, 'orders.yaml'), dir), (error: unknown) => {
        assert.ok(error instanceof WorkflowError);
        assert.deepEqual(error.message.split('\n'), [
          `${join(dir, 'orders.mocks.yaml')}:8: outage: unknown service 'paymnets' (did you mean 'payments'?) (services: payments)`,
          `${join(dir, 'orders.mocks.yaml')}:9: outage: service 'payments' has no route 'GET /charges' (routes: POST /charges, or *)`,
        ]);
        return true;
      });
      writeFileSync(
        join(dir, 'orders.mocks.yaml'),
        `${SERVICES}outages:\n  - { service: payments, duration_seconds: 0.3 }\n`,
      );
      const mocks = await loadWorkflowMocks(join(dir, 'orders.yaml'), dir);
      assert.ok(mocks);
      const services = await startServices(mocks.create);
      try {
        const post = () =>
          fetch(`${services.urls.payments}/charges`, {
            method: 'POST',
            body: '{}',
            signal: AbortSignal.timeout(2000),
          });
        assert.equal((await post()).status, 503);
        await new Promise((resolve) => setTimeout(resolve, 350));
        assert.equal((await post()).status, 201);
        assert.deepEqual(
          services.faults.outages().map(({ service, calls, state }) => ({ service, calls, state })),
          [{ service: 'payments', calls: 1, state: 'ended' }],
        );
      } finally {
        await services.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("outages apply to a simulators module's services too", async () => {
    const file = parseMockFile(
      'simulators: local/simulators/user_registration/index.ts\noutages:\n  - { service: billing, duration_seconds: 30 }\n',
      F,
    );
    const { mockServiceSet } = await import('../../../local/mocks/mock-services.ts');
    const { createSimulatedServices } = await import('../../../local/simulators/user_registration/index.ts');
    const set = mockServiceSet(file, createSimulatedServices)({ random: Math.random });
    assert.deepEqual(set.outages, [
      {
        service: 'billing',
        route: '*',
        fault: { kind: 'outage', durationMs: 30_000, startInMs: 0, status: 503 },
      },
    ]);
    assert.equal(set.services.length, 4);
  });
});
