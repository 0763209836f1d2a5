/**
 * The real AWS CLI against the local endpoints: redrive-execution, send-task-success,
 * list-executions with a bogus status filter, describe-state-machine byte for byte, and
 * dynamodb describe-time-to-live on dynalite. Skipped, with the reason printed, when no `aws`
 * on PATH has redrive-execution (Debian's awscli 2.9 lacks it; pyenv's awscli 1.x has it).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createWorkflowTable, startDynalite } from '../../../local/dynamo.ts';
import { type SfnEndpoint, startSfnEndpoint } from '../../../local/runtime/sfn-endpoint.ts';
import { callsPerStep, startFixture } from '../../fixtures/runtime/redrivable-machine.ts';
import { awsOutput as aws, awsCliSkipReason } from '../../support/aws-cli.ts';

const skip = awsCliSkipReason();

async function until<T>(read: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the AWS CLI against the local endpoints', { skip }, () => {
  let fixture: Awaited<ReturnType<typeof startFixture>>;
  let endpoint: SfnEndpoint;
  before(async () => {
    fixture = await startFixture();
    endpoint = await startSfnEndpoint({ executors: [fixture.executor] });
  });
  after(async () => {
    await endpoint?.close();
    await fixture?.lambdas.close();
    if (fixture) rmSync(fixture.dir, { recursive: true, force: true });
  });

  test('redrive-execution and send-task-success finish a failed execution on the same ARN', async () => {
    const started = JSON.parse(
      await aws(
        endpoint.url,
        'stepfunctions',
        'start-execution',
        '--state-machine-arn',
        fixture.machine.arn,
        '--name',
        'cli-1',
      ),
    ) as { executionArn: string };
    const record = endpoint.getExecution(started.executionArn)!;
    await record.done;
    assert.equal(record.status, 'FAILED');
    const described = JSON.parse(
      await aws(endpoint.url, 'stepfunctions', 'describe-execution', '--execution-arn', started.executionArn),
    ) as { redriveStatus: string; redriveCount: number };
    assert.deepEqual([described.redriveStatus, described.redriveCount], ['REDRIVABLE', 0]);

    unlinkSync(fixture.faultFile);
    const redriven = JSON.parse(
      await aws(endpoint.url, 'stepfunctions', 'redrive-execution', '--execution-arn', started.executionArn),
    ) as { redriveDate: string };
    assert.ok(redriven.redriveDate);
    const token = await until(
      () => (existsSync(fixture.tokenFile) ? readFileSync(fixture.tokenFile, 'utf8') : undefined),
      'the task token',
    );
    await aws(
      endpoint.url,
      'stepfunctions',
      'send-task-success',
      '--task-token',
      token,
      '--task-output',
      '{"approved":"by cli"}',
    );
    await record.done;
    assert.equal(record.status, 'SUCCEEDED', record.cause);
    assert.equal(record.executionArn, started.executionArn);
    assert.deepEqual((JSON.parse(record.output!) as { approval: unknown }).approval, { approved: 'by cli' });
    assert.deepEqual(callsPerStep(record.events), { first: 1, left: 1, right: 2 });
    const after = JSON.parse(
      await aws(endpoint.url, 'stepfunctions', 'describe-execution', '--execution-arn', started.executionArn),
    ) as { redriveCount: number; status: string };
    assert.deepEqual([after.status, after.redriveCount], ['SUCCEEDED', 1]);
  });

  test('list-executions --status-filter BOGUS is rejected with ValidationException', async () => {
    await assert.rejects(
      aws(
        endpoint.url,
        'stepfunctions',
        'list-executions',
        '--state-machine-arn',
        fixture.machine.arn,
        '--status-filter',
        'BOGUS',
      ),
      (error: Error & { stderr?: string }) => {
        assert.match(String(error.stderr), /ValidationException.*Member must satisfy enum value set/s);
        return true;
      },
    );
  });

  test('describe-state-machine returns the deployed definition byte for byte', async () => {
    const described = JSON.parse(
      await aws(
        endpoint.url,
        'stepfunctions',
        'describe-state-machine',
        '--state-machine-arn',
        fixture.machine.arn,
      ),
    ) as { definition: string };
    assert.equal(described.definition, fixture.machine.definitionString);
  });

  test('dynamodb describe-time-to-live reports the table TTL as ENABLED on its attribute', async () => {
    const dynamo = await startDynalite();
    try {
      await createWorkflowTable(dynamo.client, 'ttl-table');
      const ttl = JSON.parse(
        await aws(dynamo.endpoint, 'dynamodb', 'describe-time-to-live', '--table-name', 'ttl-table'),
      ) as {
        TimeToLiveDescription: unknown;
      };
      assert.deepEqual(ttl.TimeToLiveDescription, {
        TimeToLiveStatus: 'ENABLED',
        AttributeName: 'expires_at',
      });
    } finally {
      await dynamo.close();
    }
  });
});
