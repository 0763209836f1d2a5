import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createExecutor, type ExecutionRecord } from '../../../local/runtime/executor.ts';
import { startSfnEndpoint } from '../../../local/runtime/sfn-endpoint.ts';
import { localStateMachineArn } from '../../../local/runtime/template.ts';

const SM = localStateMachineArn('Bounded');

async function call(url: string, target: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'x-amz-target': `AWSStepFunctions.${target}`, 'content-type': 'application/x-amz-json-1.0' },
    body: JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

describe('local Step Functions endpoint: finished executions are kept up to a bound', () => {
  test('the oldest finished executions are dropped past the bound; running ones never are', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<unknown>((resolve) => {
      release = () => resolve({ ok: true });
    });
    const executor = await createExecutor({
      machine: {
        logicalId: 'Bounded',
        name: 'Bounded',
        arn: SM,
        workflow: 'bounded',
        type: 'STANDARD',
        definition: {
          StartAt: 'maybe wait',
          States: {
            'maybe wait': {
              Type: 'Choice',
              Choices: [{ Variable: '$.hold', BooleanEquals: true, Next: 'held' }],
              Default: 'done',
            },
            held: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:Fn', End: true },
            done: { Type: 'Succeed' },
          },
        },
      },
      invoke: () => held,
    });
    const dropped: ExecutionRecord[] = [];
    const endpoint = await startSfnEndpoint({
      executors: [executor],
      maxFinishedExecutions: 5,
      onDropped: (record) => dropped.push(record),
    });
    try {
      await call(endpoint.url, 'StartExecution', {
        stateMachineArn: SM,
        name: 'held',
        input: '{"hold":true}',
      });
      for (let i = 0; i < 40; i++) {
        const { executionArn } = await call(endpoint.url, 'StartExecution', {
          stateMachineArn: SM,
          name: `e${i}`,
          input: '{"hold":false}',
        });
        await endpoint.getExecution(String(executionArn))?.done;
      }
      // Pruning runs once the list is 16 over the bound, and then brings it back to the bound.
      assert.ok(endpoint.executions().length <= 5 + 16, `${endpoint.executions().length} kept`);
      assert.ok(dropped.length >= 40 - 16, `${dropped.length} dropped`);
      assert.ok(dropped.every((record) => record.status === 'SUCCEEDED'));
      const names = endpoint.executions().map((record) => record.name);
      assert.ok(names.includes('held'), 'a running execution is never dropped');
      assert.ok(names.includes('e39'), 'the newest are kept');
      const gone = await call(endpoint.url, 'DescribeExecution', { executionArn: dropped[0]?.executionArn });
      assert.equal(gone.__type, 'ExecutionDoesNotExist');
      const listed = (await call(endpoint.url, 'ListExecutions', { stateMachineArn: SM, maxResults: 1000 }))
        .executions as unknown[];
      assert.equal(listed.length, endpoint.executions().length);
    } finally {
      release();
      await endpoint.close();
    }
  });
});
