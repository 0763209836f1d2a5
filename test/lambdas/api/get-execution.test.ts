import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { readStatusConfig } from '../../../lambdas/api/api-config.ts';
import { createGetExecutionHandler, describeExecution } from '../../../lambdas/api/get-execution.ts';
import { ENV, PERMANENT_ERROR } from '../../../lambdas/contracts.ts';
import { serializeWorkflowGraph, type WorkflowGraph } from '../../../lambdas/graph/index.ts';
import { LOCAL_AWS_CLIENT_CONFIG } from '../../../local/dynamo.ts';
import { createExecutor } from '../../../local/runtime/executor.ts';
import { type SfnEndpoint, startSfnEndpoint } from '../../../local/runtime/sfn-endpoint.ts';
import { getEvent, ownedRecord, startTable } from './support.ts';

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:paging';
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:step';

/** Three Task states in a row: enough history events (about 20) to need pages of 2. */
const definition = {
  StartAt: 'first',
  States: {
    first: { Type: 'Task', Resource: FUNCTION_ARN, ResultPath: '$.first', Next: 'second' },
    second: { Type: 'Task', Resource: FUNCTION_ARN, ResultPath: '$.second', Next: 'third' },
    third: { Type: 'Task', Resource: FUNCTION_ARN, ResultPath: '$.third', End: true },
  },
};

const MIXED_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:mixed';

/** A step that succeeds, one that fails into its fallback, one that fails the execution. */
const mixedDefinition = {
  StartAt: 'first',
  States: {
    first: { Type: 'Task', Resource: FUNCTION_ARN, ResultPath: '$.first', Next: 'second' },
    second: {
      Type: 'Task',
      Resource: `${FUNCTION_ARN}-failing`,
      ResultPath: '$.second',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.errors.second', Next: 'second (fallback)' }],
      Next: 'third',
    },
    'second (fallback)': {
      Type: 'Pass',
      Result: { fallback_used: true },
      ResultPath: '$.second',
      Next: 'third',
    },
    third: { Type: 'Task', Resource: `${FUNCTION_ARN}-failing`, ResultPath: '$.third', End: true },
  },
};

/** Tasks on the `-failing` function fail permanently, the others succeed. */
async function invokeTask(functionArn: string): Promise<unknown> {
  if (!functionArn.endsWith('-failing')) return { ok: true };
  throw Object.assign(new Error('NOT_FOUND: GET /orders/1 answered 404'), { name: PERMANENT_ERROR });
}

describe('GET /<resource>/{id} reads the history through the SDK paginator', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  let endpoint: SfnEndpoint;
  let sfn: SFNClient;
  const executionArn = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:paged`;

  before(async () => {
    table = await startTable('paging');
    const executor = await createExecutor({
      machine: {
        logicalId: 'Machine',
        name: 'paging',
        arn: STATE_MACHINE_ARN,
        workflow: 'paging',
        type: 'STANDARD',
        definition,
      },
      invoke: invokeTask,
    });
    const mixed = await createExecutor({
      machine: {
        logicalId: 'Mixed',
        name: 'mixed',
        arn: MIXED_ARN,
        workflow: 'mixed',
        type: 'STANDARD',
        definition: mixedDefinition,
      },
      invoke: invokeTask,
    });
    endpoint = await startSfnEndpoint({ executors: [executor, mixed] });
    sfn = new SFNClient({ ...LOCAL_AWS_CLIENT_CONFIG, endpoint: endpoint.url });
    await sfn.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'paged', input: '{}' }),
    );
    await endpoint.getExecution(executionArn)!.done;
    await table.store.putCorrelation(
      ownedRecord('paged', executionArn),
      Math.floor(Date.now() / 1000) + 3600,
    );
    await sfn.send(new StartExecutionCommand({ stateMachineArn: MIXED_ARN, name: 'mixed', input: '{}' }));
    const mixedArn = `${MIXED_ARN.replace(':stateMachine:', ':execution:')}:mixed`;
    await endpoint.getExecution(mixedArn)!.done;
    await table.store.putCorrelation(ownedRecord('mixed', mixedArn), Math.floor(Date.now() / 1000) + 3600);
  });
  after(async () => {
    sfn.destroy();
    await endpoint.close();
    await table.close();
  });

  const stepsWith = async (pages: { historyPageSize?: number; maxHistoryPages?: number }) => {
    const document = await describeExecution(
      { store: table.store, sfn, ...pages },
      ownedRecord('paged', executionArn),
    );
    return document.steps.map((s) => `${s.name}:${s.status}`);
  };

  test('every page is read: two events a page give the same steps as one page of 1000', async () => {
    const all = ['first:succeeded', 'second:succeeded', 'third:succeeded'];
    assert.deepEqual(await stepsWith({}), all);
    assert.deepEqual(await stepsWith({ historyPageSize: 2 }), all);
  });

  test('reading stops after maxHistoryPages', async () => {
    // 3 pages of 2 events: ExecutionStarted and the first Task's 5 events, nothing of the others.
    assert.deepEqual(await stepsWith({ historyPageSize: 2, maxHistoryPages: 3 }), ['first:succeeded']);
  });

  const graph: WorkflowGraph = {
    workflow: 'paging',
    steps: ['first', 'second', 'third'].map((name, i, all) => ({
      name,
      dependsOn: i === 0 ? [] : [all[i - 1]!],
      fallback: false,
      honorRetryAfter: false,
      http: true,
    })),
  };
  const withFormat = (format: string) => getEvent('paged', { query: { format } });

  test('?format=mermaid answers the status as a flowchart of the true graph, coloured by step status', async () => {
    const handler = createGetExecutionHandler({ store: table.store, sfn, workflowName: 'paging', graph });
    const result = await handler(withFormat('mermaid'));
    assert.equal(result.statusCode, 200);
    assert.equal(result.headers?.['Content-Type'], 'text/plain; charset=utf-8');
    const lines = result.body.split('\n');
    assert.deepEqual(lines.slice(0, 4), ['---', 'title: "paging paged"', '---', 'flowchart TD']);
    assert.ok(
      lines.some((line) => /^ {2}n0\["first<br\/>HTTP<br\/>1 attempt · \d+ ms"\]$/.test(line)),
      result.body,
    );
    assert.ok(lines.includes('  n0 --> n1') && lines.includes('  n1 --> n2'), result.body);
    assert.ok(lines.includes('  class n0,n1,n2 succeeded'), result.body);
  });

  test('?format=mermaid colours each step by its own status: succeeded, fallback, failed, pending', async () => {
    const mixedGraph: WorkflowGraph = {
      workflow: 'mixed',
      steps: ['first', 'second', 'third', 'fourth'].map((name, i, all) => ({
        name,
        dependsOn: i === 0 ? [] : [all[i - 1]!],
        fallback: name === 'second',
        honorRetryAfter: false,
        http: false,
      })),
    };
    const handler = createGetExecutionHandler({
      store: table.store,
      sfn,
      workflowName: 'mixed',
      graph: mixedGraph,
      stepNames: ['first', 'second', 'third', 'fourth'],
    });
    const result = await handler(getEvent('mixed', { query: { format: 'mermaid' } }));
    assert.equal(result.statusCode, 200);
    const lines = result.body.split('\n');
    for (const expected of [
      '  class n0 succeeded',
      '  class n1 fallback',
      '  class n2 failed',
      '  class n3 pending',
    ]) {
      assert.ok(lines.includes(expected), `${expected} missing from\n${result.body}`);
    }
    assert.doesNotMatch(result.body, /GET \/orders/, 'the Mermaid text carries no error causes');
  });

  test('without the graph (left out of a crowded environment) the steps are drawn without edges', async () => {
    const handler = createGetExecutionHandler({ store: table.store, sfn, workflowName: 'paging' });
    const result = await handler(withFormat('mermaid'));
    assert.equal(result.statusCode, 200);
    assert.match(result.body, /n2\["third<br\/>1 attempt/);
    assert.doesNotMatch(result.body, /-->/);
  });

  test('an unknown format is a 400 naming the valid ones; json is the default', async () => {
    const handler = createGetExecutionHandler({ store: table.store, sfn });
    const bad = await handler(withFormat('svg'));
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(JSON.parse(bad.body).errors, [
      { field: 'query format', problem: 'must be one of json, mermaid' },
    ]);
    const json = await handler(withFormat('json'));
    assert.equal(JSON.parse(json.body).correlation_id, 'paged');
  });

  test('the status function reads the graph the stack writes, and names a malformed one', () => {
    const env = {
      [ENV.tableName]: 't',
      [ENV.workflowName]: 'paging',
      [ENV.workflowGraph]: serializeWorkflowGraph(graph),
    };
    assert.deepEqual(readStatusConfig(env).graph, graph);
    assert.equal(readStatusConfig({ [ENV.tableName]: 't' }).graph, undefined);
    assert.throws(
      () => readStatusConfig({ ...env, [ENV.workflowGraph]: '{' }),
      new RegExp(`^Error: ${ENV.workflowGraph} is invalid: workflow graph is not JSON$`),
    );
  });
});
