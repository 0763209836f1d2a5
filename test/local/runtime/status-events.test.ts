import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { EXECUTION_STATUS_CHANGE } from '../../../lambdas/contracts.ts';
import { createExecutor, type ExecutionRecord } from '../../../local/runtime/executor.ts';
import { type SfnEndpoint, startSfnEndpoint } from '../../../local/runtime/sfn-endpoint.ts';
import {
  createWebhookSink,
  type ExecutionStatusEvent,
  formatStatusLine,
  statusEventListener,
} from '../../../local/runtime/status-events.ts';
import { localStateMachineArn } from '../../../local/runtime/template.ts';

const SM = localStateMachineArn('Flaky');

/** Fails on its first run (a Task that throws), succeeds when redriven. */
function flakyMachine() {
  let calls = 0;
  const invoke = async (): Promise<unknown> => {
    calls += 1;
    if (calls === 1) throw Object.assign(new Error('{"errorMessage":"503"}'), { name: 'RetryableError' });
    return { ok: true };
  };
  return createExecutor({
    machine: {
      logicalId: 'Flaky',
      name: 'Flaky',
      arn: SM,
      workflow: 'flaky',
      type: 'STANDARD',
      definition: {
        StartAt: 'call',
        States: {
          call: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:Fn', End: true },
        },
      },
      qualifiedArns: [`${SM}:1`, `${SM}:live`],
    },
    invoke,
    onStatusChange: (record) => listener?.(record),
  });
}

let listener: ((record: ExecutionRecord) => void) | undefined;

describe('execution status-change events', () => {
  let endpoint: SfnEndpoint;
  let receiver: Server;
  let receiverUrl: string;
  const received: ExecutionStatusEvent[] = [];
  const contentTypes: string[] = [];
  const seen: ExecutionStatusEvent[] = [];
  const failures: string[] = [];

  before(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        contentTypes.push(String(req.headers['content-type']));
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExecutionStatusEvent);
        res.writeHead(req.url === '/broken' ? 500 : 204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const sink = createWebhookSink(`${receiverUrl}/events`, {
      onError: (error) => failures.push(error.message),
    });
    const executor = await flakyMachine();
    endpoint = await startSfnEndpoint({ executors: [executor] });
    listener = statusEventListener(
      (event) => {
        seen.push(event);
        sink.send(event);
      },
      (arn) => endpoint.startedVia(arn),
    );
    const call = (target: string, body: unknown) =>
      fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'x-amz-target': `AWSStepFunctions.${target}`,
          'content-type': 'application/x-amz-json-1.0',
        },
        body: JSON.stringify(body),
      }).then((res) => res.json() as Promise<{ executionArn: string }>);
    const { executionArn } = await call('StartExecution', {
      stateMachineArn: `${SM}:live`,
      name: 'e1',
      input: '{"a":1}',
    });
    await endpoint.getExecution(executionArn)?.done;
    await call('RedriveExecution', { executionArn });
    await endpoint.getExecution(executionArn)?.done;
    await sink.flush();
  });
  after(async () => {
    await endpoint.close();
    receiver.close();
  });

  test('one event per status change, in order: RUNNING, FAILED, RUNNING (redrive), SUCCEEDED', () => {
    assert.deepEqual(
      seen.map((event) => [event.detail.status, event.detail.redriveCount]),
      [
        ['RUNNING', 0],
        ['FAILED', 0],
        ['RUNNING', 1],
        ['SUCCEEDED', 1],
      ],
    );
  });

  test('each event is shaped as EventBridge delivers Step Functions Execution Status Change', () => {
    const failed = seen[1]!;
    assert.equal(failed['detail-type'], EXECUTION_STATUS_CHANGE);
    assert.equal(failed.source, 'aws.states');
    assert.equal(failed.version, '0');
    assert.equal(failed.account, '000000000000');
    assert.equal(failed.region, 'us-east-1');
    assert.match(failed.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const executionArn = 'arn:aws:states:us-east-1:000000000000:execution:Flaky:e1';
    assert.deepEqual(failed.resources, [executionArn]);
    assert.deepEqual(
      { ...failed.detail, startDate: 0, stopDate: typeof failed.detail.stopDate },
      {
        executionArn,
        stateMachineArn: SM,
        name: 'e1',
        status: 'FAILED',
        startDate: 0,
        stopDate: 'number',
        input: '{"a":1}',
        output: null,
        inputDetails: { included: true },
        outputDetails: null,
        error: 'RetryableError',
        cause: '{"errorMessage":"503"}',
        redriveCount: 0,
        redriveDate: null,
        redriveStatus: 'REDRIVABLE',
        redriveStatusReason: null,
        stateMachineAliasArn: `${SM}:live`,
        stateMachineVersionArn: `${SM}:1`,
      },
    );
    assert.equal(seen[0]?.detail.redriveStatusReason, 'Execution is RUNNING and cannot be redriven');
    assert.equal(seen[3]?.detail.output, '{"ok":true}');
    assert.equal(new Set(seen.map((event) => event.id)).size, 4, 'every event has its own id');
  });

  test('the webhook receives every event as JSON, in order', () => {
    assert.deepEqual(received, seen);
    assert.deepEqual(new Set(contentTypes), new Set(['application/json']));
    assert.deepEqual(failures, []);
  });

  test('printed lines name the status, the execution, the redrive and the error', () => {
    assert.deepEqual(seen.map(formatStatusLine), [
      'RUNNING   Flaky/e1',
      'FAILED    Flaky/e1  RetryableError: {"errorMessage":"503"}',
      'RUNNING   Flaky/e1  (redrive 1)',
      'SUCCEEDED Flaky/e1  (redrive 1)',
    ]);
  });

  test('a webhook that fails or is down is reported, not retried, and never blocks the next event', async () => {
    const errors: string[] = [];
    const broken = createWebhookSink(`${receiverUrl}/broken`, {
      onError: (error) => errors.push(error.message),
    });
    const down = createWebhookSink('http://127.0.0.1:1/events', {
      onError: (error) => errors.push(error.name),
    });
    broken.send(seen[0]!);
    down.send(seen[0]!);
    broken.send(seen[1]!);
    await Promise.all([broken.flush(), down.flush()]);
    assert.deepEqual(
      errors.sort(),
      [`${receiverUrl}/broken answered 500`, `${receiverUrl}/broken answered 500`, 'TypeError'].sort(),
    );
    assert.throws(() => createWebhookSink('ftp://x/'), {
      message: "--events-webhook must be an http(s) URL, got 'ftp://x/'",
    });
  });
});
