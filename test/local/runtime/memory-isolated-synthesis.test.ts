import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { REPO_ROOT } from '../../../infra/repo-root.ts';
import { loadModels } from '../../../local/runtime/load-models.ts';
import { loadModelsIsolated } from '../../../local/runtime/load-models-isolated.ts';

// Every module this thread resolves from here on.
const resolved: string[] = [];
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    resolved.push(result.url);
    return result;
  },
});

describe('synthesis in a worker thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stepflow-memory-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('returns every workflow model without loading aws-cdk-lib in this thread', async () => {
    const { loaded } = await loadModelsIsolated({ rootDir: REPO_ROOT });
    assert.ok(loaded.length >= 1);
    const flagship = loaded.find(({ spec }) => spec.name === 'user_registration');
    assert.ok(flagship, 'the flagship workflow is among the models');
    assert.ok(flagship.model.functions.length > 0);
    assert.equal(flagship.model.stateMachines.length, 1);
    assert.deepEqual(
      resolved.filter((url) => url.includes('/aws-cdk-lib/')),
      [],
    );
  });

  test('a broken workflow fails with the error loadModels throws in-process', async () => {
    writeFileSync(join(dir, 'broken.yaml'), 'name: broken\nsteps: 3\n');
    const inProcess = await loadModels({ rootDir: REPO_ROOT, configDir: dir }).then(
      () => assert.fail('loadModels accepted a broken workflow'),
      (error: unknown) => error as Error,
    );
    await assert.rejects(loadModelsIsolated({ rootDir: REPO_ROOT, configDir: dir }), (error: Error) => {
      assert.equal(error.constructor, inProcess.constructor);
      assert.equal(error.message, inProcess.message);
      assert.match(error.message, /broken\.yaml/);
      return true;
    });
  });
});
