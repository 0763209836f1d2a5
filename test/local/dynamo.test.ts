import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { createWorkflowTable, LOCAL_AWS_CLIENT_CONFIG, startDynalite } from '../../local/dynamo.ts';

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

test('a port already taken fails the start with the listen’s EADDRINUSE error', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as AddressInfo;
  try {
    await assert.rejects(startDynalite({ port }), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'EADDRINUSE');
      assert.equal(error.message, `listen EADDRINUSE: address already in use 127.0.0.1:${port}`);
      return true;
    });
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
});

test('an on-disk store keeps tables and items across a restart', async () => {
  const path = mkdtempSync(join(tmpdir(), 'stepflow-dynamo-'));
  const Key = { pk: { S: 'kept' }, sk: { S: 'item' } };
  try {
    const first = await startDynalite({ path });
    try {
      await createWorkflowTable(first.client, 'disk-table');
      await first.client.send(
        new PutItemCommand({ TableName: 'disk-table', Item: { ...Key, v: { N: '7' } } }),
      );
    } finally {
      await first.close();
    }
    const second = await startDynalite({ path });
    try {
      await createWorkflowTable(second.client, 'disk-table');
      const { Item } = await second.client.send(
        new GetItemCommand({ TableName: 'disk-table', Key, ConsistentRead: true }),
      );
      assert.deepEqual(Item, { ...Key, v: { N: '7' } });
    } finally {
      await second.close();
    }
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
});

test('close lets the requests already received finish against the store', async () => {
  const dynamo = await startDynalite();
  await createWorkflowTable(dynamo.client, 'drain-table');
  const port = Number(new URL(dynamo.endpoint).port);
  let received = 0;
  const onRequest = (message: unknown): void => {
    if ((message as { request: IncomingMessage }).request.socket.localPort === port) received += 1;
  };
  // A client of its own, as the Lambdas have: close() destroys the one it returned.
  const client = new DynamoDBClient({
    ...LOCAL_AWS_CLIENT_CONFIG,
    endpoint: dynamo.endpoint,
    maxAttempts: 1,
  });
  subscribe('http.server.request.start', onRequest);
  try {
    const writes = 40;
    const puts = Array.from({ length: writes }, (_, i) =>
      client.send(
        new PutItemCommand({ TableName: 'drain-table', Item: { pk: { S: `p${i}` }, sk: { S: 's' } } }),
      ),
    );
    // Every request has reached the server before close starts; none may be cut off by the
    // store closing under it.
    while (received < writes) await new Promise((resolve) => setTimeout(resolve, 1));
    const closing = dynamo.close();
    const settled = await Promise.allSettled(puts);
    await closing;
    assert.deepEqual(
      settled.filter((s) => s.status === 'rejected').map((s) => String(s.reason)),
      [],
    );
  } finally {
    unsubscribe('http.server.request.start', onRequest);
    client.destroy();
    await dynamo.close();
  }
});
