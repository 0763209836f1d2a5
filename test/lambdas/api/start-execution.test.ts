import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { executionArnFor } from '../../../lambdas/api/api-config.ts';
import { createGetExecutionHandler } from '../../../lambdas/api/get-execution.ts';
import { compileBodyValidator } from '../../../lambdas/api/schema-validator.ts';
import { createStartExecutionHandler } from '../../../lambdas/api/start-execution.ts';
import { LOCAL_AWS_CLIENT_CONFIG } from '../../../local/dynamo.ts';
import { createExecutor } from '../../../local/runtime/executor.ts';
import { type SfnEndpoint, startSfnEndpoint } from '../../../local/runtime/sfn-endpoint.ts';
import { getEvent, postEvent, registrationSchema, startTable, validBody } from './support.ts';

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:user_registration';

describe('POST /<resource> starts each execution exactly once', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  let endpoint: SfnEndpoint;
  let sfn: SFNClient;
  let start: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  let status: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

  before(async () => {
    table = await startTable();
    // A real local Step Functions endpoint running a tiny machine: a 1 s Wait at 10x speed, so an
    // execution is still RUNNING while duplicates arrive and closes soon after.
    const executor = await createExecutor({
      machine: {
        logicalId: 'Machine',
        name: 'user_registration',
        arn: STATE_MACHINE_ARN,
        workflow: 'user_registration',
        type: 'STANDARD',
        definition: {
          StartAt: 'Hold',
          States: { Hold: { Type: 'Wait', Seconds: 1, Next: 'Done' }, Done: { Type: 'Succeed' } },
        },
      },
      invoke: async () => {
        throw new Error('no tasks in this machine');
      },
      timeScale: 10,
    });
    endpoint = await startSfnEndpoint({ executors: [executor] });
    sfn = new SFNClient({ ...LOCAL_AWS_CLIENT_CONFIG, endpoint: endpoint.url });
    start = createStartExecutionHandler({
      store: table.store,
      sfn,
      stateMachineArn: STATE_MACHINE_ARN,
      resource: 'registrations',
      validate: compileBodyValidator(registrationSchema()),
      idempotencyTtlSeconds: 3600,
    });
    status = createGetExecutionHandler({ store: table.store, sfn });
  });
  after(async () => {
    sfn.destroy();
    await endpoint.close();
    await table.close();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    start(postEvent(JSON.stringify(body), { 'Content-Type': 'application/json', ...headers }));
  const executionsNamed = (name: string) => endpoint.executions().filter((e) => e.name === name);

  test('answers 202 with the correlation ID, execution ARN and status URL, and starts the input with defaults', async () => {
    const result = await post(validBody({ user_info: { email: 'grace@example.com', name: 'Grace' } }), {
      'X-Correlation-ID': 'corr-defaults',
    });
    assert.equal(result.statusCode, 202);
    const body = JSON.parse(result.body);
    const { status_url, ...rest } = body;
    assert.deepEqual(rest, {
      correlation_id: 'corr-defaults',
      execution_arn: 'arn:aws:states:us-east-1:000000000000:execution:user_registration:corr-defaults',
    });
    assert.match(
      status_url,
      /^https:\/\/api\.test\/v1\/registrations\/corr-defaults\?token=[A-Za-z0-9_-]{43}$/,
    );
    assert.equal(result.headers?.Location, body.status_url);
    const [execution] = executionsNamed('corr-defaults');
    assert.deepEqual(JSON.parse(execution!.input), {
      billing_info: { payment_method: 'card_visa' },
      correlation_id: 'corr-defaults',
      user_info: { email: 'grace@example.com', name: 'Grace', plan: 'free', source: 'web' },
    });
  });

  test('generates a correlation ID when the client sends none', async () => {
    const result = await post(validBody());
    assert.match(JSON.parse(result.body).correlation_id, /^exec_\d+_[0-9a-f]{8}$/);
  });

  test('replays the stored response for the same key and body, also after the execution finished', async () => {
    const first = await post(validBody(), { 'Idempotency-Key': 'key-replay' });
    const second = await post(validBody(), { 'Idempotency-Key': 'key-replay' });
    assert.equal(first.statusCode, 202);
    assert.deepEqual(second, first);
    const id = JSON.parse(first.body).correlation_id as string;
    await executionsNamed(id)[0]!.done;
    assert.equal(executionsNamed(id)[0]!.status, 'SUCCEEDED');
    const afterFinish = await post(validBody(), { 'Idempotency-Key': 'key-replay' });
    assert.deepEqual(afterFinish, first);
    assert.equal(executionsNamed(id).length, 1);
  });

  test('answers 422 for the same key with a different body, and starts nothing', async () => {
    const before = endpoint.executions().length;
    await post(validBody(), { 'Idempotency-Key': 'key-422' });
    const result = await post(validBody({ preferences: { newsletter: true } }), {
      'Idempotency-Key': 'key-422',
    });
    assert.equal(result.statusCode, 422);
    assert.match(JSON.parse(result.body).message, /already used with a different request body/);
    assert.equal(endpoint.executions().length, before + 1);
  });

  test('50 concurrent identical POSTs with one key start one execution and get 50 identical answers', async () => {
    const before = endpoint.executions().length;
    const results = await Promise.all(
      Array.from({ length: 50 }, () => post(validBody(), { 'Idempotency-Key': 'key-concurrent' })),
    );
    assert.equal(endpoint.executions().length, before + 1);
    assert.equal(new Set(results.map((r) => `${r.statusCode} ${r.body}`)).size, 1);
    assert.equal(results[0]!.statusCode, 202);
  });

  test('50 concurrent identical POSTs with one X-Correlation-ID and no key start one execution', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, () => post(validBody(), { 'X-Correlation-ID': 'corr-concurrent' })),
    );
    assert.equal(executionsNamed('corr-concurrent').length, 1);
    assert.equal(new Set(results.map((r) => `${r.statusCode} ${r.body}`)).size, 1);
  });

  test('rejects a reused correlation ID with a different body with 409', async () => {
    await post(validBody(), { 'X-Correlation-ID': 'corr-reused' });
    const result = await post(validBody({ preferences: { newsletter: true } }), {
      'X-Correlation-ID': 'corr-reused',
    });
    assert.equal(result.statusCode, 409);
    assert.match(JSON.parse(result.body).message, /already belongs to a different request/);
    assert.equal(executionsNamed('corr-reused').length, 1);
  });

  test('takes over a key whose first request died before starting the execution', async () => {
    const body = validBody({ correlation_id: 'corr-abandoned' });
    // What a start Lambda that crashed right after claiming the key leaves behind.
    const { createHash } = await import('node:crypto');
    const { canonicalJson } = await import('../../../lambdas/api/canonical-json.ts');
    const withDefaults = structuredClone(body);
    compileBodyValidator(registrationSchema())(withDefaults);
    await table.store.putIdempotencyRecord(
      'key-abandoned',
      {
        requestHash: createHash('sha256').update(canonicalJson(withDefaults)).digest('hex'),
        correlationId: 'corr-abandoned',
        status: 'IN_PROGRESS',
        leaseUntil: Date.now(),
        response: undefined,
      },
      Math.floor(Date.now() / 1000) + 3600,
    );
    const result = await post(body, { 'Idempotency-Key': 'key-abandoned' });
    assert.equal(result.statusCode, 202);
    assert.equal(JSON.parse(result.body).correlation_id, 'corr-abandoned');
    assert.equal(executionsNamed('corr-abandoned').length, 1);
  });

  test('GET reports a started execution, 404 for an unknown ID and 400 for a malformed one', async () => {
    await post(validBody(), { 'X-Correlation-ID': 'corr-status' });
    const found = await status(getEvent('corr-status'));
    assert.equal(found.statusCode, 200);
    const doc = JSON.parse(found.body);
    assert.equal(doc.correlation_id, 'corr-status');
    assert.ok(['RUNNING', 'SUCCEEDED'].includes(doc.status));
    assert.match(
      doc.console_url,
      /^https:\/\/us-east-1\.console\.aws\.amazon\.com\/states\/home\?region=us-east-1#/,
    );
    assert.deepEqual(doc.failed_steps, []);
    const missing = await status(getEvent('nobody'));
    assert.equal(missing.statusCode, 404);
    assert.match(JSON.parse(missing.body).message, /No execution with correlation ID 'nobody'/);
    assert.equal((await status(getEvent('bad id!'))).statusCode, 400);
  });

  test('serves any workflow: its resource names the status URL, its schema is the one enforced', async () => {
    const orders = createStartExecutionHandler({
      store: table.store,
      sfn,
      stateMachineArn: STATE_MACHINE_ARN,
      resource: 'orders',
      validate: compileBodyValidator({
        type: 'object',
        required: ['order_id'],
        additionalProperties: false,
        properties: {
          order_id: { type: 'string' },
          priority: { type: 'string', default: 'normal' },
          correlation_id: { type: 'string' },
        },
      }),
      idempotencyTtlSeconds: 3600,
    });
    const ordersPost = (body: unknown) => {
      const event = postEvent(JSON.stringify(body), {
        'Content-Type': 'application/json',
        'X-Correlation-ID': 'corr-orders',
      });
      const requestContext = { ...event.requestContext, path: '/v1/orders', resourcePath: '/orders' };
      return orders({ ...event, resource: '/orders', path: '/orders', requestContext });
    };
    const refused = await ordersPost(validBody());
    assert.equal(refused.statusCode, 400);
    assert.deepEqual(
      (JSON.parse(refused.body).errors as Array<{ field: string }>).map((e) => e.field).sort(),
      ['/billing_info', '/order_id', '/user_info'],
    );
    const accepted = await ordersPost({ order_id: 'o-1' });
    assert.equal(accepted.statusCode, 202);
    assert.match(
      JSON.parse(accepted.body).status_url,
      /^https:\/\/api\.test\/v1\/orders\/corr-orders\?token=/,
    );
    assert.deepEqual(JSON.parse(executionsNamed('corr-orders')[0]!.input), {
      correlation_id: 'corr-orders',
      order_id: 'o-1',
      priority: 'normal',
    });
  });
});

test('an alias or version ARN names the same executions as its state machine', () => {
  const machine = 'arn:aws:states:us-east-1:000000000000:stateMachine:orders';
  const execution = 'arn:aws:states:us-east-1:000000000000:execution:orders:o-1';
  assert.equal(executionArnFor(machine, 'o-1'), execution);
  assert.equal(executionArnFor(`${machine}:live`, 'o-1'), execution);
  assert.equal(executionArnFor(`${machine}:7`, 'o-1'), execution);
});
