import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createStateMachine,
  type InvokeFunction,
  type MachineDefinition,
} from '../../../local/engine/index.ts';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:';
const named = (name: string, message: string): Error => Object.assign(new Error(message), { name });

function machine(definition: Record<string, unknown>, invoke: InvokeFunction, timeScale = 1000) {
  return createStateMachine({
    arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:T',
    name: 'T',
    definition: definition as unknown as MachineDefinition,
    invoke,
    timeScale,
    random: () => 0.5,
  });
}
const start = (m: ReturnType<typeof machine>, input = '{}') =>
  m.start('arn:aws:states:us-east-1:000000000000:execution:T:e', 'e', input);
const types = (events: readonly { type: string }[]) => events.map((event) => event.type);

describe('local engine', () => {
  test('Retry keeps a counter per Retrier; MaxAttempts 0 never retries; backoff and FULL jitter shape the delay', async () => {
    let calls = 0;
    const m = machine(
      {
        StartAt: 't',
        States: {
          t: {
            Type: 'Task',
            Resource: `${FN}f`,
            Retry: [
              { ErrorEquals: ['Never'], MaxAttempts: 0 },
              { ErrorEquals: ['A'], IntervalSeconds: 2, BackoffRate: 3, MaxAttempts: 2, MaxDelaySeconds: 5 },
              { ErrorEquals: ['States.ALL'], IntervalSeconds: 4, MaxAttempts: 1, JitterStrategy: 'FULL' },
            ],
            End: true,
          },
        },
      },
      async () => {
        calls += 1;
        if (calls <= 2) throw named('A', 'a');
        if (calls === 3) throw named('B', 'b');
        if (calls === 4) throw named('Never', 'n');
        return 'ok';
      },
    );
    const e = start(m);
    await e.done;
    assert.equal(e.status, 'FAILED');
    assert.equal(e.error, 'Never');
    assert.deepEqual(
      e.waits.map((w) => [w.askedMs, w.attempt]),
      [
        [2000, 1],
        [5000, 2],
        [2000, 1],
      ],
    );
  });

  test('Task TimeoutSeconds fails with States.Timeout, stamped at least TimeoutSeconds after scheduling', async () => {
    const m = machine(
      { StartAt: 't', States: { t: { Type: 'Task', Resource: `${FN}slow`, TimeoutSeconds: 1, End: true } } },
      () => new Promise((resolve) => setTimeout(resolve, 3000)),
    );
    const e = start(m);
    await e.done;
    assert.equal(e.error, 'States.Timeout');
    const scheduled = e.events.find((event) => event.type === 'LambdaFunctionScheduled')!;
    const timedOut = e.events.find((event) => event.type === 'LambdaFunctionTimedOut')!;
    assert.ok(timedOut.timestamp.getTime() - scheduled.timestamp.getTime() >= 1000);
  });

  test('execution TimeoutSeconds runs on the virtual clock: a 1 h Wait times out after 10 s virtual', async () => {
    const m = machine(
      { TimeoutSeconds: 10, StartAt: 'w', States: { w: { Type: 'Wait', Seconds: 3600, End: true } } },
      async () => null,
      1000,
    );
    const before = Date.now();
    const e = start(m);
    await e.done;
    assert.equal(e.status, 'TIMED_OUT');
    assert.ok(Date.now() - before < 1000, 'timed out in real milliseconds');
    assert.equal(e.stopDate!.getTime() - e.startDate.getTime() >= 10_000, true);
    assert.equal(types(e.events).at(-1), 'ExecutionTimedOut');
  });

  test('a waitForTaskToken task gets $$.Task.Token and goes on with SendTaskSuccess output', async () => {
    let token = '';
    const m = machine(
      {
        StartAt: 'cb',
        States: {
          cb: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: { FunctionName: `${FN}store`, Payload: { 'token.$': '$$.Task.Token' } },
            ResultPath: '$.answer',
            End: true,
          },
        },
      },
      async (_fn, payload) => {
        token = (payload as { token: string }).token;
        return { stored: true };
      },
    );
    const e = start(m);
    while (!token) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(m.tokens.send(token, { kind: 'success', output: { approved: true } }), undefined);
    await e.done;
    assert.deepEqual(JSON.parse(e.output!), { answer: { approved: true } });
    assert.deepEqual(types(e.events).slice(2, 7), [
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
    ]);
    assert.equal(
      m.tokens.send(token, { kind: 'heartbeat' }),
      'TaskTimedOut',
      'a closed task refuses signals',
    );
  });

  test('HeartbeatSeconds without a heartbeat fails with States.HeartbeatTimeout', async () => {
    const m = machine(
      {
        StartAt: 'cb',
        States: {
          cb: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: { FunctionName: `${FN}store`, Payload: { 'token.$': '$$.Task.Token' } },
            TimeoutSeconds: 600,
            HeartbeatSeconds: 60,
            End: true,
          },
        },
      },
      async () => null,
    );
    const e = start(m);
    await e.done;
    assert.equal(e.error, 'States.HeartbeatTimeout');
    assert.equal(types(e.events).includes('TaskTimedOut'), true);
  });

  test('redrive runs only the failed branch again, on the same execution, with RedriveCount', async () => {
    const calls: Record<string, number> = { good: 0, bad: 0 };
    let fixed = false;
    const m = machine(
      {
        StartAt: 'first',
        States: {
          first: { Type: 'Task', Resource: `${FN}good`, ResultPath: '$.first', Next: 'par' },
          par: {
            Type: 'Parallel',
            Branches: [
              { StartAt: 'g', States: { g: { Type: 'Task', Resource: `${FN}good`, End: true } } },
              {
                StartAt: 'b',
                States: {
                  b: {
                    Type: 'Task',
                    Resource: `${FN}bad`,
                    Parameters: { 'redrives.$': '$$.Execution.RedriveCount' },
                    End: true,
                  },
                },
              },
            ],
            End: true,
          },
        },
      },
      async (fn, payload) => {
        const name = fn.slice(FN.length);
        calls[name] = (calls[name] ?? 0) + 1;
        if (name === 'bad' && !fixed) throw named('Broken', 'not yet');
        return { name, payload };
      },
    );
    const e = start(m);
    await e.done;
    assert.equal(e.status, 'FAILED');
    assert.equal(e.redriveStatus.status, 'REDRIVABLE');
    fixed = true;
    e.redrive();
    await e.done;
    assert.equal(e.status, 'SUCCEEDED', e.cause);
    assert.equal(e.redriveCount, 1);
    assert.deepEqual(calls, { good: 2, bad: 2 }, 'first and the good branch ran once each');
    const output = JSON.parse(e.output!) as Array<{ name: string; payload: { redrives?: number } }>;
    assert.equal(output[1]!.payload.redrives, 1);
    const redriven = e.events.find((event) => event.type === 'ExecutionRedriven')!;
    assert.deepEqual(redriven.executionRedrivenEventDetails, { redriveCount: 1 });
    assert.deepEqual(e.redriveStatus, {
      status: 'NOT_REDRIVABLE',
      reason: 'Execution is SUCCEEDED and cannot be redriven',
    });
  });

  test('a failing branch cancels its sibling, whose in-flight state is aborted', async () => {
    const m = machine(
      {
        StartAt: 'par',
        States: {
          par: {
            Type: 'Parallel',
            Branches: [
              { StartAt: 'w', States: { w: { Type: 'Wait', Seconds: 3600, End: true } } },
              { StartAt: 'f', States: { f: { Type: 'Fail', Error: 'Nope', Cause: 'c' } } },
            ],
            End: true,
          },
        },
      },
      async () => null,
      1,
    );
    const e = start(m);
    await e.done;
    assert.equal(e.error, 'Nope');
    assert.deepEqual(types(e.events).slice(-3), [
      'WaitStateAborted',
      'ParallelStateFailed',
      'ExecutionFailed',
    ]);
  });

  test('stop aborts; the execution can then be redriven from the state it was in', async () => {
    const m = machine(
      { StartAt: 'w', States: { w: { Type: 'Wait', Seconds: 5, End: true } } },
      async () => null,
      1,
    );
    const e = start(m);
    e.stop('Test.Stop', 'by test');
    await e.done;
    assert.equal(e.status, 'ABORTED');
    const m2 = machine(
      { StartAt: 'w', States: { w: { Type: 'Wait', Seconds: 5, End: true } } },
      async () => null,
      1000,
    );
    const fast = start(m2);
    fast.stop();
    await fast.done;
    fast.redrive();
    await fast.done;
    assert.equal(fast.status, 'SUCCEEDED');
    assert.equal(types(fast.events).filter((type) => type === 'WaitStateEntered').length, 2);
  });
});
