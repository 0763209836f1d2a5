import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createLambdaAdapter } from '../../../local/runtime/lambda-adapter.ts';
import { type LocalFunction, localFunctionArn } from '../../../local/runtime/template.ts';

// A TypeScript handler that reports whether its sandbox loaded Node's type stripper (amaro).
const HANDLER = `
type Answer = { readonly stripperLoaded: boolean };
export const handler = async (): Promise<Answer> => ({
  stripperLoaded: process.moduleLoadList.some((name) => name.includes('amaro')),
});
`;

describe('sandboxes and the compile cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stepflow-lean-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'report-stripper.ts'), HANDLER);
  const fn: LocalFunction = {
    logicalId: 'StripperFn',
    functionName: 'StripperFn',
    arn: localFunctionArn('StripperFn'),
    modulePath: join(dir, 'report-stripper.ts'),
    handler: 'handler',
    env: {},
    timeoutSeconds: 5,
    memoryMb: 128,
  };
  const run = async (compileCacheDir: string): Promise<unknown> => {
    const adapter = createLambdaAdapter({ functions: [fn], compileCacheDir });
    try {
      return await adapter.invoke('StripperFn', {});
    } finally {
      await adapter.close();
    }
  };

  test('a sandbox started on a warm cache runs TypeScript without loading the type stripper', async () => {
    const cache = join(dir, 'cache');
    // The first sandbox strips (cache miss) and writes the cache once its handler has loaded.
    assert.deepEqual(await run(cache), { stripperLoaded: true });
    assert.deepEqual(await run(cache), { stripperLoaded: false });
  });

  test('without a cache every sandbox loads the type stripper', async () => {
    assert.deepEqual(await run(''), { stripperLoaded: true });
  });
});
