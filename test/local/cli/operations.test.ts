import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { createApiClient } from '../../../local/cli/api-client.ts';
import { createSigV4Signer } from '../../../local/cli/aws-target.ts';
import { cli, type FakeApi, type SeenRequest, startFakeApi } from './operator-api.ts';

const item = (id: string, status: string, redriveCount = 0) => ({
  correlation_id: id,
  execution_arn: `arn:aws:states:us-east-1:000000000000:execution:orders:${id}`,
  status,
  started_at: '2026-12-01T10:00:00.000Z',
  stopped_at: status === 'RUNNING' ? null : '2026-12-01T10:00:05.000Z',
  redrive_count: redriveCount,
});

const waitingDoc = {
  correlation_id: 'ord-1',
  status: 'RUNNING',
  outcome: 'running',
  started_at: '2026-12-01T10:00:00.000Z',
  stopped_at: null,
  steps: [
    {
      name: 'reserve',
      status: 'succeeded',
      attempts: 1,
      started_at: '2026-12-01T10:00:00.000Z',
      duration_ms: 40,
    },
    {
      name: 'charge',
      status: 'awaiting_operator',
      attempts: 1,
      started_at: '2026-12-01T10:00:01.000Z',
      duration_ms: 30,
      error: { error: 'PermanentError', cause: 'CARD_DECLINED: payments answered 422' },
    },
    { name: 'ship', status: 'pending', attempts: 0, started_at: null, duration_ms: null },
  ],
};

const heldDoc = {
  correlation_id: 'ord-2',
  status: 'FAILED',
  outcome: 'held_for_redrive',
  started_at: '2026-12-01T10:00:00.000Z',
  stopped_at: '2026-12-01T10:00:09.000Z',
  error: 'RetryableError',
  cause: 'payments answered 503',
  failed_steps: ['charge'],
  steps: [
    {
      name: 'reserve',
      status: 'compensated',
      attempts: 1,
      started_at: '2026-12-01T10:00:00.000Z',
      duration_ms: 40,
    },
    {
      name: 'charge',
      status: 'failed',
      attempts: 4,
      started_at: '2026-12-01T10:00:01.000Z',
      duration_ms: 8000,
      error: { error: 'RetryableError', cause: 'payments answered 503' },
    },
  ],
};

const last = (seen: SeenRequest[]) => seen.at(-1);

describe('npx stepflow operator commands against an API speaking the operator routes', () => {
  let api: FakeApi;
  const scratch = mkdtempSync(join(tmpdir(), 'stepflow-ops-'));
  before(async () => {
    api = await startFakeApi({ orders: 'orders', refunds: 'refunds' });
  });
  after(async () => {
    await api.close();
    rmSync(scratch, { recursive: true, force: true });
  });
  afterEach(() => {
    api.seen.length = 0;
  });

  test('list pages through next_token up to --limit, filters by status, and prints one line each', async () => {
    api.routes = {
      'GET /orders': (request) =>
        request.query.next_token === undefined
          ? {
              status: 200,
              body: { executions: [item('a', 'FAILED', 1), item('b', 'FAILED')], next_token: 'p2' },
            }
          : {
              status: 200,
              body: { executions: [item('c', 'FAILED'), item('d', 'FAILED')], next_token: 'p3' },
            },
    };
    const listed = await cli(
      'list',
      '--workflow',
      'orders',
      '--status',
      'failed',
      '--limit',
      '3',
      '--api',
      api.url,
    );
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      api.seen.map((request) => request.query),
      [
        { status: 'FAILED', limit: '3' },
        { status: 'FAILED', limit: '1', next_token: 'p2' },
      ],
    );
    const lines = listed.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(
      lines[0] ?? '',
      /^orders +a +FAILED +started 2026-12-01T10:00:00\.000Z {2}stopped 2026-12-01T10:00:05\.000Z {2}redriven 1x$/,
    );
    assert.match(lines[2] ?? '', /^orders +c +FAILED/);
    const json = await cli('list', '--workflow', 'orders', '--limit', '2', '--json', '--api', api.url);
    assert.deepEqual(JSON.parse(json.stdout), {
      workflows: [{ workflow: 'orders', executions: [item('a', 'FAILED', 1), item('b', 'FAILED')] }],
    });
  });

  test('list without --workflow lists each workflow; no route falls back to ListExecutions, said on stderr', async () => {
    await api.close();
    api = await startFakeApi({ orders: 'orders', refunds: 'refunds' }, {}, [
      {
        executionArn: 'arn:x:old-1',
        name: 'old-1',
        status: 'SUCCEEDED',
        startDate: 1764583200,
        redriveCount: 0,
      },
    ]);
    api.routes = { 'GET /orders': { status: 200, body: { executions: [item('a', 'RUNNING')] } } };
    const listed = await cli('list', '--api', api.url);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^orders +a +RUNNING +started 2026-12-01T10:00:00\.000Z$/m);
    assert.match(listed.stdout, /^refunds +old-1 +SUCCEEDED +started 2025-12-01T10:00:00\.000Z$/m);
    assert.match(
      listed.stderr,
      /^refunds: the local runtime at .* has no list route \(GET \/<resource>\); reading Step Functions' ListExecutions instead$/m,
    );
  });

  test('bad list flags exit 2 naming the flag', async () => {
    const status = await cli('list', '--status', 'DONE', '--api', api.url);
    assert.equal(status.code, 2);
    assert.match(
      status.stderr,
      /--status must be one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE, got 'DONE'/,
    );
    const limit = await cli('list', '--limit', '0', '--api', api.url);
    assert.equal(limit.code, 2);
    assert.match(limit.stderr, /--limit must be an integer 1-1000, got '0'/);
    assert.equal(api.seen.length, 0, 'nothing was sent');
  });

  test('stop sends the error and cause; a 409 prints the reason and exits 1', async () => {
    api.routes = {
      'GET /refunds/ord-1': { status: 404, body: { message: 'Not found' } },
      'GET /orders/ord-1': { status: 200, body: waitingDoc },
      'POST /orders/ord-1/stop': { status: 200, body: { correlation_id: 'ord-1', status: 'ABORTED' } },
      'POST /orders/ord-9/stop': {
        status: 409,
        body: { message: 'execution ord-9 is not running (SUCCEEDED)', reason: 'not_running' },
      },
    };
    // No --workflow: the one workflow whose API knows the ID is used.
    const stopped = await cli(
      'stop',
      'ord-1',
      '--error',
      'Operator.Cancelled',
      '--cause',
      'customer called',
      '--api',
      api.url,
    );
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(stopped.stdout, 'stopped ord-1 (ABORTED)\n');
    assert.deepEqual(last(api.seen)?.body, { error: 'Operator.Cancelled', cause: 'customer called' });
    assert.equal(last(api.seen)?.headers['content-type'], 'application/json');
    const conflict = await cli('stop', 'ord-9', '--workflow', 'orders', '--api', api.url);
    assert.equal(conflict.code, 1);
    assert.equal(
      conflict.stderr,
      'HTTP 409: execution ord-9 is not running (SUCCEEDED) (reason: not_running)\n',
    );
    assert.deepEqual(last(api.seen)?.body, {}, 'no error or cause: an empty object');
    const long = await cli(
      'stop',
      'ord-1',
      '--workflow',
      'orders',
      '--error',
      'E'.repeat(257),
      '--api',
      api.url,
    );
    assert.equal(long.code, 2);
    assert.match(long.stderr, /--error is 257 characters; Step Functions allows 256/);
  });

  test('redrive posts to the redrive route; not redrivable is a clear 409', async () => {
    api.routes = {
      'POST /orders/ord-2/redrive': {
        status: 200,
        body: { correlation_id: 'ord-2', execution_arn: 'arn:aws:states:us-east-1:0:execution:orders:ord-2' },
      },
      'POST /orders/ord-3/redrive': {
        status: 409,
        body: {
          message: 'its work was undone by compensation; start a new execution',
          reason: 'compensated',
        },
      },
    };
    const redriven = await cli('redrive', 'ord-2', '--workflow', 'orders', '--api', api.url);
    assert.equal(redriven.code, 0, redriven.stderr);
    assert.equal(
      redriven.stdout,
      'redriven ord-2 (arn:aws:states:us-east-1:0:execution:orders:ord-2); follow it with: npx stepflow status ord-2\n',
    );
    assert.equal(last(api.seen)?.method, 'POST');
    assert.equal(last(api.seen)?.headers['idempotency-key'], undefined);
    await cli('redrive', 'ord-2', '--workflow', 'orders', '--idempotency-key', 'fix-42', '--api', api.url);
    assert.equal(last(api.seen)?.headers['idempotency-key'], 'fix-42', 'becomes the clientToken');
    const badKey = await cli('redrive', 'ord-2', '--idempotency-key', 'a b', '--api', api.url);
    assert.match(badKey.stderr, /--idempotency-key must be 1-64 printable characters without spaces/);
    const json = await cli('redrive', 'ord-2', '--workflow', 'orders', '--json', '--api', api.url);
    assert.equal(JSON.parse(json.stdout).correlation_id, 'ord-2');
    const refused = await cli('redrive', 'ord-3', '--workflow', 'orders', '--api', api.url);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^HTTP 409: its work was undone by compensation; start a new execution \(reason: compensated\)$/m,
    );
    const missing = await cli('redrive', '--workflow', 'orders', '--api', api.url);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /redrive needs <correlation_id> \(missing <correlation_id>\)/);
  });

  test('resolve sends {result} to the step route, URL-encoding both segments; bad results name the flag', async () => {
    api.routes = {
      'POST /orders/ord%201/steps/charge/resolve': { status: 200, body: { resolved: true } },
    };
    const resolved = await cli(
      'resolve',
      'ord 1',
      'charge',
      '--result',
      '{"charge_id":"manual-7"}',
      '--workflow',
      'orders',
      '--api',
      api.url,
    );
    assert.equal(resolved.code, 0, resolved.stderr);
    assert.equal(resolved.stdout, 'resolved charge of ord 1; the execution goes on\n');
    assert.deepEqual(last(api.seen)?.body, { result: { charge_id: 'manual-7' } });
    const file = join(scratch, 'result.json');
    writeFileSync(file, '{"charge_id":"from-file"}');
    assert.equal(
      (
        await cli(
          'resolve',
          'ord 1',
          'charge',
          '--result-file',
          file,
          '--workflow',
          'orders',
          '--api',
          api.url,
        )
      ).code,
      0,
    );
    assert.deepEqual(last(api.seen)?.body, { result: { charge_id: 'from-file' } });
    api.seen.length = 0;
    const notObject = await cli(
      'resolve',
      'ord-1',
      'charge',
      '--result',
      '[1]',
      '--workflow',
      'orders',
      '--api',
      api.url,
    );
    assert.equal(notObject.code, 2);
    assert.match(notObject.stderr, /--result must be a JSON object \(the step's result\), got \[1\]/);
    const notJson = await cli(
      'resolve',
      'ord-1',
      'charge',
      '--result',
      '{x',
      '--workflow',
      'orders',
      '--api',
      api.url,
    );
    assert.match(notJson.stderr, /--result is not valid JSON: /);
    const noStep = await cli('resolve', 'ord-1', '--result', '{}', '--workflow', 'orders', '--api', api.url);
    assert.equal(noStep.code, 2);
    assert.match(noStep.stderr, /resolve needs <correlation_id> <step> \(missing <step>\)/);
    const neither = await cli('resolve', 'ord-1', 'charge', '--workflow', 'orders', '--api', api.url);
    assert.match(neither.stderr, /resolve needs exactly one of --result JSON and --result-file F/);
    const noFile = await cli(
      'resolve',
      'ord-1',
      'charge',
      '--result-file',
      join(scratch, 'none.json'),
      '--api',
      api.url,
    );
    assert.match(noFile.stderr, /Cannot read --result-file .*none\.json: ENOENT/);
    assert.equal(api.seen.length, 0, 'nothing was sent for a bad command line');
  });

  test('fail-step needs --error and sends {error, cause}; not awaiting is a 409', async () => {
    api.routes = {
      'POST /orders/ord-1/steps/charge/fail': { status: 200, body: {} },
      'POST /orders/ord-1/steps/ship/fail': {
        status: 409,
        body: { message: "step 'ship' is not waiting for an operator", reason: 'not_awaiting_operator' },
      },
    };
    const failed = await cli(
      'fail-step',
      'ord-1',
      'charge',
      '--error',
      'CardDeclined',
      '--cause',
      'the bank said no',
      '--workflow',
      'orders',
      '--api',
      api.url,
    );
    assert.equal(failed.code, 0, failed.stderr);
    assert.equal(failed.stdout, 'failed charge of ord-1 with CardDeclined\n');
    assert.deepEqual(last(api.seen)?.body, { error: 'CardDeclined', cause: 'the bank said no' });
    const noError = await cli('fail-step', 'ord-1', 'charge', '--workflow', 'orders', '--api', api.url);
    assert.equal(noError.code, 2);
    assert.match(noError.stderr, /fail-step needs --error E \(the error name the step fails with\)/);
    const notWaiting = await cli(
      'fail-step',
      'ord-1',
      'ship',
      '--error',
      'X',
      '--workflow',
      'orders',
      '--api',
      api.url,
    );
    assert.equal(notWaiting.code, 1);
    assert.match(
      notWaiting.stderr,
      /HTTP 409: step 'ship' is not waiting for an operator \(reason: not_awaiting_operator\)/,
    );
  });

  test('status --json prints the raw document; --token goes in the query', async () => {
    api.routes = { 'GET /orders/ord-2': { status: 200, body: heldDoc } };
    const json = await cli(
      'status',
      'ord-2',
      '--json',
      '--token',
      'tok_123',
      '--workflow',
      'orders',
      '--api',
      api.url,
    );
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), heldDoc);
    assert.deepEqual(last(api.seen)?.query, { token: 'tok_123' });
  });

  test('status prints steps, statuses, attempts and the outcome, with what to run next', async () => {
    api.routes = { 'GET /orders/ord-2': { status: 200, body: heldDoc } };
    const held = await cli('status', 'ord-2', '--no-follow', '--workflow', 'orders', '--api', api.url);
    assert.equal(held.code, 1);
    const lines = held.stdout.split('\n').map((line) => line.replace(/\s+/g, ' ').trim());
    assert.deepEqual(lines, [
      'ord-2 FAILED',
      '↶ reserve attempt 1 40 ms compensated (undone)',
      '✖ charge attempt 4 8.0 s failed: RetryableError (payments answered 503)',
      'FAILED in 9.0 s (failed steps: charge) RetryableError: payments answered 503',
      'outcome: held_for_redrive',
      'held for redrive: fix the cause, then npx stepflow redrive ord-2 --workflow orders',
      '',
    ]);
  });

  test('following an execution stops where a step waits for an operator, and says how to resolve it', async () => {
    api.routes = { 'GET /orders/ord-1': { status: 200, body: waitingDoc } };
    const followed = await cli('status', 'ord-1', '--workflow', 'orders', '--api', api.url);
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(api.seen.length, 1, 'one read: the wait is stable, no polling for days');
    assert.match(
      followed.stdout,
      /^ {2}◇ charge +attempt 1 +30 ms {2}awaiting operator after PermanentError \(CARD_DECLINED: payments answered 422\)$/m,
    );
    assert.match(
      followed.stdout,
      /^charge waits for an operator: npx stepflow resolve ord-1 charge --result '\{\.\.\.\}' --workflow orders$/m,
    );
    assert.match(
      followed.stdout,
      /^ {2}or: npx stepflow fail-step ord-1 charge --error E --cause C --workflow orders$/m,
    );
  });
});

describe('the operator client on a deployed stack', () => {
  test('signs each operator request with SigV4 over its body', async () => {
    const api = await startFakeApi(
      {},
      { 'POST /prod/orders/o-1/steps/charge/resolve': { status: 200, body: {} } },
    );
    try {
      const sign = createSigV4Signer({
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
      });
      const client = createApiClient(`${api.url}/prod/orders`, sign);
      await client.resolve('o-1', 'charge', { ok: true });
      const [request] = api.seen;
      assert.match(
        String(request?.headers.authorization),
        /^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
      );
      const { createHash } = await import('node:crypto');
      assert.equal(
        request?.headers['x-amz-content-sha256'],
        createHash('sha256')
          .update(JSON.stringify({ result: { ok: true } }))
          .digest('hex'),
      );
    } finally {
      await api.close();
    }
  });
});

describe('the command table', () => {
  test('--help lists the operator commands and graph; graph runs without a target', async () => {
    const help = await cli('--help');
    for (const command of ['list', 'stop', 'redrive', 'resolve', 'fail-step', 'graph', 'status'])
      assert.match(help.stdout, new RegExp(`^ {2}${command} +`, 'm'), command);
    const graph = await cli('graph', 'config/user_registration.yaml');
    assert.equal(graph.code, 0, graph.stderr);
    assert.match(graph.stdout, /^flowchart /m);
    assert.match(graph.stdout, /create_user_account/);
  });
});
