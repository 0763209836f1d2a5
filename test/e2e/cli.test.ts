import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { removeRuntimeInfo, writeRuntimeInfo } from '../../local/cli/local-target.ts';
import { main } from '../../local/cli/registration.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime/index.ts';

/** Runs the CLI in-process with captured (non-TTY) output. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliOn(false, ...args);
}

/** Runs the CLI in-process; `tty` makes stdout claim to be a terminal. */
async function cliOn(
  tty: boolean,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = Object.assign(new PassThrough(), { isTTY: tty });
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  err.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await main(args, out, err);
  return { code, stdout, stderr };
}

describe('npm run registration against the local runtime', () => {
  let runtime: LocalRuntime;

  before(async () => {
    runtime = await startLocalRuntime({ apiPort: 0, timeScale: 50 });
    // What `npm start` publishes, so `list` and `faults` can find the runtime's other parts.
    writeRuntimeInfo(runtime);
  });
  after(async () => {
    removeRuntimeInfo(runtime.apiUrl);
    await runtime.close();
  });

  test('start --watch prints the 202 and one plain line per step start and end when piped', async () => {
    const result = await cli(
      'start',
      '--api',
      runtime.apiUrl,
      '--email',
      'cli@example.com',
      '--name',
      'Cli User',
      '--plan',
      'pro',
      '--watch',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /"correlation_id": "exec_\d+_[0-9a-f]{8}"/);
    for (const step of [
      'create_user_account',
      'setup_billing_profile',
      'initialize_preferences',
      'send_welcome_sequence',
      'update_user_status',
    ]) {
      assert.match(result.stdout, new RegExp(`▶ ${step} +attempt 1 +started`));
      assert.match(result.stdout, new RegExp(`✔ ${step} +attempt 1 +.*succeeded`));
    }
    assert.match(result.stdout, /^SUCCEEDED in /m);
    assert.ok(!result.stdout.includes('\u001b['), 'no ANSI escapes when piped');
  });

  test('start --file with an idempotency key, then status --no-follow and list', async () => {
    const file = join(tmpdir(), `cli-body-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ user_info: { email: 'file@example.com', name: 'File User' } }));
    const started = await cli(
      'start',
      '--api',
      runtime.apiUrl,
      '--file',
      file,
      '--idempotency-key',
      'cli-key-1',
      '--correlation-id',
      'cli-file-1',
    );
    assert.equal(started.code, 0, started.stderr);
    const again = await cli(
      'start',
      '--api',
      runtime.apiUrl,
      '--file',
      file,
      '--idempotency-key',
      'cli-key-1',
      '--correlation-id',
      'cli-file-1',
    );
    assert.equal(again.stdout, started.stdout, 'the same key and body replay the same answer');
    const followed = await cli('status', 'cli-file-1', '--api', runtime.apiUrl);
    assert.equal(followed.code, 0, followed.stdout);
    const snapshot = await cli('status', 'cli-file-1', '--api', runtime.apiUrl, '--no-follow');
    assert.match(snapshot.stdout, /cli-file-1 {2}SUCCEEDED/);
    assert.match(snapshot.stdout, /console: https:\/\/us-east-1\.console\.aws\.amazon\.com\/states\//);
    const list = await cli('list', '--api', runtime.apiUrl, '--status', 'SUCCEEDED');
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /cli-file-1 +SUCCEEDED/);
  });

  test('status on a terminal redraws one line per step in place with ANSI escapes', async () => {
    runtime.simulators.faults.set('notification', 'POST /notifications/welcome', {
      kind: 'latency',
      ms: 300,
      times: 1,
    });
    const started = await cli('start', '--api', runtime.apiUrl, '--email', 'tty@example.com', '--name', 'T');
    const id = (JSON.parse(started.stdout) as { correlation_id: string }).correlation_id;
    const live = await cliOn(true, 'status', id, '--api', runtime.apiUrl);
    assert.equal(live.code, 0, live.stderr);
    const ESC = String.fromCharCode(27);
    assert.match(live.stdout, new RegExp(`${ESC}\\[\\d+A`), 'moves the cursor up to redraw');
    assert.ok(live.stdout.includes(`${ESC}[2K  ✔ update_user_status`), 'clears and rewrites each step line');
  });

  test('faults set/show/clear change the simulators, and a failed registration exits 1', async () => {
    const set = await cli(
      'faults',
      'set',
      'billing',
      'POST /profiles',
      '--status',
      '422',
      '--api',
      runtime.apiUrl,
    );
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /billing +POST \/profiles +\{"kind":"status","status":422\}/);
    const failed = await cli(
      'start',
      '--api',
      runtime.apiUrl,
      '--email',
      'fault@example.com',
      '--name',
      'F',
      '--plan',
      'pro',
      '--watch',
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /✖ setup_billing_profile +attempt 1 .*failed: PermanentError/);
    assert.match(failed.stdout, /FAILED in .* \(failed steps: setup_billing_profile\)/);
    const cleared = await cli('faults', 'clear', '--api', runtime.apiUrl);
    assert.match(cleared.stdout, /No faults active\./);
    assert.equal((await cli('faults', 'show', '--api', runtime.apiUrl)).stdout.trim(), 'No faults active.');
  });

  test('an invalid request lists each invalid field; a bad command line exits 2 with usage', async () => {
    const invalid = await cli(
      'start',
      '--api',
      runtime.apiUrl,
      '--email',
      'nope',
      '--name',
      'N',
      '--plan',
      'gold',
    );
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /HTTP 400: Request body is invalid: 2 problem\(s\)/);
    assert.match(invalid.stderr, /\/user_info\/email: must match format "email"/);
    assert.match(invalid.stderr, /\/user_info\/plan: must be one of: free, pro, enterprise/);
    const unknown = await cli('status', 'nobody-here', '--api', runtime.apiUrl);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /HTTP 404: No execution with correlation ID 'nobody-here'/);
    const usage = await cli('start', '--api', runtime.apiUrl, '--bogus');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /Unknown option '--bogus'/);
  });
});
