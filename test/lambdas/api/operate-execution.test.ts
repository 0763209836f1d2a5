import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createGetExecutionHandler } from '../../../lambdas/api/get-execution.ts';
import { createOperateExecutionHandler } from '../../../lambdas/api/operate-execution.ts';
import { OperatorStore, operatorKeyOf } from '../../../lambdas/api/operator-store.ts';
import { compileBodyValidator } from '../../../lambdas/api/schema-validator.ts';
import { createStartExecutionHandler } from '../../../lambdas/api/start-execution.ts';
import {
  COMPENSATED_FAIL_STATE,
  ENV,
  OPERATION_CONFLICTS,
  OPERATION_PATHS,
  type OperatorPayload,
  operatorPayloadTemplate,
  PERMANENT_ERROR,
  RESOLVED_MANUALLY,
  RETRYABLE_ERROR,
  STATE_SUFFIX,
  STATUS_TOKEN_PARAM,
  stepPayloadTemplate,
  undoStepId,
} from '../../../lambdas/contracts.ts';
import { machineArn, startLocalSfn } from './local-sfn.ts';
import { postEvent, startTable } from './support.ts';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function';
const OPERATOR_FN = `${FN}:operator`;

const task = (step: string, next: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: `${FN}:${step}`,
  Parameters: stepPayloadTemplate('ops', step),
  ResultPath: `$.steps.${step}`,
  ...extra,
  ...next,
});

/** review fails permanently and waits for an operator, then notify reads what the operator gave. */
const operated = {
  StartAt: 'create',
  States: {
    create: task('create', { Next: 'review' }),
    review: task(
      'review',
      { Next: 'notify' },
      {
        Catch: [
          {
            ErrorEquals: [PERMANENT_ERROR],
            ResultPath: '$.errors.review',
            Next: `review${STATE_SUFFIX.operator}`,
          },
        ],
      },
    ),
    [`review${STATE_SUFFIX.operator}`]: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: OPERATOR_FN, Payload: operatorPayloadTemplate('ops', 'review') },
      TimeoutSeconds: 3600,
      ResultPath: '$.steps.review',
      Next: 'notify',
    },
    notify: task('notify', { End: true }),
  },
};

/** flaky fails with a retryable error while the service is down: FAILED, held for redrive. */
const flaky = {
  StartAt: 'create',
  States: { create: task('create', { Next: 'flaky' }), flaky: task('flaky', { End: true }) },
};

/** charge fails permanently: create is undone (or its undo fails), then COMPENSATED_FAIL_STATE. */
const saga = (undo: string) => ({
  StartAt: 'create',
  States: {
    create: task('create', { Next: 'charge' }),
    charge: task(
      'charge',
      { Next: 'end' },
      {
        Catch: [
          {
            ErrorEquals: [PERMANENT_ERROR],
            ResultPath: '$.errors.charge',
            Next: `create${STATE_SUFFIX.undo}`,
          },
        ],
      },
    ),
    end: { Type: 'Succeed' },
    [`create${STATE_SUFFIX.undo}`]: {
      Type: 'Task',
      Resource: `${FN}:${undo}`,
      Parameters: stepPayloadTemplate('ops', undoStepId('create')),
      ResultPath: '$.undo.create',
      Catch: [
        {
          ErrorEquals: ['States.ALL'],
          ResultPath: '$.undo_failed.create',
          Next: `create${STATE_SUFFIX.undoFailed}`,
        },
      ],
      Next: COMPENSATED_FAIL_STATE,
    },
    [`create${STATE_SUFFIX.undoFailed}`]: { Type: 'Pass', Next: COMPENSATED_FAIL_STATE },
    [COMPENSATED_FAIL_STATE]: {
      Type: 'Fail',
      ErrorPath: '$.errors.charge.Error',
      CausePath: '$.errors.charge.Cause',
    },
  },
});

const slow = { StartAt: 'hold', States: { hold: { Type: 'Wait', Seconds: 3600, End: true } } };

const fail = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('the operator routes: list, stop, redrive, resolve and fail through the real local Step Functions endpoint', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  let local: Awaited<ReturnType<typeof startLocalSfn>>;
  const calls = new Map<string, number>();
  const seen: Record<string, unknown> = {};
  let serviceDown = true;

  /** The step Lambdas, and an operator function storing the token as OPERATOR_ENTRY does. */
  const invoke = (doc: () => DynamoDBDocumentClient) => async (fn: string, payload: unknown) => {
    const name = fn.split(':').pop() ?? '';
    calls.set(name, (calls.get(name) ?? 0) + 1);
    if (name === 'operator') {
      const p = payload as OperatorPayload;
      await doc().send(
        new PutCommand({
          TableName: 'operate',
          Item: {
            ...operatorKeyOf(p.correlation_id, p.step),
            task_token: p.task_token,
            error: p.error,
            workflow: p.workflow,
            step: p.step,
            execution_id: p.execution_id,
            created_at: Date.now(),
            expires_at: Math.floor(Date.now() / 1000) + 3600,
          },
        }),
      );
      return {};
    }
    const state = (payload as { state: { correlation_id: string; steps?: Record<string, unknown> } }).state;
    if (name === 'review') throw fail(PERMANENT_ERROR, 'REVIEW_REQUIRED: a***@*** needs a human');
    if (name === 'charge') throw fail(PERMANENT_ERROR, 'CARD_DECLINED: card declined');
    if (name === 'undo-broken') throw fail(RETRYABLE_ERROR, 'user service answered 503');
    if (name === 'flaky' && serviceDown) throw fail(RETRYABLE_ERROR, 'billing answered 503');
    if (name === 'notify') seen[state.correlation_id] = state.steps?.review;
    return { ok: name };
  };

  let start: (machine: string) => (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  let operate: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  let status: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  let operators: OperatorStore;

  before(async () => {
    table = await startTable('operate');
    const doc = DynamoDBDocumentClient.from(table.dynamo.client);
    operators = new OperatorStore(doc, 'operate');
    const run = invoke(() => doc);
    local = await startLocalSfn([
      { name: 'operated', definition: operated, invoke: run },
      { name: 'flaky', definition: flaky, invoke: run },
      { name: 'saga', definition: saga('undo-create'), invoke: run },
      { name: 'saga_broken', definition: saga('undo-broken'), invoke: run },
      { name: 'slow', definition: slow, invoke: run },
    ]);
    const validate = compileBodyValidator({ type: 'object' });
    start = (machine) =>
      createStartExecutionHandler({
        store: table.store,
        sfn: local.sfn,
        stateMachineArn: machineArn(machine),
        resource: 'orders',
        validate,
        idempotencyTtlSeconds: 3600,
      });
    operate = (event) =>
      createOperateExecutionHandler({
        store: table.store,
        operators,
        sfn: local.sfn,
        stateMachineArn: machineArn(event.stageVariables?.machine ?? 'operated'),
        resource: 'orders',
      })(event);
    status = createGetExecutionHandler({ store: table.store, sfn: local.sfn });
  });
  after(async () => {
    await local.close();
    await table.close();
  });

  const execution = (id: string) => local.endpoint.executions().find((e) => e.name === id)!;

  /** Starts `id` on `machine` as CALLER_ARN; the status token of its status_url. */
  const begin = async (machine: string, id: string): Promise<string> => {
    const result = await start(machine)(
      postEvent('{}', { 'Content-Type': 'application/json', 'X-Correlation-ID': id }),
    );
    assert.equal(result.statusCode, 202, result.body);
    return new URL(JSON.parse(result.body).status_url).searchParams.get(STATUS_TOKEN_PARAM)!;
  };

  const opEvent = (
    route: keyof typeof OPERATION_PATHS,
    id: string,
    opts: { body?: unknown; step?: string; userArn?: string | null; query?: Record<string, string> } = {},
  ): APIGatewayProxyEvent => {
    const body = opts.body === undefined ? null : JSON.stringify(opts.body);
    const event = postEvent(body, body === null ? {} : { 'Content-Type': 'application/json' }, {
      ...(opts.userArn === undefined ? {} : { userArn: opts.userArn }),
    });
    return {
      ...event,
      resource: `/orders/${OPERATION_PATHS[route]}`,
      path: `/orders/${id}/${route}`,
      pathParameters: { correlation_id: id, ...(opts.step === undefined ? {} : { step: opts.step }) },
      queryStringParameters: opts.query ?? null,
    };
  };

  const listEvent = (machine: string, query: Record<string, string>): APIGatewayProxyEvent => ({
    ...postEvent(null, {}),
    httpMethod: 'GET',
    resource: '/orders',
    path: '/orders',
    queryStringParameters: query,
    stageVariables: { machine },
  });

  const statusOf = async (id: string) => {
    const result = await status({
      ...postEvent(null, {}),
      httpMethod: 'GET',
      resource: '/orders/{correlation_id}',
      pathParameters: { correlation_id: id },
    });
    assert.equal(result.statusCode, 200, result.body);
    return JSON.parse(result.body) as {
      status: string;
      outcome: string;
      redrive_count: number;
      steps: Array<{
        name: string;
        status: string;
        error?: { error: string; code?: string };
        resolved_manually?: true;
      }>;
    };
  };
  const stepStatuses = async (id: string) =>
    (await statusOf(id)).steps.map((s) => `${s.name}:${s.status}${s.resolved_manually ? ' (manual)' : ''}`);

  const waitForOperatorRecord = async (id: string, step: string) => {
    for (let i = 0; i < 200; i++) {
      if (await operators.get(id, step)) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.fail(`no OPERATOR# record for ${id}/${step}`);
  };

  test('resolve: the step awaiting an operator shows awaiting_operator with its error, and resolving continues with the result marked resolved_manually', async () => {
    await begin('operated', 'op-resolve');
    await waitForOperatorRecord('op-resolve', 'review');
    const waiting = await statusOf('op-resolve');
    assert.equal(waiting.status, 'RUNNING');
    assert.deepEqual(
      waiting.steps.map((s) => `${s.name}:${s.status}`),
      ['create:succeeded', 'review:awaiting_operator'],
    );
    assert.equal(waiting.steps[1]?.error?.error, PERMANENT_ERROR);
    assert.equal(waiting.steps[1]?.error?.code, 'REVIEW_REQUIRED');

    const resolved = await operate(
      opEvent('resolve', 'op-resolve', { step: 'review', body: { result: { approved: true } } }),
    );
    assert.equal(resolved.statusCode, 200, resolved.body);
    assert.deepEqual(JSON.parse(resolved.body), {
      correlation_id: 'op-resolve',
      step: 'review',
      status: 'resolved',
    });
    await execution('op-resolve').done;
    assert.equal(execution('op-resolve').status, 'SUCCEEDED');
    assert.deepEqual(seen['op-resolve'], { approved: true, [RESOLVED_MANUALLY]: true });
    assert.deepEqual(await stepStatuses('op-resolve'), [
      'create:succeeded',
      'review:succeeded (manual)',
      'notify:succeeded',
    ]);
    assert.equal(await operators.get('op-resolve', 'review'), undefined, 'the settled token is deleted');

    const again = await operate(opEvent('resolve', 'op-resolve', { step: 'review', body: { result: {} } }));
    assert.equal(again.statusCode, 409);
    assert.equal(JSON.parse(again.body).reason, OPERATION_CONFLICTS.notAwaitingOperator);
  });

  test('fail: the operator fails the waiting step with an error and cause, and the execution fails with them', async () => {
    await begin('operated', 'op-fail');
    await waitForOperatorRecord('op-fail', 'review');
    const bad = await operate(
      opEvent('fail', 'op-fail', { step: 'review', body: { cause: 'no error name' } }),
    );
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(JSON.parse(bad.body).errors, [{ field: '/error', problem: 'is required' }]);
    const failed = await operate(
      opEvent('fail', 'op-fail', {
        step: 'review',
        body: { error: 'RejectedByOperator', cause: 'not eligible' },
      }),
    );
    assert.equal(failed.statusCode, 200, failed.body);
    await execution('op-fail').done;
    const described = await local.sfn.send(
      new DescribeExecutionCommand({ executionArn: execution('op-fail').executionArn }),
    );
    assert.equal(described.status, 'FAILED');
    assert.equal(described.error, 'RejectedByOperator');
    const doc = await statusOf('op-fail');
    assert.equal(doc.steps[1]?.status, 'failed');
    assert.equal(doc.steps[1]?.error?.error, 'RejectedByOperator');
  });

  test('a token left behind by a wait that ended (the execution was stopped) gives 409 and is cleaned up', async () => {
    await begin('operated', 'op-stale');
    await waitForOperatorRecord('op-stale', 'review');
    assert.equal((await operate(opEvent('stop', 'op-stale'))).statusCode, 200);
    await execution('op-stale').done;
    assert.ok(await operators.get('op-stale', 'review'), 'the record outlived its wait');
    const stale = await operate(
      opEvent('resolve', 'op-stale', { step: 'review', body: { result: { ok: true } } }),
    );
    assert.equal(stale.statusCode, 409, stale.body);
    assert.equal(JSON.parse(stale.body).reason, OPERATION_CONFLICTS.notAwaitingOperator);
    assert.equal(await operators.get('op-stale', 'review'), undefined);
    assert.equal(execution('op-stale').status, 'ABORTED');
  });

  test('resolve refuses a step that is not waiting (409) and a malformed result (400)', async () => {
    await begin('flaky', 'op-not-waiting');
    const notWaiting = await operate(
      opEvent('resolve', 'op-not-waiting', { step: 'flaky', body: { result: {} } }),
    );
    assert.equal(notWaiting.statusCode, 409);
    assert.match(
      JSON.parse(notWaiting.body).message,
      /Step 'flaky' of execution 'op-not-waiting' is not awaiting an operator/,
    );
    for (const body of [{}, { result: [1] }, { result: {}, extra: 1 }]) {
      const refused = await operate(opEvent('resolve', 'op-not-waiting', { step: 'flaky', body }));
      assert.equal(refused.statusCode, 400, JSON.stringify(body));
    }
    assert.equal(
      (await operate(opEvent('resolve', 'op-not-waiting', { step: 'bad step!', body: { result: {} } })))
        .statusCode,
      400,
    );
    await execution('op-not-waiting').done;
  });

  test('redrive: a retryable failure is held for redrive; once the fault is fixed the same execution succeeds and earlier steps do not run again', async () => {
    serviceDown = true;
    await begin('flaky', 'op-redrive');
    await execution('op-redrive').done;
    assert.equal(execution('op-redrive').status, 'FAILED');
    assert.equal((await statusOf('op-redrive')).outcome, 'held_for_redrive');
    const createsBefore = calls.get('create');
    serviceDown = false;
    const redriven = await operate(opEvent('redrive', 'op-redrive'));
    assert.equal(redriven.statusCode, 200, redriven.body);
    const body = JSON.parse(redriven.body);
    assert.equal(body.execution_arn, execution('op-redrive').executionArn);
    assert.match(body.redrive_date, /^\d{4}-\d\d-\d\dT/);
    await execution('op-redrive').done;
    assert.equal(execution('op-redrive').status, 'SUCCEEDED');
    assert.equal(calls.get('create'), createsBefore, 'the step that succeeded is not run again');
    const redrivenDoc = await statusOf('op-redrive');
    assert.deepEqual([redrivenDoc.outcome, redrivenDoc.redrive_count], ['succeeded', 1]);

    const again = await operate(opEvent('redrive', 'op-redrive'));
    assert.equal(again.statusCode, 409);
    const conflict = JSON.parse(again.body);
    assert.equal(conflict.reason, OPERATION_CONFLICTS.notRedrivable);
    assert.match(conflict.message, /^Execution 'op-redrive' is not redrivable: .+/);
  });

  test('a compensated execution shows compensated steps and outcome, and redrive answers 409 compensated', async () => {
    await begin('saga', 'op-saga');
    await execution('op-saga').done;
    const doc = await statusOf('op-saga');
    assert.equal(doc.status, 'FAILED');
    assert.equal(doc.outcome, 'compensated');
    assert.deepEqual(
      doc.steps.map((s) => `${s.name}:${s.status}`),
      ['create:compensated', 'charge:failed'],
    );
    const refused = await operate(opEvent('redrive', 'op-saga'));
    assert.equal(refused.statusCode, 409);
    assert.equal(JSON.parse(refused.body).reason, OPERATION_CONFLICTS.compensated);
    assert.equal(execution('op-saga').redriveCount, 0);
    const mermaid = await status({
      ...postEvent(null, {}),
      httpMethod: 'GET',
      resource: '/orders/{correlation_id}',
      pathParameters: { correlation_id: 'op-saga' },
      queryStringParameters: { format: 'mermaid' },
    });
    assert.equal(mermaid.statusCode, 200);
    assert.match(mermaid.body, /^ {2}class n0 compensated$/m);
    assert.match(mermaid.body, /^ {2}class n1 failed$/m);
  });

  test('prototype-named keys in bodies, queries and paths are 4xx answers, never a crash', async () => {
    await begin('slow', 'op-proto');
    const bodies = [
      '{"__proto__":{"x":1}}',
      '{"constructor":{"prototype":{}}}',
      '{"toString":"x"}',
      '{"result":{"__proto__":{}}}',
    ];
    for (const body of bodies) {
      for (const route of ['stop', 'resolve', 'fail'] as const) {
        const event = { ...opEvent(route, 'op-proto', { step: 'hold', body: {} }), body };
        const result = await operate(event);
        assert.equal(result.statusCode, 400, `${route} ${body}: ${result.body}`);
      }
    }
    for (const query of [{ status: 'constructor' }, { limit: 'toString' }, { next_token: '__proto__' }]) {
      const result = await operate(listEvent('slow', query));
      assert.equal(result.statusCode, 400, JSON.stringify(query));
    }
    const protoStep = await operate(
      opEvent('resolve', 'op-proto', { step: '__proto__', body: { result: {} } }),
    );
    assert.equal(protoStep.statusCode, 409);
    assert.equal(execution('op-proto').status, 'RUNNING');
  });

  test('a compensation that finally fails shows compensation_failed with its error', async () => {
    await begin('saga_broken', 'op-saga-broken');
    await execution('op-saga-broken').done;
    const doc = await statusOf('op-saga-broken');
    assert.equal(doc.outcome, 'compensated');
    const create = doc.steps.find((s) => s.name === 'create') as unknown as {
      status: string;
      compensation: { attempts: number; error: { error: string } };
    };
    assert.equal(create.status, 'compensation_failed');
    assert.deepEqual([create.compensation.attempts, create.compensation.error.error], [1, RETRYABLE_ERROR]);
  });

  test('stop: a running execution is aborted with the given error and cause; stopping it again is 409 not_running', async () => {
    await begin('slow', 'op-stop');
    const refused = await operate(opEvent('stop', 'op-stop', { body: { error: 'x'.repeat(257) } }));
    assert.equal(refused.statusCode, 400);
    const stopped = await operate(
      opEvent('stop', 'op-stop', { body: { error: 'OperatorStopped', cause: 'duplicate order' } }),
    );
    assert.equal(stopped.statusCode, 200, stopped.body);
    assert.equal(JSON.parse(stopped.body).status, 'ABORTED');
    const described = await local.sfn.send(
      new DescribeExecutionCommand({ executionArn: execution('op-stop').executionArn }),
    );
    assert.deepEqual(
      [described.status, described.error, described.cause],
      ['ABORTED', 'OperatorStopped', 'duplicate order'],
    );
    const again = await operate(opEvent('stop', 'op-stop'));
    assert.equal(again.statusCode, 409);
    assert.deepEqual(JSON.parse(again.body).reason, OPERATION_CONFLICTS.notRunning);
    assert.equal((await statusOf('op-stop')).outcome, 'aborted');
  });

  test('unknown and foreign IDs get the same 404 on every route; the status token lets a caller without IAM in', async () => {
    const token = await begin('slow', 'op-foreign');
    const mallory = 'arn:aws:iam::000000000000:user/mallory';
    for (const route of ['stop', 'redrive', 'resolve', 'fail'] as const) {
      const body = route === 'resolve' ? { result: {} } : route === 'fail' ? { error: 'E' } : undefined;
      const foreign = await operate(
        opEvent(route, 'op-foreign', { userArn: mallory, step: 'hold', ...(body ? { body } : {}) }),
      );
      const unknown = await operate(
        opEvent(route, 'op-nobody', { userArn: mallory, step: 'hold', ...(body ? { body } : {}) }),
      );
      assert.equal(foreign.statusCode, 404, `${route}: ${foreign.body}`);
      assert.deepEqual(foreign, { ...unknown, body: unknown.body.replace('op-nobody', 'op-foreign') });
    }
    assert.equal(execution('op-foreign').status, 'RUNNING', 'nothing was done to it');
    const withToken = await operate(opEvent('stop', 'op-foreign', { userArn: null, query: { token } }));
    assert.equal(withToken.statusCode, 200, withToken.body);
    assert.equal(execution('op-foreign').status, 'ABORTED');
  });

  test('list: newest first, filtered by status, paged with next_token, correlation IDs from execution names', async () => {
    for (const id of ['list-1', 'list-2', 'list-3']) {
      await begin('saga', id);
      await execution(id).done;
    }
    const first = await operate(listEvent('saga', { status: 'FAILED', limit: '2' }));
    assert.equal(first.statusCode, 200, first.body);
    const page1 = JSON.parse(first.body);
    assert.deepEqual(
      page1.executions.map((e: { correlation_id: string }) => e.correlation_id),
      ['list-3', 'list-2'],
    );
    assert.equal(page1.executions[0].status, 'FAILED');
    assert.equal(page1.executions[0].execution_arn, execution('list-3').executionArn);
    assert.equal(typeof page1.next_token, 'string');
    const second = JSON.parse(
      (await operate(listEvent('saga', { status: 'FAILED', limit: '2', next_token: page1.next_token }))).body,
    );
    assert.deepEqual(
      second.executions.map((e: { correlation_id: string }) => e.correlation_id),
      ['list-1', 'op-saga'],
    );
    const none = JSON.parse((await operate(listEvent('saga', { status: 'RUNNING' }))).body);
    assert.deepEqual(none, { executions: [] });
  });

  test('list: a bad status, limit or next_token is a 400 naming the parameter', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ status: 'failed' }, 'query status'],
      [{ limit: '0' }, 'query limit'],
      [{ limit: '101' }, 'query limit'],
      [{ limit: '2.5' }, 'query limit'],
      [{ next_token: 'not-a-token' }, 'query next_token'],
    ];
    for (const [query, field] of cases) {
      const result = await operate(listEvent('saga', query));
      assert.equal(result.statusCode, 400, JSON.stringify(query));
      assert.equal(JSON.parse(result.body).errors[0].field, field, JSON.stringify(query));
    }
  });

  test('the Lambda entry point, configured from its environment, serves the list route', async () => {
    const script = `
      const { handler } = await import(${JSON.stringify(new URL('../../../lambdas/api/operate-execution.ts', import.meta.url).href)});
      const answer = await handler({ resource: '/orders', path: '/orders', httpMethod: 'GET', headers: {}, multiValueHeaders: {},
        queryStringParameters: { status: 'FAILED', limit: '1' }, multiValueQueryStringParameters: null, pathParameters: null,
        stageVariables: null, body: null, isBase64Encoded: false, requestContext: { identity: {} } });
      console.log(JSON.stringify([answer.statusCode, JSON.parse(answer.body).executions.map((e) => e.correlation_id)]));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH,
        [ENV.tableName]: 'operate',
        [ENV.stateMachineArn]: machineArn('saga'),
        [ENV.apiResource]: 'orders',
        [ENV.powertoolsLogLevel]: 'ERROR',
        AWS_ENDPOINT_URL_DYNAMODB: table.dynamo.endpoint,
        AWS_ENDPOINT_URL_SFN: local.endpoint.url,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      },
    });
    const [status, ids] = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as [number, string[]];
    assert.equal(status, 200);
    assert.equal(ids.length, 1);
    assert.equal(execution(ids[0]!).status, 'FAILED');
  });
});
