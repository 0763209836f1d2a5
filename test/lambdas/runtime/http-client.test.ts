import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PERMANENT_ERROR, RETRYABLE_ERROR } from '../../../lambdas/contracts.ts';
import {
  createServiceClient,
  deriveIdempotencyKey,
  RESERVED_HEADERS,
} from '../../../lambdas/runtime/http-client.ts';
import { createStepLogger } from '../../../lambdas/runtime/logger.ts';
import { createStepMetrics } from '../../../lambdas/runtime/metrics.ts';
import { rejection } from '../step-harness.ts';
import { type ScriptedService, startScriptedService } from './scripted-service.ts';

describe('the service client a module step uses', () => {
  let service: ScriptedService;
  const client = () =>
    createServiceClient({
      baseUrl: service.url,
      timeoutMs: 2000,
      correlationId: 'exec_1_deadbeef',
      idempotencyKey: deriveIdempotencyKey('exec_1_deadbeef', 'notify'),
      logger: createStepLogger({ service: 'mail', logLevel: 'SILENT' }),
      metrics: createStepMetrics({ service: 'mail', step: 'notify', customEvents: [] }),
    });

  before(async () => {
    service = await startScriptedService();
  });
  after(() => service.close());

  for (const name of RESERVED_HEADERS) {
    test(`refuses a caller's ${name} header and sends nothing`, async () => {
      const before = service.received.length;
      const error = await rejection(client().request('POST', '/mail', { headers: { [name]: 'forged' } }));
      assert.equal(error.name, PERMANENT_ERROR);
      assert.match(error.message, new RegExp(`^INVALID_REQUEST: header ${name} is set by the step runtime`));
      assert.equal(service.received.length, before);
    });
  }

  test('409 is handed back by default and fails with conflict: fail', async () => {
    service.answer(() => ({ status: 409, body: { error: 'DUPLICATE' } }));
    assert.deepEqual(await client().request('POST', '/mail'), { status: 409, body: { error: 'DUPLICATE' } });
    const error = await rejection(client().request('POST', '/mail', { conflict: 'fail' }));
    assert.match(error.message, /^CONFLICT: POST \/mail answered 409 DUPLICATE/);
  });

  test('a 2xx body that is not JSON is retryable for a module step (it cannot use it)', async () => {
    service.answer(() => ({ status: 200, body: '<html>', headers: { 'content-type': 'text/html' } }));
    const error = await rejection(client().request('POST', '/mail'));
    assert.equal(error.name, RETRYABLE_ERROR);
    assert.match(error.message, /answered 200 with a body that is not JSON/);
  });
});
