import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { compileBodyValidator, dropEmptyOptionalObjects } from '../../../lambdas/api/schema-validator.ts';
import { createStartExecutionHandler } from '../../../lambdas/api/start-execution.ts';
import { machineArn, startLocalSfn } from './local-sfn.ts';
import { postEvent, registrationSchema, startTable, validBody } from './support.ts';

describe('idempotency edges of POST /<resource>', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  let local: Awaited<ReturnType<typeof startLocalSfn>>;
  let start: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

  before(async () => {
    table = await startTable('edges');
    local = await startLocalSfn([
      {
        name: 'edges',
        // Closes after ~100 ms, so some repeats meet a RUNNING execution and some a closed one.
        definition: { StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 1, End: true } } },
        invoke: async () => ({}),
        timeScale: 10,
      },
    ]);
    start = createStartExecutionHandler({
      store: table.store,
      sfn: local.sfn,
      stateMachineArn: machineArn('edges'),
      resource: 'registrations',
      validate: compileBodyValidator(registrationSchema()),
      idempotencyTtlSeconds: 3600,
    });
  });
  after(async () => {
    await local.close();
    await table.close();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    start(postEvent(JSON.stringify(body), { 'Content-Type': 'application/json', ...headers }));
  const named = (id: string) => local.endpoint.executions().filter((e) => e.name === id);

  test('echoing a generated correlation ID with the identical body replays the first answer, running or closed', async () => {
    const first = await post(validBody());
    assert.equal(first.statusCode, 202);
    const id = JSON.parse(first.body).correlation_id as string;
    assert.match(id, /^exec_/);
    const echoedHeader = await post(validBody(), { 'X-Correlation-ID': id });
    assert.deepEqual(echoedHeader, first);
    await named(id)[0]!.done;
    const echoedBody = await post(validBody({ correlation_id: id }));
    assert.deepEqual(echoedBody, first, 'after the execution closed too');
    assert.equal(named(id).length, 1);
    const changed = await post(validBody({ preferences: { newsletter: true } }), { 'X-Correlation-ID': id });
    assert.equal(changed.statusCode, 409, 'a different body under the echoed ID is still refused');
  });

  test('a key refused with 409 is not burned: the corrected retry with the same key starts and is then replayed', async () => {
    await post(validBody(), { 'X-Correlation-ID': 'edge-taken' });
    const refused = await post(validBody({ preferences: { newsletter: true } }), {
      'Idempotency-Key': 'edge-key',
      'X-Correlation-ID': 'edge-taken',
    });
    assert.equal(refused.statusCode, 409);
    const again = await post(validBody({ preferences: { newsletter: true } }), {
      'Idempotency-Key': 'edge-key',
      'X-Correlation-ID': 'edge-taken',
    });
    assert.equal(again.statusCode, 409, 'the same refused request is refused the same way, at once');
    const corrected = await post(validBody({ preferences: { newsletter: true } }), {
      'Idempotency-Key': 'edge-key',
      'X-Correlation-ID': 'edge-fixed',
    });
    assert.equal(corrected.statusCode, 202, corrected.body);
    assert.equal(JSON.parse(corrected.body).correlation_id, 'edge-fixed');
    const replayed = await post(validBody({ preferences: { newsletter: true } }), {
      'Idempotency-Key': 'edge-key',
      'X-Correlation-ID': 'edge-fixed',
    });
    assert.deepEqual(replayed, corrected);
    assert.equal(named('edge-fixed').length, 1);
  });

  test('an empty optional object is the same request as leaving it out: same answer for the key, same input', async () => {
    const absent = await post(validBody(), { 'Idempotency-Key': 'edge-empty' });
    assert.equal(absent.statusCode, 202);
    const empty = await post(
      validBody({ preferences: {}, billing_info: { payment_method: 'card_visa', billing_address: {} } }),
      {
        'Idempotency-Key': 'edge-empty',
      },
    );
    assert.deepEqual(empty, absent, 'not a 422 "different body"');

    const viaEmpty = await post(validBody({ preferences: {} }), { 'X-Correlation-ID': 'edge-empty-first' });
    assert.equal(viaEmpty.statusCode, 202);
    const input = JSON.parse(named('edge-empty-first')[0]!.input) as Record<string, unknown>;
    assert.equal('preferences' in input, false, 'no preferences object reaches the workflow');
    const viaAbsent = await post(validBody(), { 'X-Correlation-ID': 'edge-empty-first' });
    assert.deepEqual(viaAbsent, viaEmpty);
  });

  test('a required object sent empty is kept and validated as sent; so is {} for a string', async () => {
    const phone = await post(validBody({ user_info: { email: 'a@b.co', name: 'A', phone: {} } }));
    assert.equal(phone.statusCode, 400);
    assert.deepEqual(JSON.parse(phone.body).errors, [
      { field: '/user_info/phone', problem: 'must be string' },
    ]);
    const result = await post({ user_info: {} });
    assert.equal(result.statusCode, 400);
    assert.deepEqual(
      (JSON.parse(result.body).errors as Array<{ field: string }>).map((e) => e.field).sort(),
      ['/user_info/email', '/user_info/name'],
    );
    const body: Record<string, unknown> = {
      a: {},
      b: { c: {} },
      d: {},
      e: { f: {} },
      g: { h: 1, i: {} },
      x: {},
      s: {},
      u: {},
      n: { type: {} },
    };
    dropEmptyOptionalObjects(body, {
      type: 'object',
      required: ['d'],
      properties: {
        a: { type: 'object' },
        b: { type: 'object', properties: { c: { type: 'object' } } },
        d: {},
        e: { type: 'object', required: ['f'], properties: { f: { type: 'object' } } },
        g: { type: 'object', properties: { i: { type: 'object' } } },
        s: { type: 'string' },
        u: {},
        n: { properties: { type: { type: 'object' } } },
      },
    });
    assert.deepEqual(
      body,
      { d: {}, e: { f: {} }, g: { h: 1 }, x: {}, s: {}, u: {} },
      'innermost first; required ones, non-object ones and ones the schema does not name stay',
    );
  });
});
