import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describeExecution } from '../../../lambdas/api/get-execution.ts';
import { LOCAL_AWS_CLIENT_CONFIG } from '../../../local/dynamo.ts';
import { createExecutor } from '../../../local/runtime/executor.ts';
import { type SfnEndpoint, startSfnEndpoint } from '../../../local/runtime/sfn-endpoint.ts';
import { startTable } from './support.ts';

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
      invoke: async () => ({ ok: true }),
    });
    endpoint = await startSfnEndpoint({ executors: [executor] });
    sfn = new SFNClient({ ...LOCAL_AWS_CLIENT_CONFIG, endpoint: endpoint.url });
    await sfn.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'paged', input: '{}' }),
    );
    await endpoint.getExecution(executionArn)!.done;
    await table.store.putCorrelation(
      { correlationId: 'paged', executionArn, requestHash: 'h' },
      Math.floor(Date.now() / 1000) + 3600,
    );
  });
  after(async () => {
    sfn.destroy();
    await endpoint.close();
    await table.close();
  });

  const stepsWith = async (pages: { historyPageSize?: number; maxHistoryPages?: number }) => {
    const document = await describeExecution({ store: table.store, sfn, ...pages }, 'paged');
    return (document.steps as Array<{ name: string; status: string }>).map((s) => `${s.name}:${s.status}`);
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
});
