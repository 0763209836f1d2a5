import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { readApiConfig, readOperateConfig, readStatusConfig } from '../../../lambdas/api/api-config.ts';
import { createGetExecutionHandler } from '../../../lambdas/api/get-execution.ts';
import { compileBodyValidator } from '../../../lambdas/api/schema-validator.ts';
import { createStartExecutionHandler } from '../../../lambdas/api/start-execution.ts';
import { publicCause } from '../../../lambdas/api/status-privacy.ts';
import { API_ENV, ENV, PERMANENT_ERROR, STATUS_TOKEN_PARAM } from '../../../lambdas/contracts.ts';
import { machineArn, startLocalSfn } from './local-sfn.ts';
import { CALLER_ARN, getEvent, postEvent, registrationSchema, startTable, validBody } from './support.ts';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:step';

/** `create` returns personal data beside its ID; `notify` fails with personal data in its cause. */
const definition = {
  StartAt: 'create',
  States: {
    create: { Type: 'Task', Resource: FUNCTION_ARN, ResultPath: '$.steps.create', Next: 'notify' },
    notify: { Type: 'Task', Resource: `${FUNCTION_ARN}-failing`, ResultPath: '$.steps.notify', End: true },
  },
};

const okDefinition = {
  StartAt: 'create',
  States: { create: { Type: 'Task', Resource: FUNCTION_ARN, ResultPath: '$.steps.create', End: true } },
};

async function invoke(functionArn: string): Promise<unknown> {
  if (!functionArn.endsWith('-failing')) {
    return { user_id: 'u-1', email: 'ada@example.com', full_name: 'Ada Lovelace' };
  }
  throw Object.assign(new Error('USER_CONFLICT: ada@example.com is taken; call +1 (555) 123-4567 for help'), {
    name: PERMANENT_ERROR,
  });
}

describe('status privacy: only the owner or the token holder reads a status, and it carries no personal data', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  let local: Awaited<ReturnType<typeof startLocalSfn>>;
  let start: (name: string) => (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  let status: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

  before(async () => {
    table = await startTable('privacy');
    local = await startLocalSfn([
      { name: 'failing', definition, invoke },
      { name: 'ok', definition: okDefinition, invoke },
    ]);
    const validate = compileBodyValidator(registrationSchema());
    start = (name) =>
      createStartExecutionHandler({
        store: table.store,
        sfn: local.sfn,
        stateMachineArn: machineArn(name),
        resource: 'registrations',
        validate,
        idempotencyTtlSeconds: 3600,
      });
    status = createGetExecutionHandler({ store: table.store, sfn: local.sfn });
  });
  after(async () => {
    await local.close();
    await table.close();
  });

  /** POSTs a registration as `userArn` (null: no IAM) and waits for its execution to close. */
  const startAndFinish = async (machine: string, id: string, userArn: string | null) => {
    const result = await start(machine)(
      postEvent(
        JSON.stringify(validBody()),
        { 'Content-Type': 'application/json', 'X-Correlation-ID': id },
        { userArn },
      ),
    );
    assert.equal(result.statusCode, 202, result.body);
    await local.endpoint.executions().find((e) => e.name === id)!.done;
    const url = new URL(JSON.parse(result.body).status_url);
    return url.searchParams.get(STATUS_TOKEN_PARAM)!;
  };

  test('the token of status_url reads the status without IAM; no token, a wrong token or another principal get the 404 of an unknown ID', async () => {
    const token = await startAndFinish('failing', 'priv-token', null);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    const withToken = await status(getEvent('priv-token', { userArn: null, query: { token } }));
    assert.equal(withToken.statusCode, 200);
    assert.equal(JSON.parse(withToken.body).correlation_id, 'priv-token');

    const unknown = await status(getEvent('priv-nobody', { userArn: null }));
    assert.equal(unknown.statusCode, 404);
    const expected = { ...unknown, body: unknown.body.replace('priv-nobody', 'priv-token') };
    const refused = [
      await status(getEvent('priv-token', { userArn: null })),
      await status(
        getEvent('priv-token', {
          userArn: null,
          query: { token: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}` },
        }),
      ),
      await status(getEvent('priv-token', { userArn: CALLER_ARN, query: { token: 'short' } })),
    ];
    for (const answer of refused) assert.deepEqual(answer, expected);
  });

  test('the principal that started it reads it without a token; another principal gets the same 404 as an unknown ID', async () => {
    await startAndFinish('failing', 'priv-owner', CALLER_ARN);
    assert.equal((await status(getEvent('priv-owner'))).statusCode, 200);
    const other = await status(getEvent('priv-owner', { userArn: 'arn:aws:iam::000000000000:user/mallory' }));
    const unknown = await status(
      getEvent('priv-unknown', { userArn: 'arn:aws:iam::000000000000:user/mallory' }),
    );
    assert.equal(other.statusCode, 404);
    assert.deepEqual(other, { ...unknown, body: unknown.body.replace('priv-unknown', 'priv-owner') });
  });

  test('the document has statuses, attempts, error name, code and a masked cause, and no input or output', async () => {
    await startAndFinish('failing', 'priv-doc', CALLER_ARN);
    const answer = await status(getEvent('priv-doc'));
    const doc = JSON.parse(answer.body);
    assert.equal(doc.status, 'FAILED');
    assert.equal(doc.outcome, 'held_for_redrive');
    assert.deepEqual(
      doc.steps.map((s: { name: string; status: string; attempts: number }) => [
        s.name,
        s.status,
        s.attempts,
      ]),
      [
        ['create', 'succeeded', 1],
        ['notify', 'failed', 1],
      ],
    );
    const notify = doc.steps[1];
    assert.equal(notify.error.error, PERMANENT_ERROR);
    assert.equal(notify.error.code, 'USER_CONFLICT');
    assert.equal(notify.error.cause, 'USER_CONFLICT: a***@*** is taken; call ***67 for help');
    assert.equal(doc.cause, notify.error.cause);
    for (const secret of ['ada@example.com', 'Ada Lovelace', 'card_visa', '555', 'u-1']) {
      assert.ok(!answer.body.includes(secret), `the status leaks ${secret}: ${answer.body}`);
    }
    assert.equal(doc.output, undefined);
    assert.equal(doc.input, undefined);
  });

  test('only the allow-listed output paths are shown, from the output or else the latest state', async () => {
    const allowed = createGetExecutionHandler({
      store: table.store,
      sfn: local.sfn,
      statusOutput: ['steps.create.user_id', 'steps.missing.id'],
    });
    await startAndFinish('ok', 'priv-ok', CALLER_ARN);
    const succeeded = JSON.parse((await allowed(getEvent('priv-ok'))).body);
    assert.equal(succeeded.status, 'SUCCEEDED');
    assert.equal(succeeded.outcome, 'succeeded');
    assert.deepEqual(succeeded.output, { steps: { create: { user_id: 'u-1' } } });
    // A failed execution has no output: the paths come from the last state that exited.
    const failed = JSON.parse((await allowed(getEvent('priv-doc'))).body);
    assert.deepEqual(failed.output, { steps: { create: { user_id: 'u-1' } } });
    assert.ok(!JSON.stringify(failed).includes('ada@example.com'));
  });

  test('the token is never stored: not in the key record replayed for duplicates, not in the correlation record', async () => {
    const post = () =>
      start('ok')(
        postEvent(JSON.stringify(validBody()), {
          'Content-Type': 'application/json',
          'Idempotency-Key': 'priv-key',
        }),
      );
    const first = await post();
    const token = new URL(JSON.parse(first.body).status_url).searchParams.get(STATUS_TOKEN_PARAM)!;
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(await post(), first, 'a duplicate gets the token back, recomputed');
    const { dynamo } = table;
    const { ScanCommand } = await import('@aws-sdk/client-dynamodb');
    const items = await dynamo.client.send(new ScanCommand({ TableName: 'privacy' }));
    const stored = JSON.stringify(items.Items);
    assert.ok(stored.includes('priv-key'), 'the scan sees the key record');
    assert.ok(!stored.includes(token), 'the token is in the table');
    const id = JSON.parse(first.body).correlation_id as string;
    const withToken = await status(getEvent(id, { userArn: null, query: { token } }));
    assert.equal(withToken.statusCode, 200);
  });

  test('the history is read without its data unless an allow-listed path must come from it', async () => {
    const { SFNClient } = await import('@aws-sdk/client-sfn');
    const { LOCAL_AWS_CLIENT_CONFIG } = await import('../../../local/dynamo.ts');
    /** includeExecutionData of each GetExecutionHistory call (the only command that has it). */
    const asked: unknown[] = [];
    const sfn = new SFNClient({ ...LOCAL_AWS_CLIENT_CONFIG, endpoint: local.endpoint.url });
    sfn.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as Record<string, unknown>;
        if (Object.hasOwn(input, 'includeExecutionData')) asked.push(input.includeExecutionData);
        return next(args);
      },
      { step: 'initialize' },
    );
    const read = async (statusOutput: string[]) => {
      asked.length = 0;
      const answer = await createGetExecutionHandler({ store: table.store, sfn, statusOutput })(
        getEvent('priv-doc'),
      );
      assert.equal(answer.statusCode, 200);
      return [...asked];
    };
    assert.deepEqual(await read([]), [false]);
    assert.deepEqual(await read(['steps.create.user_id']), [true], 'FAILED: the paths come from the history');
    sfn.destroy();
  });

  test('causes are masked and bounded, and never show a stack trace', () => {
    assert.equal(
      publicCause(
        JSON.stringify({ errorType: 'E', errorMessage: 'mail jane.doe@example.org', trace: ['at x'] }),
      ),
      'mail j***@***',
    );
    assert.equal(publicCause('order 12345 failed'), 'order 12345 failed', 'short numbers are not phones');
    assert.equal(publicCause('call 5551234567 or +44 20 7946 0958'), 'call ***67 or ***58');
    assert.equal(
      publicCause('expired 2026-12-02T07:10:00Z, trace 1234567890123456789'),
      'expired 2026-12-02T07:10:00Z, trace 1234567890123456789',
      'dates and IDs longer than any phone number stay',
    );
    const long = publicCause('x'.repeat(5000));
    assert.equal(long.length, 1000 + '… (truncated)'.length);
    assert.equal(publicCause(undefined), '');
  });
});

test('STATUS_OUTPUT is a JSON list of dotted paths; anything else is a deployment error naming it', () => {
  const env = { [ENV.tableName]: 't' };
  assert.deepEqual(readStatusConfig(env).statusOutput, []);
  assert.deepEqual(
    readStatusConfig({ ...env, [ENV.statusOutput]: '["steps.create.user_id","steps.a-b.0"]' }).statusOutput,
    ['steps.create.user_id', 'steps.a-b.0'],
  );
  for (const bad of ['{', '"steps.x"', '["steps..x"]', '["steps.__proto__.x"]', '[1]', '["a b"]']) {
    assert.throws(() => readStatusConfig({ ...env, [ENV.statusOutput]: bad }), /^Error: STATUS_OUTPUT /, bad);
  }
});

test('the operations function names a missing variable; the start function reads WORKFLOW_VALIDATOR_MODULE', () => {
  const env = {
    [ENV.tableName]: 't',
    [ENV.stateMachineArn]: 'arn:aws:states:us-east-1:000000000000:stateMachine:m',
    [ENV.apiResource]: 'orders',
  };
  assert.deepEqual(readOperateConfig(env), {
    tableName: 't',
    stateMachineArn: env[ENV.stateMachineArn],
    resource: 'orders',
    logLevel: 'INFO',
  });
  assert.throws(
    () => readOperateConfig({ ...env, [ENV.apiResource]: '' }),
    /^Error: Environment variable API_RESOURCE is not set$/,
  );
  const startEnv = { ...env, [ENV.workflowSchema]: '{"type":"object"}' };
  assert.equal(readApiConfig(startEnv).validatorModule, undefined);
  assert.equal(
    readApiConfig({ ...startEnv, [API_ENV.validatorModule]: './validator.mjs' }).validatorModule,
    './validator.mjs',
  );
});
