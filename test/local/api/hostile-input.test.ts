import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { createGetExecutionHandler } from '../../../lambdas/api/get-execution.ts';
import { compileBodyValidator } from '../../../lambdas/api/schema-validator.ts';
import { createStartExecutionHandler } from '../../../lambdas/api/start-execution.ts';
import { type LocalApi, startLocalApi } from '../../../local/api/server.ts';
import { registrationSchema, startTable, startTripwireSfn } from '../../lambdas/api/support.ts';
import { hostileCorpus } from './hostile-corpus.ts';

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One raw HTTP request (no client-side header or body rewriting), bounded by a timeout. */
function send(
  url: string,
  method: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(`${url}/registrations`, { method, headers, timeout: 10_000 }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s: the server hung')));
    // A server refusing a huge upload may close the socket while we still write: fine once answered.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.end(body);
  });
}

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
    const corpus = hostileCorpus();
    assert.ok(corpus.length >= 100, `the corpus has only ${corpus.length} requests`);
    const wrong: string[] = [];
    for (const hostile of corpus) {
      const answer = await send(api.url, 'POST', hostile.body, hostile.headers);
      if (answer.status !== hostile.status || !hostile.names.test(answer.body)) {
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
        const answer = await send(api.url, 'POST', JSON.stringify(value), {
          'Content-Type': 'application/json',
        });
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
        const answer = await send(api.url, 'POST', JSON.stringify(body), {
          'Content-Type': 'application/json',
        });
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
