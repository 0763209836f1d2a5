import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type SandboxReply, startSandbox } from '../../../local/runtime/sandbox.ts';
import { localFunctionArn } from '../../../local/runtime/template.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** A sandbox of the writes-output fixture, and the bytes its worker sent to the main thread. */
async function writesOutput(onLog?: (line: string) => void) {
  const received: string[] = [];
  const sandbox = startSandbox({
    fn: {
      logicalId: 'WritesOutputFn',
      functionName: 'WritesOutputFn',
      arn: localFunctionArn('WritesOutputFn'),
      modulePath: join(ROOT, 'test/local/runtime/fixtures/writes-output.ts'),
      handler: 'handler',
      env: {},
      timeoutSeconds: 5,
      memoryMb: 128,
    },
    env: {},
    initTimeoutMs: 30_000,
    compileCacheDir: '',
    sdkRoot: ROOT,
    onGone: () => undefined,
    ...(onLog ? { onLog } : {}),
  });
  for (const stream of [sandbox.worker.stdout, sandbox.worker.stderr])
    stream.on('data', (chunk: string | Buffer) => received.push(String(chunk)));
  assert.equal(await sandbox.ready, undefined);
  const reply = await new Promise<SandboxReply>((resolve) => {
    sandbox.pending = resolve;
    sandbox.worker.postMessage({
      id: 1,
      requestId: 'r1',
      deadline: Date.now() + 5000,
      event: { text: 'a log line' },
    });
  });
  // Output crosses threads asynchronously: give it time to arrive before counting it.
  await new Promise((resolve) => setTimeout(resolve, 200));
  sandbox.kill();
  return { reply, received: received.join('') };
}

test('a sandbox nobody reads the logs of drops its output in the worker, callbacks and all', async () => {
  const { reply, received } = await writesOutput();
  assert.deepEqual(reply, { type: 'result', id: 1, ok: true, body: '{"wrote":"a log line","drained":true}' });
  assert.equal(received, '');
});

test('a sandbox with a log sink hands it every line written to stdout and stderr', async () => {
  const lines: string[] = [];
  const { reply, received } = await writesOutput((line) => lines.push(line));
  assert.equal(reply.type === 'result' && reply.ok, true);
  assert.deepEqual(lines.sort(), ['a log line', 'a log line', 'a log line', 'a log line']);
  assert.equal(received, 'a log line\n'.repeat(4));
});
