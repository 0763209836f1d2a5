import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  RedriveExecutionCommand,
} from '@aws-sdk/client-sfn';
import { RESTART_ERROR } from '../../../local/engine/index.ts';
import { type LocalRuntime, startLocalRuntime } from '../../../local/runtime/index.ts';

/** A workflow of declarative HTTP steps on stateless mocks: a redrive after a restart finds its services as they were. */
const CONFIG_DIR = new URL('../../fixtures/workflows/e2e/order_fulfillment', import.meta.url).pathname;

const body = (orderId: string) =>
  JSON.stringify({
    order_id: orderId,
    items: [{ sku: 'BOOK-42', qty: 1 }],
    amount_cents: 4200,
    email: 'buyer@example.com',
  });

async function register(runtime: LocalRuntime, key: string, orderId: string) {
  const res = await fetch(`${runtime.apiUrl}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: body(orderId),
  });
  const answer = (await res.json()) as { correlation_id: string; execution_arn: string };
  return { status: res.status, ...answer };
}

async function settled(runtime: LocalRuntime, executionArn: string): Promise<DescribeExecutionCommandOutput> {
  for (let i = 0; i < 600; i++) {
    const described = await runtime.sfnClient.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return described;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`${executionArn} is still RUNNING`);
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('npm start --data-dir: DynamoDB and execution histories survive a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepflow-data-dir-'));
  const runtimes: LocalRuntime[] = [];
  const start = async (withDataDir: boolean, timeScale = 50, random?: () => number) => {
    const runtime = await startLocalRuntime({
      configDir: CONFIG_DIR,
      timeScale,
      ...(random ? { random } : {}),
      ...(withDataDir ? { dataDir } : {}),
    });
    runtimes.push(runtime);
    return runtime;
  };
  after(async () => {
    for (const runtime of runtimes) await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let done: Awaited<ReturnType<typeof register>>;
  let interrupted: Awaited<ReturnType<typeof register>>;

  test('first run: one order finishes, another is cut off by the shutdown while it waits to retry', async () => {
    // The second order must still be waiting out its retry backoff at shutdown: the FULL jitter
    // is pinned to the whole interval (1 s) and time runs 10x slower, so the wait is 10 s however
    // busy the machine is (a random jitter near 0 would retry into the shutdown).
    const first = await start(true, 0.1, () => 1);
    done = await register(first, 'key-done', 'ord-done');
    assert.equal(done.status, 202);
    assert.equal((await settled(first, done.execution_arn)).status, 'SUCCEEDED');
    // Shipping fails, so the second order is RUNNING (between retries) at the stop.
    // (Stopped in the middle of a call instead, the step's in-progress idempotency record would
    // hold a redrive off until the function's timeout passed, as after a crash in AWS.)
    first.services.order_fulfillment?.faults.set('shipping', '*', { kind: 'status', status: 503 });
    interrupted = await register(first, 'key-cut', 'ord-cut');
    assert.equal(interrupted.status, 202);
    await until(async () => {
      const history = await first.sfnClient.send(
        new GetExecutionHistoryCommand({ executionArn: interrupted.execution_arn }),
      );
      return (history.events ?? []).some((event) => event.type === 'LambdaFunctionFailed');
    }, 'the shipping step to fail once');
    assert.equal(
      (await first.sfnClient.send(new DescribeExecutionCommand({ executionArn: interrupted.execution_arn })))
        .status,
      'RUNNING',
    );
    await first.close();
    assert.ok(readdirSync(join(dataDir, 'executions')).filter((f) => f.endsWith('.json')).length >= 2);
  });

  test('after the restart: old IDs answer, the same Idempotency-Key replays, the cut-off execution is ABORTED and redrivable', async () => {
    const second = await start(true);
    try {
      assert.equal(second.restoredExecutions, 2);
      const order = second.workflow('order_fulfillment');
      assert.deepEqual(Object.keys(order.stepFunctions).sort(), [
        'charge_payment',
        'reserve_inventory',
        'schedule_shipment',
        'send_confirmation',
      ]);
      assert.ok(
        second.lambdas.find(order.stepFunctions.schedule_shipment ?? ''),
        'each step names its function',
      );
      const status = await fetch(`${second.apiUrl}/orders/${done.correlation_id}`);
      assert.equal(status.status, 200, 'the correlation record and the history survived');
      const finished = await second.sfnClient.send(
        new DescribeExecutionCommand({ executionArn: done.execution_arn }),
      );
      assert.equal(finished.status, 'SUCCEEDED');
      const again = await register(second, 'key-done', 'ord-done');
      assert.equal(again.correlation_id, done.correlation_id, 'the key replays the first answer');
      assert.equal(again.execution_arn, done.execution_arn);

      const cut = await second.sfnClient.send(
        new DescribeExecutionCommand({ executionArn: interrupted.execution_arn }),
      );
      assert.equal(cut.status, 'ABORTED');
      assert.equal(cut.error, RESTART_ERROR);
      assert.match(cut.cause ?? '', /stopped while this execution was running.*RedriveExecution goes on/);
      assert.equal(cut.redriveStatus, 'REDRIVABLE');
      const history = await second.sfnClient.send(
        new GetExecutionHistoryCommand({
          executionArn: interrupted.execution_arn,
          reverseOrder: true,
          maxResults: 1,
        }),
      );
      assert.equal(history.events?.[0]?.type, 'ExecutionAborted');

      await second.sfnClient.send(new RedriveExecutionCommand({ executionArn: interrupted.execution_arn }));
      const redriven = await settled(second, interrupted.execution_arn);
      assert.equal(redriven.status, 'SUCCEEDED', redriven.cause);
      assert.equal(redriven.redriveCount, 1);
      // The redrive went on from the interrupted state: the steps that had finished did not run again.
      const calls =
        second.services.order_fulfillment?.counters.log({ correlationId: interrupted.correlation_id }) ?? [];
      assert.deepEqual([...new Set(calls.map((call) => call.service))], ['shipping']);
      const listed = await second.sfnClient.send(
        new ListExecutionsCommand({ stateMachineArn: second.workflows[0]!.stateMachineArn }),
      );
      assert.equal(listed.executions?.length, 2, 'no second execution was started for the replayed key');
    } finally {
      await second.close();
    }
  });

  test('after a second restart the redriven end is kept; without --data-dir a start is a clean slate', async () => {
    const third = await start(true);
    try {
      const kept = await third.sfnClient.send(
        new DescribeExecutionCommand({ executionArn: interrupted.execution_arn }),
      );
      assert.deepEqual([kept.status, kept.redriveCount], ['SUCCEEDED', 1]);
    } finally {
      await third.close();
    }
    const clean = await start(false);
    assert.equal(clean.restoredExecutions, 0);
    assert.equal((await fetch(`${clean.apiUrl}/orders/${done.correlation_id}`)).status, 404);
  });
});
