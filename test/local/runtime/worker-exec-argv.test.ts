import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { workerExecArgv } from '../../../local/runtime/sandbox.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;

describe('sandboxes and the parent process options', () => {
  test("drop the options that name the parent's own entry, its debugger or its young generation, keep the rest", () => {
    assert.deepEqual(
      workerExecArgv([
        '--input-type=module',
        '--enable-source-maps',
        '-e',
        'code()',
        '--inspect=9230',
        '--conditions',
        'development',
        '--print',
        '--max-old-space-size=512',
        '--max-semi-space-size=16',
      ]),
      ['--enable-source-maps', '--conditions', 'development', '--max-old-space-size=512'],
    );
  });

  test('a runtime started from `node --input-type=module -e` runs its functions', () => {
    const script = `
      import { createLambdaAdapter } from './local/runtime/lambda-adapter.ts';
      import { localFunctionArn } from './local/runtime/template.ts';
      const adapter = createLambdaAdapter({ compileCacheDir: '', functions: [{ logicalId: 'F', functionName: 'F',
        arn: localFunctionArn('F'), modulePath: './test/local/runtime/fixtures/echo.ts', handler: 'handler',
        env: {}, timeoutSeconds: 10, memoryMb: 128 }] });
      const outcome = await adapter.invokeRaw('F', { n: 7 });
      process.stdout.write(JSON.stringify(outcome.ok ? outcome.result : outcome.error));
      await adapter.close();`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.deepEqual(JSON.parse(out), {
      event: { n: 7 },
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:F',
      functionVersion: '$LATEST',
    });
  });
});

/**
 * The fixture's young generation, measured inside a worker, in a process started as `npm start`
 * starts its own (`--max-semi-space-size=16`): a sandbox of the adapter, or a plain Worker with the
 * same 2 MB cap started while the flag is still set.
 */
function newSpaceMb(worker: 'sandbox' | 'plain'): number {
  const fixture = new URL('fixtures/young-generation.ts', import.meta.url).href;
  const script =
    worker === 'sandbox'
      ? `
    import { createLambdaAdapter } from './local/runtime/lambda-adapter.ts';
    import { localFunctionArn } from './local/runtime/template.ts';
    const adapter = createLambdaAdapter({ compileCacheDir: '', functions: [{ logicalId: 'F', functionName: 'F',
      arn: localFunctionArn('F'), modulePath: './test/local/runtime/fixtures/young-generation.ts', handler: 'handler',
      env: {}, timeoutSeconds: 30, memoryMb: 128 }] });
    const outcome = await adapter.invokeRaw('F', {});
    process.stdout.write(JSON.stringify(outcome.ok ? outcome.result : outcome.error));
    await adapter.close();`
      : `
    import { Worker } from 'node:worker_threads';
    const code = ${JSON.stringify(
      `Promise.all([import('node:worker_threads'), import(${JSON.stringify(fixture)})]).then(async ([threads, fixture]) => threads.parentPort.postMessage(await fixture.handler()))`,
    )};
    const worker = new Worker(code, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 2 } });
    worker.once('message', async (result) => { process.stdout.write(JSON.stringify(result)); await worker.terminate(); });`;
  const out = execFileSync(
    process.execPath,
    ['--max-semi-space-size=16', '--input-type=module', '-e', script],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  const result = JSON.parse(out) as { newSpaceMb?: number };
  assert.equal(typeof result.newSpaceMb, 'number', out);
  return result.newSpaceMb!;
}

describe("the main thread's young-generation flag and the sandboxes", () => {
  test('a sandbox keeps its own cap under a process started with --max-semi-space-size=16', () => {
    const released = newSpaceMb('sandbox');
    const inherited = newSpaceMb('plain');
    // The adapter caps a sandbox's young generation at a few MB; the flag, left set, gives a
    // worker 16 MB semi-spaces (32 MB of new space) whatever its resourceLimits say.
    assert.ok(released <= 8, `released: a sandbox's new space grew to ${released} MB`);
    assert.ok(inherited >= 16, `not released: ${inherited} MB (the flag no longer overrides the cap?)`);
  });
});
