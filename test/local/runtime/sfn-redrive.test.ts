import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type SfnEndpoint, startSfnEndpoint } from '../../../local/runtime/sfn-endpoint.ts';
import { callsPerStep, startFixture } from '../../fixtures/runtime/redrivable-machine.ts';

async function until<T>(read: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('RedriveExecution, SendTask* and validation through @aws-sdk/client-sfn', () => {
  let fixture: Awaited<ReturnType<typeof startFixture>>;
  let endpoint: SfnEndpoint;
  let client: SFNClient;
  before(async () => {
    fixture = await startFixture();
    endpoint = await startSfnEndpoint({ executors: [fixture.executor] });
    client = new SFNClient({
      endpoint: endpoint.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  after(async () => {
    client.destroy();
    await endpoint.close();
    await fixture.lambdas.close();
    rmSync(fixture.dir, { recursive: true, force: true });
  });
  const status = async (executionArn: string) =>
    (await client.send(new DescribeExecutionCommand({ executionArn }))).status;
  const settled = (executionArn: string) =>
    until(async () => {
      const s = await status(executionArn);
      return s === 'RUNNING' ? undefined : s;
    }, 'a terminal status');

  test('a failed execution is redriven on the same ARN, only the failed branch runs again, the token task completes', async () => {
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: fixture.machine.arn, name: 'r1', input: '{}' }),
    );
    assert.equal(await settled(executionArn!), 'FAILED');
    const failed = await client.send(new DescribeExecutionCommand({ executionArn }));
    assert.deepEqual(
      [failed.error, failed.redriveStatus, failed.redriveCount],
      ['FaultStillThere', 'REDRIVABLE', 0],
    );
    await assert.rejects(client.send(new RedriveExecutionCommand({ executionArn: `${executionArn}x` })), {
      name: 'ExecutionDoesNotExist',
    });

    unlinkSync(fixture.faultFile);
    const redriven = await client.send(new RedriveExecutionCommand({ executionArn }));
    assert.ok(redriven.redriveDate instanceof Date);
    const token = await until(
      () => (existsSync(fixture.tokenFile) ? readFileSync(fixture.tokenFile, 'utf8') : undefined),
      'the task token',
    );
    await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await assert.rejects(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{nope' })), {
      name: 'InvalidOutput',
    });
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approved":true}' }));
    assert.equal(await settled(executionArn!), 'SUCCEEDED');
    const done = await client.send(new DescribeExecutionCommand({ executionArn }));
    assert.equal(done.redriveCount, 1);
    assert.ok(done.redriveDate instanceof Date);
    assert.deepEqual(
      [done.redriveStatus, done.redriveStatusReason],
      ['NOT_REDRIVABLE', 'Execution is SUCCEEDED and cannot be redriven'],
    );
    assert.deepEqual((JSON.parse(done.output!) as { approval: unknown }).approval, { approved: true });
    const events = endpoint.getExecution(executionArn!)!.events;
    assert.deepEqual(callsPerStep(events), { first: 1, left: 1, right: 2 });
    assert.equal(events.filter((event) => event.type === 'ExecutionRedriven').length, 1);
    await assert.rejects(client.send(new RedriveExecutionCommand({ executionArn })), {
      name: 'ExecutionNotRedrivable',
      message: 'Execution is SUCCEEDED and cannot be redriven',
    });
    await assert.rejects(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })), {
      name: 'TaskTimedOut',
    });
  });

  test('SendTask* answer InvalidToken for a token no task was given', async () => {
    await assert.rejects(client.send(new SendTaskFailureCommand({ taskToken: 'not-a-token', error: 'X' })), {
      name: 'InvalidToken',
      message: "Invalid Token: 'not-a-token'",
    });
  });

  test('validates statusFilter, redriveFilter and maxResults like AWS, naming the bound', async () => {
    const list = (input: Record<string, unknown>) =>
      client.send(new ListExecutionsCommand({ stateMachineArn: fixture.machine.arn, ...input }));
    await assert.rejects(list({ statusFilter: 'BOGUS' }), {
      name: 'ValidationException',
      message:
        "1 validation error detected: Value 'BOGUS' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]",
    });
    await assert.rejects(list({ maxResults: -1 }), {
      message:
        "1 validation error detected: Value '-1' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 0",
    });
    await assert.rejects(list({ maxResults: 1001 }), { message: /less than or equal to 1000$/ });
    await assert.rejects(list({ redriveFilter: 'SOMETIMES' }), { name: 'ValidationException' });
    const redriven = await list({ redriveFilter: 'REDRIVEN' });
    assert.deepEqual(
      redriven.executions?.map((e) => [e.name, e.redriveCount]),
      [['r1', 1]],
    );
  });

  test('DescribeStateMachine returns the deployed definition text byte for byte', async () => {
    const described = await client.send(
      new DescribeStateMachineCommand({ stateMachineArn: fixture.machine.arn }),
    );
    assert.equal(described.definition, fixture.machine.definitionString);
    assert.ok(!described.definition?.includes('QueryLanguage'));
  });
});
