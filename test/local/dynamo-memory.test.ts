import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { createWorkflowTable, startDynalite } from '../../local/dynamo.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Bytes of ArrayBuffer memory the process holds after two full collections. */
function arrayBuffers(): number {
  gc();
  gc();
  return process.memoryUsage().arrayBuffers;
}

// dynalite's in-memory store once kept every key and value as a small Buffer: a slice of one of
// Node's shared 8 KB pool slabs, which it then pins whole (~4 KB of ArrayBuffer memory per item
// measured). Stored as strings (storeEncoding 'utf8', patches/dynalite+4.0.0.patch) an item costs
// no ArrayBuffer memory at all; the bound below leaves room for the HTTP and SDK buffers alive.
test('items kept in dynalite’s memory store hold no ArrayBuffer memory', async () => {
  const dynamo = await startDynalite();
  try {
    await createWorkflowTable(dynamo.client, 'memory-table');
    const items = 2000;
    const before = arrayBuffers();
    for (let batch = 0; batch < items / 25; batch++) {
      await dynamo.client.send(
        new BatchWriteItemCommand({
          RequestItems: {
            'memory-table': Array.from({ length: 25 }, (_, i) => ({
              PutRequest: {
                Item: {
                  pk: { S: `STEP#${batch}-${i}` },
                  sk: { S: `step_${i}` },
                  status: { S: 'COMPLETED' },
                  output: { S: JSON.stringify({ batch, i, note: 'x'.repeat(150) }) },
                  expires_at: { N: String(1_800_000_000 + batch) },
                },
              },
            })),
          },
        }),
      );
    }
    const perItem = (arrayBuffers() - before) / items;
    assert.ok(perItem < 512, `${Math.round(perItem)} bytes of ArrayBuffer memory per stored item`);
  } finally {
    await dynamo.close();
  }
});
