import assert from 'node:assert/strict';
import { test } from 'node:test';

test('runs on Node 24 or later (the node@24 devDependency is first on PATH)', () => {
  const major = Number(process.versions.node.split('.')[0]);
  assert.ok(major >= 24, `expected Node >= 24, got ${process.versions.node}`);
});
