import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createExecutor, type ExecutionRecord } from '../../../local/runtime/executor.ts';
import type { HistoryEvent } from '../../../local/runtime/history.ts';
import { createLambdaAdapter } from '../../../local/runtime/lambda-adapter.ts';
import { localStateMachineArn } from '../../../local/runtime/template.ts';
import { FLAKY, flakyFunction } from '../../fixtures/lambdas/flaky-function.ts';

const definition = {
  StartAt: 'create',
  TimeoutSeconds: 60,
  States: {
    create: {
      Type: 'Task',
      Resource: FLAKY,
      Parameters: {
        'attempt.$': '$$.State.RetryCount',
        'failUntil.$': '$.failUntil',
        'execution_id.$': '$$.Execution.Id',
        'execution_name.$': '$$.Execution.Name',
        'state_name.$': '$$.State.Name',
        'machine.$': '$$.StateMachine.Name',
      },
      ResultPath: '$.steps.create',
      Retry: [{ ErrorEquals: ['RetryableError'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }],
      Next: 'both',
    },
    both: {
      Type: 'Parallel',
      Branches: [
        {
          StartAt: 'left',
          States: {
            left: {
              Type: 'Task',
              Resource: FLAKY,
              Parameters: { attempt: 0, 'permanent.$': '$.leftFails', 'original.$': '$$.Execution.Input' },
              End: true,
            },
          },
        },
        { StartAt: 'right', States: { right: { Type: 'Pass', Result: { right: true }, End: true } } },
      ],
      ResultPath: '$.both',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.errors.both', Next: 'both (fallback)' }],
      Next: 'slow',
    },
    'both (fallback)': { Type: 'Pass', End: true },
    slow: {
      Type: 'Task',
      Resource: FLAKY,
      TimeoutSeconds: 1,
      Parameters: { attempt: 0, 'sleepMs.$': '$.slowMs' },
      ResultPath: null,
      End: true,
    },
  },
};

const machine = {
  logicalId: 'Machine',
  name: 'TestMachine',
  arn: localStateMachineArn('TestMachine'),
  workflow: 'test',
  type: 'STANDARD' as const,
  definition,
};

const types = (record: ExecutionRecord): string[] => record.events.map((event) => event.type);
const details = (event: HistoryEvent | undefined, key: string): Record<string, unknown> =>
  ((event as Record<string, unknown> | undefined)?.[key] ?? {}) as Record<string, unknown>;

describe('executor on the local engine', async () => {
  const lambdas = createLambdaAdapter({ functions: [flakyFunction] });
  after(() => lambdas.close());
  const executor = await createExecutor({ machine, invoke: lambdas.invoke, timeScale: 100 });

  test('passes $$.State.RetryCount and retries after the asked delay in virtual time', async () => {
    const started = Date.now();
    const record = executor.start(
      'exec-retry',
      JSON.stringify({ failUntil: 2, leftFails: false, slowMs: 0 }),
    );
    await record.done;
    assert.equal(record.status, 'SUCCEEDED', record.cause);
    const output = JSON.parse(record.output ?? '{}') as { steps: { create: Record<string, unknown> } };
    assert.deepEqual(output.steps.create, {
      attempt: 2,
      failUntil: 2,
      execution_id: `${machine.arn.replace(':stateMachine:', ':execution:')}:exec-retry`,
      execution_name: 'exec-retry',
      state_name: 'create',
      machine: 'TestMachine',
      ok: true,
    });
    assert.deepEqual(
      record.waits.map((wait) => [wait.stateName, wait.askedMs]),
      [
        ['create', 2000],
        ['create', 4000],
      ],
    );
    // Real time is scaled 100x; history timestamps still show the full backoff.
    assert.ok(Date.now() - started < 3000);
    const failed = record.events.filter((event) => event.type === 'LambdaFunctionFailed');
    const scheduled = record.events.filter((event) => event.type === 'LambdaFunctionScheduled');
    assert.equal(failed.length, 2);
    assert.ok(scheduled[1]!.timestamp.getTime() - failed[0]!.timestamp.getTime() >= 2000);
    assert.ok(scheduled[2]!.timestamp.getTime() - failed[1]!.timestamp.getTime() >= 4000);
    assert.equal(details(failed[0], 'lambdaFunctionFailedEventDetails').error, 'RetryableError');
  });

  test('records AWS-shaped history with previousEventId chains through the Parallel state', async () => {
    const record = executor.start(
      'exec-shape',
      JSON.stringify({ failUntil: 0, leftFails: false, slowMs: 0 }),
    );
    await record.done;
    const seen = types(record);
    assert.deepEqual(seen.slice(0, 7), [
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ParallelStateEntered',
    ]);
    assert.equal(seen[7], 'ParallelStateStarted');
    // Each state appears once, although the library forwards branch events to the root logger.
    assert.equal(seen.filter((type) => type === 'TaskStateEntered').length, 3);
    assert.equal(seen.filter((type) => type === 'PassStateExited').length, 1);
    assert.ok(seen.includes('PassStateEntered') && seen.includes('ParallelStateSucceeded'));
    assert.equal(seen.at(-1), 'ExecutionSucceeded');
    const started = record.events.find((event) => event.type === 'ParallelStateStarted')!;
    const branchFirsts = record.events.filter(
      (event) => event.type === 'TaskStateEntered' || event.type === 'PassStateEntered',
    );
    // Both branches' first states follow ParallelStateStarted.
    assert.deepEqual(
      branchFirsts.slice(1, 3).map((event) => event.previousEventId),
      [started.id, started.id],
    );
    const entered = details(record.events[1], 'stateEnteredEventDetails');
    assert.equal(entered.name, 'create');
    assert.equal(typeof entered.input, 'string');
    const left = record.events.find(
      (event) =>
        details(event, 'lambdaFunctionScheduledEventDetails').input?.toString().includes('original') ?? false,
    );
    const leftInput = JSON.parse(String(details(left, 'lambdaFunctionScheduledEventDetails').input)) as {
      original: unknown;
    };
    assert.deepEqual(
      leftInput.original,
      { failUntil: 0, leftFails: false, slowMs: 0 },
      '$$.Execution.Input in a branch',
    );
  });

  test('a failing Parallel branch is caught with the Lambda error as Error and its JSON as Cause', async () => {
    const record = executor.start('exec-catch', JSON.stringify({ failUntil: 0, leftFails: true, slowMs: 0 }));
    await record.done;
    assert.equal(record.status, 'SUCCEEDED');
    const output = JSON.parse(record.output ?? '{}') as {
      errors: { both: { Error: string; Cause: string } };
    };
    assert.equal(output.errors.both.Error, 'PermanentError');
    const cause = JSON.parse(output.errors.both.Cause) as Record<string, unknown>;
    assert.equal(cause.errorType, 'PermanentError');
    assert.equal(cause.errorMessage, 'USER_CONFLICT: email already registered');
    assert.ok(Array.isArray(cause.trace));
    assert.ok(types(record).includes('ParallelStateFailed'));
    assert.ok(!types(record).includes('ParallelStateSucceeded'));
  });

  test('TimeoutSeconds fails the task with States.Timeout', async () => {
    const record = executor.start(
      'exec-timeout',
      JSON.stringify({ failUntil: 0, leftFails: false, slowMs: 1500 }),
    );
    await record.done;
    assert.equal(record.status, 'FAILED');
    assert.equal(record.error, 'States.Timeout');
    assert.ok(types(record).includes('LambdaFunctionTimedOut'));
    assert.equal(types(record).at(-1), 'ExecutionFailed');
  });

  test('runs lambda:invoke tasks with the SDK integration result and Task* history events', async () => {
    const sdkMachine = {
      ...machine,
      name: 'SdkMachine',
      arn: localStateMachineArn('SdkMachine'),
      definition: {
        StartAt: 'call',
        States: {
          call: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: FLAKY, Payload: { attempt: 0, via: 'sdk' } },
            ResultSelector: { 'payload.$': '$.Payload', 'code.$': '$.StatusCode' },
            End: true,
          },
        },
      },
    };
    const sdkExecutor = await createExecutor({ machine: sdkMachine, invoke: lambdas.invoke });
    const record = sdkExecutor.start('sdk-1', '{}');
    await record.done;
    assert.deepEqual(JSON.parse(record.output ?? ''), {
      payload: { attempt: 0, via: 'sdk', ok: true },
      code: 200,
    });
    assert.deepEqual(types(record).slice(2, 5), ['TaskScheduled', 'TaskStarted', 'TaskSucceeded']);
    assert.equal(details(record.events[2], 'taskScheduledEventDetails').resource, 'invoke');
  });

  test('stop aborts a running execution', async () => {
    const record = executor.start('exec-stop', JSON.stringify({ failUntil: 3, leftFails: false, slowMs: 0 }));
    record.stop('Operator.Stop', 'testing');
    await record.done;
    assert.equal(record.status, 'ABORTED');
    assert.deepEqual(details(record.events.at(-1), 'executionAbortedEventDetails'), {
      error: 'Operator.Stop',
      cause: 'testing',
    });
  });
});

describe('executor time scale', () => {
  test('a Wait state runs scaled while history and $$.State.EnteredTime show the full wait', async () => {
    const waiter = {
      ...machine,
      name: 'Waiter',
      arn: localStateMachineArn('Waiter'),
      definition: {
        StartAt: 'pause',
        States: {
          pause: { Type: 'Wait', Seconds: 3, Next: 'entered' },
          entered: { Type: 'Pass', Parameters: { 'at.$': '$$.State.EnteredTime' }, End: true },
        },
      },
    };
    const executor = await createExecutor({ machine: waiter, invoke: async () => null, timeScale: 100 });
    const started = Date.now();
    const record = executor.start('w1', '{}');
    await record.done;
    assert.equal(record.status, 'SUCCEEDED');
    assert.ok(Date.now() - started < 2000, 'the wait ran 100x faster');
    const entered = record.events.find((event) => event.type === 'WaitStateEntered')!;
    const exited = record.events.find((event) => event.type === 'WaitStateExited')!;
    assert.ok(exited.timestamp.getTime() - entered.timestamp.getTime() >= 3000);
    const at = Date.parse((JSON.parse(record.output ?? '{}') as { at: string }).at);
    assert.ok(at - record.startDate.getTime() >= 3000, '$$.State.EnteredTime is on the virtual clock');
    assert.deepEqual(record.waits, [{ kind: 'wait', stateName: 'pause', askedMs: 3000 }]);
  });
});
