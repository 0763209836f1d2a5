import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runtimeInfoPath } from '../../local/cli/local-target.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Starts `node local/start.ts` (what `npm start` runs) with the Node 24 running this test. */
function startScript(args: string[]): {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['local/start.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const exit = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
  return { child, output: () => output, exit };
}

describe('npm start', () => {
  test('--once runs the demo registration live and exits 0', async () => {
    const run = startScript(['--once', '--port', '0']);
    const code = await run.exit;
    const output = run.output();
    assert.equal(code, 0, output);
    assert.match(output, /Ready in [\d.]+ (ms|s):/);
    assert.match(output, /API +http:\/\/127\.0\.0\.1:\d+/);
    assert.match(output, /Step Functions +http:\/\/127\.0\.0\.1:\d+/);
    assert.match(output, /DynamoDB +http:\/\/127\.0\.0\.1:\d+/);
    assert.match(output, /billing service +http:\/\/127\.0\.0\.1:\d+/);
    assert.match(output, /POST \/registrations -> 202 correlation_id=exec_\d+_[0-9a-f]{8}/);
    assert.match(output, /▶ create_user_account +attempt 1 +started/);
    assert.match(output, /✔ update_user_status +attempt 1 +.* succeeded/);
    assert.match(output, /SUCCEEDED in /);
    assert.match(output, /correlation ID: exec_\d+_[0-9a-f]{8}/);
  });

  test('--no-demo serves until SIGINT, then shuts down cleanly and removes its runtime file', async () => {
    const run = startScript(['--no-demo', '--port', '0']);
    // Bounded wait for the curl examples, which are printed once serving.
    for (let i = 0; i < 1200 && !run.output().includes('Serving until Ctrl-C'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const apiUrl = /API +(http:\/\/127\.0\.0\.1:\d+)/.exec(run.output())?.[1];
    assert.ok(apiUrl, run.output());
    assert.match(run.output(), /curl -si -X POST http:\/\/127\.0\.0\.1:\d+\/registrations/);
    assert.doesNotMatch(run.output(), /Demo registration/);
    const res = await fetch(`${apiUrl}/registrations/nobody`);
    assert.equal(res.status, 404);
    assert.ok(existsSync(runtimeInfoPath(apiUrl)));
    run.child.kill('SIGINT');
    assert.equal(await run.exit, 0, run.output());
    assert.match(run.output(), /Shutting down/);
    assert.equal(existsSync(runtimeInfoPath(apiUrl)), false);
  });
});
