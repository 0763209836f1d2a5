import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ENV,
  IDEMPOTENCY_IN_PROGRESS_ERROR,
  PERMANENT_ERROR,
  RETRIES_EXHAUSTED_ERROR,
  RETRY_AFTER_TOO_LONG_ERROR,
  RETRYABLE_ERROR,
  retryAfterErrorName,
  STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES,
  undoStepId,
} from '../../../lambdas/contracts.ts';
import { deriveIdempotencyKey } from '../../../lambdas/runtime/http-client.ts';
import { definition } from '../../../lambdas/runtime/http-step.ts';
import { buildHandler, lambdaContext, newCorrelationId, rejection } from '../step-harness.ts';
import { httpStepPayload, STEP, useHttpStepSuite } from './http-step-support.ts';
import { startScriptedService } from './scripted-service.ts';

const s = useHttpStepSuite();
const charge = { method: 'POST', path: '/charges', body: { order_id: 'ord-1', amount_cents: 4200 } };

describe('HTTP step: the call', () => {
  test('sends method, base URL + path, query, headers and JSON body; returns {status, body, correlation_id}', async () => {
    s.service.answer(() => ({ status: 201, body: { charge_id: 'ch_1', amount_cents: 4200 } }));
    const correlationId = newCorrelationId();
    const result = await s.invoke(
      {
        ...charge,
        query: { currency: 'EUR', tag: ['a', 'b'], live: true, n: 3 },
        headers: { 'X-Api-Version': 2 },
      },
      { correlationId },
    );
    assert.deepEqual(result, {
      status: 201,
      body: { charge_id: 'ch_1', amount_cents: 4200 },
      correlation_id: correlationId,
    });
    const [request] = s.service.received;
    assert.equal(s.service.received.length, 1);
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url, '/charges?currency=EUR&tag=a&tag=b&live=true&n=3');
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.equal(request?.headers['x-api-version'], '2');
    assert.equal(request?.headers['x-correlation-id'], correlationId);
    assert.equal(request?.headers['idempotency-key'], deriveIdempotencyKey(correlationId, STEP));
    assert.deepEqual(JSON.parse(request?.body ?? ''), charge.body);
  });

  test('the method may be written in any case; a GET carries no Idempotency-Key and no body', async () => {
    await s.invoke({ method: 'get', path: '/orders/ord-1' });
    const [request] = s.service.received;
    assert.equal(request?.method, 'GET');
    assert.equal(request?.headers['idempotency-key'], undefined);
    assert.equal(request?.headers['content-type'], undefined);
    assert.equal(request?.body, '');
  });

  test('a base URL with a path keeps it: SERVICE_URL /api/v1 + /charges', async () => {
    await s.invoke(charge, { env: { [ENV.serviceUrl]: `${s.service.url}/api/v1/` } });
    assert.equal(s.service.received[0]?.url, '/api/v1/charges');
  });

  test('STEPFLOW_SERVICE_URLS points the step at a local service instead of its configured URL', async () => {
    const env = {
      [ENV.serviceUrl]: 'https://payments.example.invalid',
      [ENV.serviceUrlOverrides]: JSON.stringify({ payments: s.service.url }),
    };
    assert.equal((await s.invoke(charge, { env })).status, 200);
    assert.equal(s.service.received.length, 1);
  });

  test('Content-Type and Accept may be replaced by the request headers', async () => {
    await s.invoke({
      ...charge,
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json', Accept: '*/*' },
    });
    assert.equal(s.service.received[0]?.headers['content-type'], 'application/merge-patch+json');
    assert.equal(s.service.received[0]?.headers.accept, '*/*');
  });
});

describe('HTTP step: the answer body', () => {
  const bodies: ReadonlyArray<readonly [string, number, unknown, unknown]> = [
    ['empty (204)', 204, undefined, null],
    ['empty (200)', 200, '', null],
    ['not JSON', 200, '<html>gateway</html>', null],
    ['a JSON string', 200, '"queued"', 'queued'],
    ['a JSON array', 200, [1, 2], [1, 2]],
  ];
  for (const [what, status, sent, expected] of bodies) {
    test(`${what} becomes ${JSON.stringify(expected)}`, async () => {
      s.service.answer(() => ({ status, body: sent, headers: { 'content-type': 'text/plain' } }));
      const result = await s.invoke(charge);
      assert.equal(result.status, status);
      assert.deepEqual(result.body, expected);
    });
  }

  test('a result too large for Step Functions fails the step permanently, naming the limit', async () => {
    s.service.answer(() => ({ status: 200, body: { blob: 'x'.repeat(STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES) } }));
    const error = await rejection(s.invoke(charge));
    assert.equal(error.name, PERMANENT_ERROR);
    assert.match(
      error.message,
      new RegExp(
        `^RESPONSE_TOO_LARGE: POST /charges answered 200 with a result of \\d+ bytes.*${STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES}`,
      ),
    );
  });
});

describe('HTTP step: the status table', () => {
  const table: ReadonlyArray<readonly [number, string, RegExp]> = [
    [400, PERMANENT_ERROR, /^SERVICE_VALIDATION_FAILED: POST \/charges answered 400/],
    [422, PERMANENT_ERROR, /^SERVICE_VALIDATION_FAILED: /],
    [401, PERMANENT_ERROR, /^SERVICE_AUTH_FAILED: /],
    [403, PERMANENT_ERROR, /^SERVICE_AUTH_FAILED: /],
    [404, PERMANENT_ERROR, /^NOT_FOUND: /],
    [409, PERMANENT_ERROR, /^CONFLICT: POST \/charges answered 409 CARD_DECLINED/],
    [408, RETRYABLE_ERROR, /answered 408/],
    [500, RETRYABLE_ERROR, /answered 500/],
    [503, RETRYABLE_ERROR, /answered 503/],
    [418, RETRYABLE_ERROR, /answered 418/],
    [429, RETRYABLE_ERROR, /answered 429/],
    [502, RETRYABLE_ERROR, /answered 502/],
  ];
  for (const [status, name, message] of table) {
    test(`${status} is ${name}`, async () => {
      s.service.answer(() => ({ status, body: { error: 'CARD_DECLINED' } }));
      const error = await rejection(s.invoke(charge));
      assert.equal(error.name, name);
      assert.match(error.message, message);
    });
  }

  test('a redirect is not followed: 302 is retryable and the Location is never called', async () => {
    const elsewhere = await startScriptedService();
    try {
      s.service.answer(() => ({ status: 302, headers: { location: `${elsewhere.url}/stolen` } }));
      assert.equal((await rejection(s.invoke(charge))).name, RETRYABLE_ERROR);
      assert.equal(elsewhere.received.length, 0);
    } finally {
      await elsewhere.close();
    }
  });
});

describe('HTTP step: Retry-After, timeouts, attempts', () => {
  const honouring = { [ENV.honorRetryAfter]: 'true', [ENV.maxRetryAfterSeconds]: '60' };

  test('429 with Retry-After in seconds becomes RetryAfter.<bucket>s when the step honours it', async () => {
    s.service.answer(() => ({ status: 429, headers: { 'retry-after': '7' } }));
    assert.equal((await rejection(s.invoke(charge, { env: honouring }))).name, retryAfterErrorName(8));
    assert.equal((await rejection(s.invoke(charge))).name, RETRYABLE_ERROR);
  });

  test('503 with Retry-After as an HTTP date is honoured too; above the maximum it is RetryAfterTooLong', async () => {
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    s.service.answer(() => ({ status: 503, headers: { 'retry-after': inTwoMinutes } }));
    const error = await rejection(s.invoke(charge, { env: honouring }));
    assert.equal(error.name, RETRY_AFTER_TOO_LONG_ERROR);
    assert.match(error.message, /more than the step's maximum of 60s/);
  });

  test('once the attempts are used up a retryable answer is RetriesExhausted', async () => {
    s.service.answer(() => ({ status: 429, headers: { 'retry-after': '1' } }));
    const error = await rejection(
      s.invoke(charge, { env: { ...honouring, [ENV.retryLimit]: '2' }, attempt: 2 }),
    );
    assert.equal(error.name, RETRIES_EXHAUSTED_ERROR);
    assert.match(error.message, /^gave up after 3 attempts: POST \/charges answered 429/);
  });

  test('a slow answer times out as RetryableError; the retry sends the same Idempotency-Key', async () => {
    s.service.answer(() => ({ status: 201, body: { charge_id: 'ch_slow' }, delayMs: 400 }));
    const correlationId = newCorrelationId();
    const env = { [ENV.requestTimeoutMs]: '100' };
    const error = await rejection(s.invoke(charge, { correlationId, env }));
    assert.equal(error.name, RETRYABLE_ERROR);
    assert.match(error.message, /^POST \/charges timed out after 100 ms/);
    s.service.answer(() => ({ status: 201, body: { charge_id: 'ch_slow' } }));
    assert.equal((await s.invoke(charge, { correlationId, env, attempt: 1 })).status, 201);
    const keys = s.service.received.map((request) => request.headers['idempotency-key']);
    assert.deepEqual(keys, [
      deriveIdempotencyKey(correlationId, STEP),
      deriveIdempotencyKey(correlationId, STEP),
    ]);
  });
});

describe('HTTP step: exactly once', () => {
  test('the same step of one execution delivered twice calls the service once and returns the stored result', async () => {
    const correlationId = newCorrelationId();
    const first = await s.invoke(charge, { correlationId });
    const second = await s.invoke(charge, { correlationId });
    assert.deepEqual(second, first);
    assert.equal(s.service.received.length, 1);
  });

  test('two concurrent deliveries: one call, the other is IdempotencyAlreadyInProgressError', async () => {
    s.service.answer(() => ({ status: 201, body: { charge_id: 'ch_2' }, delayMs: 200 }));
    const correlationId = newCorrelationId();
    const outcomes = await Promise.allSettled([
      s.invoke(charge, { correlationId }),
      s.invoke(charge, { correlationId }),
    ]);
    const rejected = outcomes.filter((outcome) => outcome.status === 'rejected');
    assert.equal(rejected.length, 1);
    assert.equal((rejected[0] as PromiseRejectedResult).reason.name, IDEMPOTENCY_IN_PROGRESS_ERROR);
    assert.equal(s.service.received.length, 1);
  });

  test("the payload's step is the idempotency identity: <step>:undo on the same function calls again, under its own key", async () => {
    const correlationId = newCorrelationId();
    const handler = buildHandler(s.harness, definition, s.env());
    const forward = httpStepPayload(charge, correlationId);
    const undo = {
      ...httpStepPayload({ ...charge, method: 'DELETE' }, correlationId),
      step: undoStepId(STEP),
    };
    await handler(forward, lambdaContext(STEP));
    await handler(undo, lambdaContext(STEP));
    await handler(undo, lambdaContext(STEP));
    assert.deepEqual(
      s.service.received.map((request) => `${request.method} ${request.headers['idempotency-key']}`),
      [
        `POST ${deriveIdempotencyKey(correlationId, STEP)}`,
        `DELETE ${deriveIdempotencyKey(correlationId, undoStepId(STEP))}`,
      ],
    );
  });

  test('a compensation (compensate: request) answered 404 has nothing left to undo: success with status 404', async () => {
    s.service.answer(() => ({ status: 404, body: { error: 'CHARGE_NOT_FOUND' } }));
    const correlationId = newCorrelationId();
    const handler = buildHandler(s.harness, definition, s.env());
    const undo = {
      ...httpStepPayload({ method: 'POST', path: '/charges/ch_1/refund' }, correlationId),
      step: undoStepId(STEP),
    };
    const result = await handler(undo, lambdaContext(STEP));
    assert.deepEqual(result, {
      status: 404,
      body: { error: 'CHARGE_NOT_FOUND' },
      correlation_id: correlationId,
    });
    assert.equal(
      s.service.received[0]?.headers['idempotency-key'],
      deriveIdempotencyKey(correlationId, undoStepId(STEP)),
    );
    // The step itself still fails on a 404, and a compensation still fails on the other 4xx.
    const forward = await rejection(s.invoke(charge));
    assert.match(forward.message, /^NOT_FOUND: POST \/charges answered 404/);
    s.service.answer(() => ({ status: 422 }));
    const refused = await rejection(
      handler({ ...undo, state: { correlation_id: newCorrelationId() } }, lambdaContext(STEP)),
    );
    assert.equal(refused.name, PERMANENT_ERROR);
  });

  test("a compensation's log lines say so (compensation: true)", async () => {
    const handler = buildHandler(s.harness, definition, s.env());
    const correlationId = newCorrelationId();
    const from = s.harness.lines.length;
    await handler({ ...httpStepPayload(charge, correlationId), step: undoStepId(STEP) }, lambdaContext(STEP));
    const started = s.harness.lines
      .slice(from)
      .map((line) => JSON.parse(line))
      .find((line) => line.message === 'step started');
    assert.equal(started?.compensation, true);
    assert.equal(started?.step, STEP);
  });

  test('a failed call leaves no record: the retry calls again', async () => {
    s.service.answer(() => ({ status: 500 }));
    const correlationId = newCorrelationId();
    await rejection(s.invoke(charge, { correlationId }));
    s.service.answer(() => ({ status: 201, body: {} }));
    assert.equal((await s.invoke(charge, { correlationId, attempt: 1 })).status, 201);
    assert.equal(s.service.received.length, 2);
  });
});

describe('HTTP step: configuration and logs', () => {
  test('one built-in handler serves any step: without STEP_NAME it is a configuration error', async () => {
    const handler = buildHandler(s.harness, definition, s.env({ [ENV.stepName]: undefined }));
    const error = await rejection(s.invoke(charge, { handler }));
    assert.equal(error.name, PERMANENT_ERROR);
    assert.match(error.message, /^CONFIGURATION_ERROR: STEP_NAME is not set/);
  });

  test('logs name the call but never the body, the query values or header values', async () => {
    s.service.answer(() => ({
      status: 201,
      body: { card_holder: 'Grace Hopper', token: 'tok-response-secret' },
    }));
    const correlationId = newCorrelationId();
    const before = s.harness.lines.length;
    await s.invoke(
      {
        ...charge,
        body: { email: 'grace@example.com', card: 'tok-body-secret' },
        query: { coupon: 'query-secret-value' },
        headers: { Authorization: 'Bearer header-secret-value' },
      },
      { correlationId },
    );
    const lines = s.harness.lines.slice(before).join('\n');
    assert.match(lines, /"message":"service call completed"/);
    assert.match(lines, /"path":"\/charges"/);
    for (const secret of [
      'grace@example.com',
      'tok-body-secret',
      'query-secret-value',
      'header-secret-value',
      'Grace Hopper',
      'tok-response-secret',
    ]) {
      assert.doesNotMatch(lines, new RegExp(secret));
    }
  });

  test('an email address in the path is masked in every log line, also when the call fails', async () => {
    s.service.answer(() => ({ status: 503 }));
    const before = s.harness.lines.length;
    await rejection(s.invoke({ method: 'GET', path: '/customers/ada.lovelace@example.com/orders' }));
    const lines = s.harness.lines.slice(before).join('\n');
    assert.match(lines, /"message":"service call failed"/);
    assert.match(lines, /"path":"\/customers\/a\*\*\*@\*\*\*\/orders"/);
    assert.doesNotMatch(lines, /lovelace/);
    assert.equal(s.service.received[0]?.url, '/customers/ada.lovelace@example.com/orders');
  });
});
