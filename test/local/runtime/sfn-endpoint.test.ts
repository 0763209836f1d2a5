import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { createExecutor } from '../../../local/runtime/executor.ts';
import { createLambdaAdapter } from '../../../local/runtime/lambda-adapter.ts';
import { type SfnEndpoint, startSfnEndpoint } from '../../../local/runtime/sfn-endpoint.ts';
import { localStateMachineArn } from '../../../local/runtime/template.ts';
import { FLAKY, flakyFunction } from '../../fixtures/lambdas/flaky-function.ts';

const quick = {
  logicalId: 'Quick',
  name: 'Quick',
  arn: localStateMachineArn('Quick'),
  workflow: 'quick',
  type: 'STANDARD' as const,
  definition: {
    StartAt: 'call',
    States: {
      call: {
        Type: 'Task',
        Resource: FLAKY,
        Parameters: { 'attempt.$': '$$.State.RetryCount', 'failUntil.$': '$.failUntil' },
        Retry: [{ ErrorEquals: ['RetryableError'], IntervalSeconds: 1, MaxAttempts: 2 }],
        End: true,
      },
    },
  },
};

// Waits 30 s at time scale 1: stays RUNNING until stopped.
const slow = {
  ...quick,
  logicalId: 'Slow',
  name: 'Slow',
  arn: localStateMachineArn('Slow'),
  definition: { StartAt: 'pause', States: { pause: { Type: 'Wait', Seconds: 30, End: true } } },
};

async function poll(client: SFNClient, executionArn: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const { status } = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (status !== 'RUNNING') return String(status);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return 'RUNNING';
}

describe('Step Functions JSON endpoint through @aws-sdk/client-sfn', () => {
  const lambdas = createLambdaAdapter({ functions: [flakyFunction] });
  let endpoint: SfnEndpoint;
  let client: SFNClient;
  before(async () => {
    const executors = [
      await createExecutor({ machine: quick, invoke: lambdas.invoke, timeScale: 50 }),
      await createExecutor({ machine: slow, invoke: lambdas.invoke }),
    ];
    endpoint = await startSfnEndpoint({ executors });
    client = new SFNClient({
      endpoint: endpoint.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  after(async () => {
    client.destroy();
    await endpoint.close();
    await lambdas.close();
  });

  test('starts, describes and pages through the history of an execution', async () => {
    const input = JSON.stringify({ failUntil: 1 });
    const started = await client.send(
      new StartExecutionCommand({ stateMachineArn: quick.arn, name: 'a1', input }),
    );
    assert.equal(started.executionArn, 'arn:aws:states:us-east-1:000000000000:execution:Quick:a1');
    assert.ok(started.startDate instanceof Date);
    assert.equal(await poll(client, started.executionArn!), 'SUCCEEDED');
    const described = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    assert.equal(described.input, input);
    assert.deepEqual(JSON.parse(described.output ?? ''), { attempt: 1, failUntil: 1, ok: true });
    assert.ok(described.stopDate instanceof Date);

    const all = await client.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }));
    const events = all.events ?? [];
    assert.deepEqual(
      events.map((event) => event.type),
      [
        'ExecutionStarted',
        'TaskStateEntered',
        'LambdaFunctionScheduled',
        'LambdaFunctionStarted',
        'LambdaFunctionFailed',
        'LambdaFunctionScheduled',
        'LambdaFunctionStarted',
        'LambdaFunctionSucceeded',
        'TaskStateExited',
        'ExecutionSucceeded',
      ],
    );
    assert.equal(events[1]?.stateEnteredEventDetails?.name, 'call');
    assert.equal(events[4]?.lambdaFunctionFailedEventDetails?.error, 'RetryableError');
    assert.equal(events[2]?.lambdaFunctionScheduledEventDetails?.resource, FLAKY);
    assert.ok(events.every((event) => event.timestamp instanceof Date));

    const paged: HistoryEvent[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < 10; page++) {
      const result = await client.send(
        new GetExecutionHistoryCommand({ executionArn: started.executionArn, maxResults: 3, nextToken }),
      );
      paged.push(...(result.events ?? []));
      nextToken = result.nextToken;
      if (!nextToken) break;
    }
    assert.deepEqual(
      paged.map((event) => event.id),
      events.map((event) => event.id),
    );
    const reversed = await client.send(
      new GetExecutionHistoryCommand({
        executionArn: started.executionArn,
        reverseOrder: true,
        maxResults: 2,
      }),
    );
    assert.deepEqual(
      reversed.events?.map((event) => event.type),
      ['ExecutionSucceeded', 'TaskStateExited'],
    );
    const noData = await client.send(
      new GetExecutionHistoryCommand({ executionArn: started.executionArn, includeExecutionData: false }),
    );
    assert.equal(noData.events?.[1]?.stateEnteredEventDetails?.input, undefined);
  });

  test('applies Standard name rules: same name and input while running is the same execution', async () => {
    const first = await client.send(
      new StartExecutionCommand({ stateMachineArn: slow.arn, name: 'n1', input: '{}' }),
    );
    const again = await client.send(
      new StartExecutionCommand({ stateMachineArn: slow.arn, name: 'n1', input: '{}' }),
    );
    assert.equal(again.executionArn, first.executionArn);
    assert.equal(again.startDate?.getTime(), first.startDate?.getTime());
    await assert.rejects(
      client.send(new StartExecutionCommand({ stateMachineArn: slow.arn, name: 'n1', input: '{"x":1}' })),
      { name: 'ExecutionAlreadyExists' },
    );
    const stopped = await client.send(
      new StopExecutionCommand({ executionArn: first.executionArn, error: 'Test.Stop', cause: 'done' }),
    );
    assert.ok(stopped.stopDate instanceof Date);
    const described = await client.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    assert.equal(described.status, 'ABORTED');
    assert.deepEqual([described.error, described.cause], ['Test.Stop', 'done']);
    // A closed execution's name stays taken.
    await assert.rejects(
      client.send(new StartExecutionCommand({ stateMachineArn: slow.arn, name: 'n1', input: '{}' })),
      { name: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${first.executionArn}'` },
    );
  });

  test('lists executions newest first, filtered by status and paginated', async () => {
    const running = await client.send(new StartExecutionCommand({ stateMachineArn: slow.arn, name: 'l1' }));
    await client.send(new StartExecutionCommand({ stateMachineArn: slow.arn, name: 'l2' }));
    const page1 = await client.send(
      new ListExecutionsCommand({ stateMachineArn: slow.arn, statusFilter: 'RUNNING', maxResults: 1 }),
    );
    assert.deepEqual(
      page1.executions?.map((execution) => execution.name),
      ['l2'],
    );
    const page2 = await client.send(
      new ListExecutionsCommand({
        stateMachineArn: slow.arn,
        statusFilter: 'RUNNING',
        nextToken: page1.nextToken,
      }),
    );
    assert.deepEqual(
      page2.executions?.map((execution) => execution.name),
      ['l1'],
    );
    assert.equal(page2.nextToken, undefined);
    const aborted = await client.send(
      new ListExecutionsCommand({ stateMachineArn: slow.arn, statusFilter: 'ABORTED' }),
    );
    assert.ok(aborted.executions?.every((execution) => execution.status === 'ABORTED'));
    await client.send(new StopExecutionCommand({ executionArn: running.executionArn }));
  });

  test('answers errors the way AWS names them', async () => {
    const missing = `${quick.arn.replace(':stateMachine:', ':execution:')}:nope`;
    await assert.rejects(client.send(new DescribeExecutionCommand({ executionArn: missing })), {
      name: 'ExecutionDoesNotExist',
    });
    await assert.rejects(client.send(new DescribeExecutionCommand({ executionArn: 'arn:nope' })), {
      name: 'InvalidArn',
    });
    await assert.rejects(
      client.send(new StartExecutionCommand({ stateMachineArn: localStateMachineArn('Other') })),
      { name: 'StateMachineDoesNotExist' },
    );
    await assert.rejects(
      client.send(new StartExecutionCommand({ stateMachineArn: quick.arn, name: 'a b' })),
      {
        name: 'InvalidName',
      },
    );
    await assert.rejects(
      client.send(new StartExecutionCommand({ stateMachineArn: quick.arn, input: '{nope' })),
      {
        name: 'InvalidExecutionInput',
      },
    );
    const big = JSON.stringify({ blob: 'x'.repeat(262_144) });
    await assert.rejects(client.send(new StartExecutionCommand({ stateMachineArn: quick.arn, input: big })), {
      name: 'ValidationException',
    });
  });

  test('describes the state machine with its definition', async () => {
    const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn: quick.arn }));
    assert.deepEqual(JSON.parse(described.definition ?? ''), quick.definition);
    assert.equal(described.type, 'STANDARD');
  });
});
