import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DescribeTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createWorkflowTable, startDynalite } from '../../local/dynamo.ts';

test('starts dynalite on loopback with the workflow table ready at once', async () => {
  const dynamo = await startDynalite();
  try {
    assert.match(dynamo.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    await createWorkflowTable(dynamo.client, 'workflow-table');
    const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: 'workflow-table' }));
    assert.equal(Table?.TableStatus, 'ACTIVE');
    assert.deepEqual(Table?.KeySchema, [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
  } finally {
    await dynamo.close();
  }
});

test('a failed conditional put carries no Item on dynalite (Powertools then reads the record)', async () => {
  const dynamo = await startDynalite();
  try {
    await createWorkflowTable(dynamo.client, 'workflow-table');
    const put = () =>
      dynamo.client.send(
        new PutItemCommand({
          TableName: 'workflow-table',
          Item: { pk: { S: 'a' }, sk: { S: 'b' } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    await put();
    await assert.rejects(put(), (error: Error & { Item?: unknown }) => {
      assert.equal(error.name, 'ConditionalCheckFailedException');
      assert.equal(error.Item, undefined);
      return true;
    });
    const read = await dynamo.client.send(
      new GetItemCommand({
        TableName: 'workflow-table',
        Key: { pk: { S: 'a' }, sk: { S: 'b' } },
        ConsistentRead: true,
      }),
    );
    assert.ok(read.Item);
  } finally {
    await dynamo.close();
  }
});
