import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { compileBodyValidator } from '../../../lambdas/api/schema-validator.ts';
import { createStartExecutionHandler, generateCorrelationId } from '../../../lambdas/api/start-execution.ts';
import { STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES } from '../../../lambdas/contracts.ts';
import { postEvent, registrationSchema, startTable, startTripwireSfn, validBody } from './support.ts';

describe('POST /<resource> rejects bad requests before touching anything', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  let sfn: Awaited<ReturnType<typeof startTripwireSfn>>;
  let handle: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

  before(async () => {
    table = await startTable();
    sfn = await startTripwireSfn();
    handle = createStartExecutionHandler({
      store: table.store,
      sfn: sfn.client,
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:user_registration',
      resource: 'registrations',
      validate: compileBodyValidator(registrationSchema()),
      idempotencyTtlSeconds: 3600,
    });
  });
  after(async () => {
    assert.equal(await table.itemCount(), 0, 'a rejected request wrote to DynamoDB');
    assert.equal(sfn.calls(), 0, 'a rejected request called Step Functions');
    await sfn.close();
    await table.close();
  });

  const json = (result: APIGatewayProxyResult) =>
    JSON.parse(result.body) as { message: string; errors?: unknown };

  test('lists every invalid field in one 400', async () => {
    const body = {
      user_info: { email: 'not-an-email', plan: 'gold', nickname: 'x' },
      preferences: { newsletter: 'yes' },
      extra: 1,
    };
    const result = await handle(postEvent(JSON.stringify(body)));
    assert.equal(result.statusCode, 400);
    assert.deepEqual(json(result), {
      message: 'Request body is invalid: 6 problem(s)',
      errors: [
        { field: '/extra', problem: 'is not an allowed field' },
        { field: '/user_info/name', problem: 'is required' },
        { field: '/user_info/nickname', problem: 'is not an allowed field' },
        { field: '/user_info/email', problem: 'must match format "email"' },
        { field: '/user_info/plan', problem: 'must be one of: free, pro, enterprise' },
        { field: '/preferences/newsletter', problem: 'must be boolean' },
      ],
      problem_count: 6,
    });
  });

  test('a 209 KB body with 20,000 unknown keys gets 20 problems and their count, and a small masked log line', async () => {
    const lines: string[] = [];
    const logged = createStartExecutionHandler({
      store: table.store,
      sfn: sfn.client,
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:user_registration',
      resource: 'registrations',
      validate: compileBodyValidator(registrationSchema()),
      idempotencyTtlSeconds: 3600,
      log: (level, message, fields) => lines.push(JSON.stringify({ level, message, ...fields })),
    });
    const keys = ['+1 555 123 4567', `long${'k'.repeat(5000)}`];
    for (let i = keys.length; i < 20_000; i++) keys.push(`k${i}`);
    const text = JSON.stringify({ ...validBody(), ...Object.fromEntries(keys.map((key) => [key, 1])) });
    assert.ok(text.length > 200_000 && text.length < STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES, `${text.length}`);
    const result = await logged(postEvent(text));
    assert.equal(result.statusCode, 400);
    assert.ok(result.body.length < 3000, `response is ${result.body.length} bytes`);
    const body = JSON.parse(result.body) as {
      message: string;
      errors: Array<{ field: string }>;
      problem_count: number;
    };
    assert.equal(body.message, 'Request body is invalid: 20000 problem(s)');
    assert.equal(body.problem_count, 20_000);
    assert.equal(body.errors.length, 20);
    assert.equal(body.errors[0]?.field, '/+1 555 123 4567');
    assert.equal(body.errors[1]?.field, `/long${'k'.repeat(195)}… (truncated)`);
    assert.equal(lines.length, 1);
    const line = lines[0]!;
    assert.ok(line.length < 3000, `log line is ${line.length} bytes`);
    assert.ok(
      !line.includes('555 123 4567'),
      `a phone number used as a key is logged unmasked: ${line.slice(0, 200)}`,
    );
    assert.match(line, /"problem_count":20000/);
    assert.match(line, /"\/\*\*\*67"/);
  });

  const cases: Array<[string, APIGatewayProxyEvent, number, RegExp]> = [
    ['missing content type', postEvent('{}', {}), 415, /Content-Type header is missing/],
    ['text/plain', postEvent('{}', { 'Content-Type': 'text/plain' }), 415, /'text\/plain' is not supported/],
    [
      'a charset other than UTF-8',
      postEvent('{}', { 'Content-Type': 'application/json; charset=latin1' }),
      415,
      /charset 'latin1'/,
    ],
    ['an empty body', postEvent(''), 400, /body is empty/],
    ['non-JSON', postEvent('user=ada'), 400, /not valid JSON/],
    ['truncated JSON', postEvent('{"user_info":'), 400, /not valid JSON/],
    [
      'invalid UTF-8',
      postEvent(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]).toString('base64'), undefined, {
        isBase64Encoded: true,
      }),
      400,
      /not valid UTF-8/,
    ],
    [
      'a __proto__ key',
      postEvent('{"user_info":{"__proto__":{"admin":true},"email":"a@b.co","name":"A"}}'),
      400,
      /forbidden key '__proto__'/,
    ],
    ['a constructor key', postEvent('{"constructor":{"prototype":{}}}'), 400, /forbidden key 'constructor'/],
    ['deep nesting', postEvent(`${'['.repeat(5000)}${']'.repeat(5000)}`), 400, /nested 5000 levels deep/],
    [
      'a body over the Step Functions input limit',
      postEvent(JSON.stringify(validBody({ pad: 'x'.repeat(STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES) }))),
      413,
      new RegExp(`limit is ${STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES} bytes`),
    ],
    ['an array body', postEvent('[]'), 400, /invalid/],
    [
      'a bad Idempotency-Key',
      postEvent(JSON.stringify(validBody()), {
        'Content-Type': 'application/json',
        'Idempotency-Key': 'has space',
      }),
      400,
      /Idempotency-Key header is invalid/,
    ],
    [
      'an over-long Idempotency-Key',
      postEvent(JSON.stringify(validBody()), {
        'Content-Type': 'application/json',
        'Idempotency-Key': 'k'.repeat(129),
      }),
      400,
      /Idempotency-Key header is invalid/,
    ],
    [
      'an X-Correlation-ID that is not a valid execution name',
      postEvent(JSON.stringify(validBody()), {
        'Content-Type': 'application/json',
        'X-Correlation-ID': 'a:b',
      }),
      400,
      /X-Correlation-ID header is invalid/,
    ],
    [
      'a body correlation_id that disagrees with the header',
      postEvent(JSON.stringify(validBody({ correlation_id: 'one' })), {
        'Content-Type': 'application/json',
        'X-Correlation-ID': 'two',
      }),
      400,
      /disagree/,
    ],
  ];
  for (const [name, event, status, message] of cases) {
    test(`rejects ${name} with ${status}`, async () => {
      const result = await handle(event);
      assert.equal(result.statusCode, status, result.body);
      assert.match(result.body, message);
    });
  }
});

test('generated correlation IDs have the contract shape exec_<unix seconds>_<8 hex>', () => {
  assert.match(generateCorrelationId(1_700_000_000_123), /^exec_1700000000_[0-9a-f]{8}$/);
});
