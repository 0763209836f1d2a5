import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

test('the process exits after close() even while an execution waits on a slow service', () => {
  // The slow call and the step's Task timeout (30 s) and execution timeout (900 s) would all
  // outlive the bound below if any of their timers still held the event loop.
  const child = spawnSync(process.execPath, ['test/fixtures/runtime/close-mid-execution.ts'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(child.error, undefined, `child did not exit within 60 s: ${child.stdout}${child.stderr}`);
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout, /started 202\nclosed\n/);
});
