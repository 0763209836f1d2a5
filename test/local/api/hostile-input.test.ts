import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { createGetExecutionHandler } from '../../../lambdas/api/get-execution.ts';
import { compileBodyValidator } from '../../../lambdas/api/schema-validator.ts';
import { createStartExecutionHandler } from '../../../lambdas/api/start-execution.ts';
import { type LocalApi, startLocalApi } from '../../../local/api/server.ts';
import { registrationSchema, startTable, startTripwireSfn } from '../../lambdas/api/support.ts';
import { hostileCorpus } from '../../reliability/hostile-corpus.ts';
import { sendRaw } from '../../reliability/raw-http.ts';

/** A JSON POST to the resource over raw HTTP, bounded by a timeout. */
const post = (url: string, body: string) =>
  sendRaw(url, { headers: [['Content-Type', 'application/json']], body }, 10_000);

describe('hostile input through the local API and the start Lambda', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  let sfn: Awaited<ReturnType<typeof startTripwireSfn>>;
  let api: LocalApi;
  const integrationErrors: string[] = [];

  before(async () => {
    table = await startTable();
    sfn = await startTripwireSfn();
    const start = createStartExecutionHandler({
      store: table.store,
      sfn: sfn.client,
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:user_registration',
      resource: 'registrations',
      validate: compileBodyValidator(registrationSchema()),
      idempotencyTtlSeconds: 3600,
    });
    const status = createGetExecutionHandler({ store: table.store, sfn: sfn.client });
    api = await startLocalApi({
      host: '127.0.0.1',
      port: 0,
      routes: [
        { method: 'POST', path: '/registrations', functionId: 'Start' },
        { method: 'GET', path: '/registrations/{correlation_id}', functionId: 'Status' },
      ],
      invoke: (functionId, event) => (functionId === 'Start' ? start(event) : status(event)),
      onIntegrationError: (functionId, error) => integrationErrors.push(`${functionId}: ${String(error)}`),
    });
  });
  after(async () => {
    await api.close();
    await sfn.close();
    await table.close();
  });

  test('every request of the corpus gets a 4xx naming its problem; nothing is written or started', async () => {
    // The one corpus (test/reliability/hostile-corpus.ts), here against the API tier alone: the
    // local API and the start/status handlers, a Step Functions that fails the test if called.
    const corpus = hostileCorpus();
    assert.ok(corpus.length >= 200, `the corpus has only ${corpus.length} requests`);
    const wrong: string[] = [];
    for (const hostile of corpus) {
      const answer = await sendRaw(api.url, hostile, 10_000);
      if (answer.timedOut) wrong.push(`${hostile.name}: no answer (the server hung)`);
      else if (answer.status !== hostile.status || !hostile.names.test(answer.body)) {
        wrong.push(`${hostile.name}: ${answer.status} ${answer.body.slice(0, 200)}`);
      }
    }
    assert.deepEqual(wrong, []);
    assert.deepEqual(integrationErrors, [], 'the start Lambda threw');
    assert.equal(await table.itemCount(), 0, 'a rejected request wrote to DynamoDB');
    assert.equal(sfn.calls(), 0, 'a rejected request called Step Functions');
    process.stdout.write(
      `# hostile corpus: ${corpus.length} requests, all 4xx naming the problem, 0 writes, 0 executions\n`,
    );
  });

  test('arbitrary JSON bodies are refused with a 4xx and a message', async () => {
    const notARegistration = fc
      .jsonValue({ maxDepth: 4 })
      .filter((value) => typeof value !== 'object' || value === null || !('user_info' in value));
    await fc.assert(
      fc.asyncProperty(notARegistration, async (value) => {
        const answer = await post(api.url, JSON.stringify(value));
        assert.ok(
          answer.status >= 400 && answer.status < 500,
          `${answer.status} for ${JSON.stringify(value)}`,
        );
        assert.ok((JSON.parse(answer.body) as { message: string }).message.length > 0);
      }),
      { numRuns: 150, seed: 42 },
    );
    assert.equal(await table.itemCount(), 0);
    assert.equal(sfn.calls(), 0);
  });

  test('schema-shaped bodies with one bad field are refused naming that field', async () => {
    const knownUserFields = new Set(['email', 'name', 'phone', 'plan', 'referral_code', 'company', 'source']);
    const badField = fc.oneof(
      fc
        .string({ minLength: 1, maxLength: 20 })
        .filter(
          (key) => !knownUserFields.has(key) && !['__proto__', 'constructor', 'prototype'].includes(key),
        )
        .map((key) => ({ key, value: 'x' as unknown, pointer: `/user_info/${key}` })),
      fc
        .constantFrom(...knownUserFields)
        .chain((key) =>
          fc
            .oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }))
            .map((value) => ({ key, value: value as unknown, pointer: `/user_info/${key}` })),
        ),
      fc
        .string({ maxLength: 40 })
        .filter((email) => !email.includes('@'))
        .map((value) => ({ key: 'email', value: value as unknown, pointer: '/user_info/email' })),
    );
    await fc.assert(
      fc.asyncProperty(badField, async ({ key, value, pointer }) => {
        const body = { user_info: { email: 'ada@example.com', name: 'Ada', [key]: value } };
        const answer = await post(api.url, JSON.stringify(body));
        assert.equal(answer.status, 400, answer.body);
        const fields = (JSON.parse(answer.body) as { errors: Array<{ field: string }> }).errors.map(
          (e) => e.field,
        );
        assert.ok(fields.includes(pointer), `${pointer} not named in ${fields.join(', ')}`);
      }),
      { numRuns: 150, seed: 7 },
    );
    assert.equal(await table.itemCount(), 0);
    assert.equal(sfn.calls(), 0);
  });
});
