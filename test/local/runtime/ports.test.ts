import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { assertPortsFree, PortInUseError } from '../../../local/runtime/ports.ts';

async function occupy(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('a taken port is reported with what needs it and the flag that moves it; 0 is never checked', async () => {
  const busy = await occupy();
  const other = await occupy();
  try {
    await assert.rejects(
      assertPortsFree(
        [
          { name: 'local API', port: busy.port, flag: '--port' },
          { name: 'DynamoDB (dynalite)', port: 0, flag: '--dynamodb-port' },
          { name: 'Step Functions endpoint', port: other.port },
        ],
        '127.0.0.1',
      ),
      (error: unknown) => {
        assert.ok(error instanceof PortInUseError);
        assert.deepEqual(
          error.claims.map((claim) => claim.port),
          [busy.port, other.port],
        );
        assert.equal(
          error.message,
          `port ${busy.port} (local API) on 127.0.0.1 is in use: pass --port N for another port (0 = any free port)\n` +
            `port ${other.port} (Step Functions endpoint) on 127.0.0.1 is in use`,
        );
        return true;
      },
    );
  } finally {
    await busy.close();
    await other.close();
  }
  await assertPortsFree([{ name: 'local API', port: busy.port }], '127.0.0.1');
});

test('two parts given the same port are refused by name', async () => {
  await assert.rejects(
    assertPortsFree(
      [
        { name: 'local API', port: 4555 },
        { name: 'DynamoDB (dynalite)', port: 4555 },
      ],
      '127.0.0.1',
    ),
    /local API and DynamoDB \(dynalite\) are both given port 4555/,
  );
});
