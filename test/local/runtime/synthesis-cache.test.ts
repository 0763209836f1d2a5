import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { REPO_ROOT } from '../../../infra/repo-root.ts';
import type { LoadedWorkflow } from '../../../local/runtime/load-models.ts';
import { loadModelsIsolated } from '../../../local/runtime/load-models-isolated.ts';
import {
  readSynthesis,
  SYNTHESIS_CACHE_DIR,
  synthesisCacheEnabled,
  synthesisKey,
  writeSynthesis,
} from '../../../local/runtime/synthesis-cache.ts';

const FIXTURE = join(REPO_ROOT, 'test/fixtures/workflows/e2e/order_fulfillment/order_fulfillment.yaml');

describe('the synthesis cache', () => {
  const configDir = mkdtempSync(join(tmpdir(), 'stepflow-synthesis-cache-'));
  const workflowFile = join(configDir, 'order_fulfillment.yaml');
  copyFileSync(FIXTURE, workflowFile);
  const opts = { rootDir: REPO_ROOT, configDir, environment: 'development' };
  const keys = new Set<string>();
  const entry = (key: string): string => join(REPO_ROOT, SYNTHESIS_CACHE_DIR, `${key}.v8`);
  const keyNow = (): string => {
    const key = synthesisKey(opts);
    assert.ok(key);
    keys.add(key);
    return key;
  };
  const load = () => loadModelsIsolated(opts);
  after(() => {
    rmSync(configDir, { recursive: true, force: true });
    for (const key of keys) rmSync(entry(key), { force: true });
  });

  test('a second load with the same inputs is read from the cache, equal to the synthesis', async () => {
    const key = keyNow();
    rmSync(entry(key), { force: true });
    const first = await load();
    assert.equal(first.source, 'synthesized');
    assert.ok(existsSync(entry(key)), 'the synthesis was stored under its key');
    const second = await load();
    assert.equal(second.source, 'cached');
    assert.deepEqual(second.loaded, first.loaded);
    assert.equal(second.loaded[0]?.spec.name, 'order_fulfillment');
  });

  test('an edited workflow file is a new key, synthesized again, and its edit is what runs', async () => {
    const before = keyNow();
    writeFileSync(
      workflowFile,
      readFileSync(FIXTURE, 'utf8').replace('timeout_seconds: 300', 'timeout_seconds: 240'),
    );
    const after = keyNow();
    assert.notEqual(after, before);
    const edited = await load();
    assert.equal(edited.source, 'synthesized');
    assert.equal(edited.loaded[0]?.spec.timeoutSeconds, 240);
    copyFileSync(FIXTURE, workflowFile);
    assert.equal(keyNow(), before, 'the key is a function of the contents, not of the file times');
  });

  test('an unreadable entry is a miss', async () => {
    const key = keyNow();
    const stored = readSynthesis(REPO_ROOT, key) ?? (await load()).loaded;
    writeFileSync(entry(key), 'not a serialized synthesis');
    assert.equal(readSynthesis(REPO_ROOT, key), undefined);
    writeSynthesis(REPO_ROOT, key, stored);
    assert.deepEqual(readSynthesis(REPO_ROOT, key), stored);
  });

  test('an entry whose handler module is gone is a miss', async () => {
    const key = keyNow();
    const stored = readSynthesis(REPO_ROOT, key) ?? (await load()).loaded;
    const [first, ...rest] = stored;
    assert.ok(first);
    const gone: LoadedWorkflow = {
      ...first,
      model: {
        ...first.model,
        functions: first.model.functions.map((fn, index) =>
          index === 0 ? { ...fn, modulePath: join(configDir, 'deleted-handler.ts') } : fn,
        ),
      },
    };
    const probe = `${key}-probe`;
    keys.add(probe);
    writeSynthesis(REPO_ROOT, probe, [gone, ...rest]);
    assert.ok(existsSync(entry(probe)));
    assert.equal(readSynthesis(REPO_ROOT, probe), undefined);
    writeSynthesis(REPO_ROOT, probe, stored);
    assert.ok(readSynthesis(REPO_ROOT, probe));
  });

  test('a broken workflow is never stored: its diagnostics come from a synthesis each time', async () => {
    writeFileSync(workflowFile, 'name: order_fulfillment\nsteps: 3\n');
    const key = keyNow();
    await assert.rejects(load(), /order_fulfillment\.yaml/);
    assert.equal(existsSync(entry(key)), false);
    copyFileSync(FIXTURE, workflowFile);
  });

  test('the settings the app reads are part of the key; others are not', () => {
    const base = { PATH: '/usr/bin' };
    const key = synthesisKey(opts, base);
    assert.equal(synthesisKey(opts, { ...base, HOME: '/elsewhere' }), key);
    for (const setting of [
      'CDK_DEFAULT_REGION',
      'CDK_DEFAULT_ACCOUNT',
      'AWS_REGION',
      'WORKFLOW_CONFIG_DIR',
    ]) {
      assert.notEqual(
        synthesisKey({ rootDir: REPO_ROOT }, { ...base, [setting]: 'x' }),
        synthesisKey({ rootDir: REPO_ROOT }, base),
        setting,
      );
    }
    assert.notEqual(synthesisKey({ ...opts, environment: 'production' }, base), key);
    assert.equal(
      synthesisKey({ ...opts, bundled: true }, base),
      undefined,
      'a bundled run synthesizes nothing',
    );
    assert.equal(synthesisCacheEnabled({ STEPFLOW_SYNTHESIS_CACHE: 'off' }), false);
    assert.equal(synthesisCacheEnabled({}), true);
  });
});
