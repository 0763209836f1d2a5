import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ALL_TESTS,
  isolatedFiles,
  NEEDS_OWN_PROCESS,
  OWN_PROCESS,
  REPO_ROOT,
  SHARED_RUNTIME_FILES,
  sharedFiles,
} from './tiers.ts';

test('no file run in the shared process does what needs a process of its own', () => {
  const shared = sharedFiles();
  assert.ok(shared.length >= 50, `only ${shared.length} shared files: is a tier's glob wrong?`);
  const unsafe = shared.flatMap((file) => {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    return NEEDS_OWN_PROCESS.filter(([pattern]) => pattern.test(text)).map(([, why]) => `${file}: ${why}`);
  });
  assert.deepEqual(unsafe, [], 'list these in OWN_PROCESS (test/tiers.ts)');
});

test('every test file runs exactly once, and every OWN_PROCESS entry names a test file', () => {
  const shared = sharedFiles();
  const isolated = isolatedFiles();
  const runs = [...shared, ...SHARED_RUNTIME_FILES, ...isolated];
  const all = globSync(ALL_TESTS, { cwd: REPO_ROOT }).sort();
  assert.deepEqual([...runs].sort(), all, 'each test file in exactly one of the three runs');
  assert.deepEqual(
    shared.filter((file) => isolated.includes(file)),
    [],
  );
  for (const file of Object.keys(OWN_PROCESS))
    assert.ok(isolated.includes(file), `${file} is not a test file`);
  assert.ok(isolated.includes('test/tiers.test.ts'));
  assert.ok(isolated.includes('test/e2e/walkthrough.test.ts'));
});
