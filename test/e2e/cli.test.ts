import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { removeRuntimeInfo, writeRuntimeInfo } from '../../local/cli/local-target.ts';
import { main } from '../../local/cli/stepflow.ts';
import type { LocalRuntime } from '../../local/runtime/index.ts';
import { simulatorsOf } from '../../local/simulators/user_registration/index.ts';
import { sharedRuntime } from './shared-runtime.ts';
import { runProcess, STEPFLOW_BIN } from './support.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the CLI in-process; `tty` makes stdout claim to be a terminal. */
async function cliOn(
  tty: boolean,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty });
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const code = await main(args, { stdout, stderr });
  return { code, stdout: out, stderr: err };
}

/** Runs the CLI in-process with captured (non-TTY) output. */
const cli = (...args: string[]) => cliOn(false, ...args);

const ada = JSON.stringify({ user_info: { email: 'cli@example.com', name: 'Cli User', plan: 'pro' } });

describe('npx stepflow against a local runtime serving two workflows', () => {
  let runtime: LocalRuntime;
  let api: string;
  const scratch = mkdtempSync(join(tmpdir(), 'stepflow-cli-'));

  before(async () => {
    runtime = await sharedRuntime([
      'config/user_registration.yaml',
      'test/fixtures/workflows/console/n-shape/n_shape.yaml',
    ]);
    api = runtime.apiUrl;
    // What `npm start` publishes, so the CLI (another process in real use) finds the workflows.
    writeRuntimeInfo(runtime);
  });
  after(() => {
    removeRuntimeInfo(runtime.apiUrl);
    rmSync(scratch, { recursive: true, force: true });
  });

  test('start --watch prints the 202 and one plain line per step start and end when piped', async () => {
    const result = await cli(
      'start',
      '--workflow',
      'user_registration',
      '--input',
      ada,
      '--watch',
      '--api',
      api,
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

  test('global flags work in any position; start --file with a key replays; status and list find the workflow', async () => {
    const file = join(scratch, 'body.json');
    writeFileSync(file, JSON.stringify({ user_info: { email: 'file@example.com', name: 'File User' } }));
    const args = ['--file', file, '--idempotency-key', 'cli-key-1', '--correlation-id', 'cli-file-1'];
    const started = await cli('--api', api, 'start', '--workflow', 'user_registration', ...args);
    assert.equal(started.code, 0, started.stderr);
    const again = await cli('start', `--api=${api}`, ...args, '--workflow', 'user_registration');
    assert.equal(again.stdout, started.stdout, 'the same key and body replay the same answer');
    // No --workflow: the ID is found in one workflow only.
    const followed = await cli('status', 'cli-file-1', '--api', api);
    assert.equal(followed.code, 0, followed.stderr);
    const snapshot = await cli('status', '--no-follow', '--api', api, 'cli-file-1');
    assert.match(snapshot.stdout, /cli-file-1 {2}SUCCEEDED/);
    assert.match(snapshot.stdout, /console: https:\/\/us-east-1\.console\.aws\.amazon\.com\/states\//);
    const list = await cli('list', '--status', 'succeeded', '--api', api);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^user_registration +cli-file-1 +SUCCEEDED/m);
    const shape = await cli(
      'start',
      '--workflow',
      'n_shape',
      '--input',
      '{"delay_ms":0}',
      '--correlation-id',
      'cli-n-1',
      '--watch',
      '--api',
      api,
    );
    assert.equal(shape.code, 0, shape.stderr);
    const onlyShape = await cli('list', '--workflow', 'n_shape', '--api', api);
    assert.match(onlyShape.stdout, /^n_shape +cli-n-1 +SUCCEEDED/m);
    assert.doesNotMatch(onlyShape.stdout, /user_registration/);
  });

  test('--workflow is required when ambiguous, and the choices are listed', async () => {
    const start = await cli('start', '--input', ada, '--api', api);
    assert.equal(start.code, 2);
    assert.match(
      start.stderr,
      /serves several workflows: pass --workflow \(one of n_shape, user_registration\)/,
    );
    const unknown = await cli('start', '--workflow', 'orders', '--input', '{}', '--api', api);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /no workflow 'orders' on the local runtime at http:\/\/127\.0\.0\.1:\d+ \(workflows: n_shape, user_registration\)/,
    );
    const nowhere = await cli('status', 'nobody-here', '--api', api);
    assert.equal(nowhere.code, 1);
    assert.match(
      nowhere.stderr,
      /No execution with correlation ID 'nobody-here' in any workflow \(n_shape, user_registration\)/,
    );
  });

  test('status on a terminal redraws one line per step in place with ANSI escapes', async () => {
    simulatorsOf(runtime).faults.set('notification', 'POST /notifications/welcome', {
      kind: 'latency',
      ms: 300,
      times: 1,
    });
    const started = await cli(
      'start',
      '--workflow',
      'user_registration',
      '--input',
      '{"user_info":{"email":"tty@example.com","name":"T"}}',
      '--api',
      api,
    );
    const id = (JSON.parse(started.stdout) as { correlation_id: string }).correlation_id;
    const live = await cliOn(true, 'status', id, '--workflow', 'user_registration', '--api', api);
    assert.equal(live.code, 0, live.stderr);
    const ESC = String.fromCharCode(27);
    assert.match(live.stdout, new RegExp(`${ESC}\\[\\d+A`), 'moves the cursor up to redraw');
    assert.ok(live.stdout.includes(`${ESC}[2K  ✔ update_user_status`), 'clears and rewrites each step line');
  });

  test('faults set/show/clear change the only workflow with services, and a failed execution exits 1', async () => {
    const services = await cli('faults', 'services', '--api', api);
    assert.equal(services.code, 0, services.stderr);
    assert.match(services.stdout, /^billing\n {2}POST \/profiles$/m);
    const set = await cli('faults', 'set', 'billing', 'POST /profiles', '--status', '422', '--api', api);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /billing +POST \/profiles +\{"kind":"status","status":422\}/);
    const failed = await cli(
      'start',
      '--workflow',
      'user_registration',
      '--input',
      '{"user_info":{"email":"fault@example.com","name":"F","plan":"pro"}}',
      '--watch',
      '--api',
      api,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /✖ setup_billing_profile +attempt 1 .*failed: PermanentError/);
    assert.match(
      failed.stdout,
      /FAILED(, (compensated|held for redrive))? in .* \(failed steps: setup_billing_profile\)/,
    );
    const cleared = await cli('faults', 'clear', '--workflow', 'user_registration', '--api', api);
    assert.match(cleared.stdout, /No faults active\./);
    assert.equal((await cli('faults', 'show', '--api', api)).stdout.trim(), 'No faults active.');
    const wrongRoute = await cli('faults', 'set', 'billing', 'POST /nothing', '--drop', '--api', api);
    assert.equal(wrongRoute.code, 2);
    assert.match(
      wrongRoute.stderr,
      /service 'billing' has no route 'POST \/nothing' \(routes: POST \/profiles, .*or \*\)/,
    );
    const noService = await cli('faults', 'set', 'payments', '--drop', '--api', api);
    assert.equal(noService.code, 2);
    assert.match(
      noService.stderr,
      /no workflow has a service 'payments' offline \(workflows with services: user_registration\)/,
    );
  });

  test('an invalid request lists each invalid field; bad command lines exit 2 naming the fix', async () => {
    const invalid = await cli(
      'start',
      '--workflow',
      'user_registration',
      '--input',
      '{"user_info":{"email":"nope","name":"N","plan":"gold"}}',
      '--api',
      api,
    );
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /HTTP 400: Request body is invalid: 2 problem\(s\)/);
    assert.match(invalid.stderr, /\/user_info\/email: must match format "email"/);
    assert.match(invalid.stderr, /\/user_info\/plan: must be one of: free, pro, enterprise/);
    const bogus = await cli('start', '--api', api, '--bogus');
    assert.equal(bogus.code, 2);
    assert.match(bogus.stderr, /Unknown option '--bogus'/);
    const status = await cli('list', '--status', 'DONE', '--api', api);
    assert.equal(status.code, 2);
    assert.match(
      status.stderr,
      /--status must be one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE, got 'DONE'/,
    );
    const both = await cli(
      'start',
      '--workflow',
      'n_shape',
      '--input',
      '{}',
      '--file',
      'x.json',
      '--api',
      api,
    );
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give exactly one of --file body\.json and --input JSON/);
    const unknownCommand = await cli('registr');
    assert.equal(unknownCommand.code, 2);
    assert.match(
      unknownCommand.stderr,
      /Unknown command 'registr' \(commands: start, status, list, faults, asl, chaos/,
    );
    const noRuntime = await cli('status', 'x', '--api', 'http://127.0.0.1:9');
    assert.equal(noRuntime.code, 1);
    assert.match(
      noRuntime.stderr,
      /No local runtime found for http:\/\/127\.0\.0\.1:9 .*start one with `npm start`/,
    );
  });
});

describe('the stepflow bin', () => {
  /** Runs `npx stepflow ...` the way a user does, in a shell pipeline when given. */
  const shell = (command: string) =>
    runProcess('bash', ['-o', 'pipefail', '-c', command], { cwd: ROOT, timeoutMs: 60_000 });

  test("package.json's bin is the file the other tests run as the CLI", () => {
    const { bin } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    assert.equal(join(ROOT, bin.stepflow ?? ''), STEPFLOW_BIN);
  });

  test('npx stepflow --help prints the commands on Node 24', async () => {
    const result = await shell('npx stepflow --help');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: npx stepflow <command>/);
    for (const command of ['start', 'status', 'list', 'faults', 'asl', 'chaos'])
      assert.match(result.stdout, new RegExp(`^ {2}${command} `, 'm'));
  });

  test('piping into head prints no stack trace (EPIPE)', async () => {
    // A definition far larger than a pipe's buffer, so writes go on after head has exited.
    const dir = mkdtempSync(join(tmpdir(), 'stepflow-epipe-'));
    try {
      const steps = Array.from({ length: 400 }, (_, i) =>
        [
          `  - name: s${i}`,
          '    handler: test/fixtures/lambdas/echo-env.ts',
          ...(i > 0 ? [`    depends_on_step: s${i - 1}`] : []),
        ].join('\n'),
      );
      writeFileSync(join(dir, 'long.yaml'), `name: long\nstep_templates:\n${steps.join('\n')}\n`);
      const result = await shell(`npx stepflow asl ${join(dir, 'long.yaml')} | head -n 1`);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, '{\n');
      assert.doesNotMatch(result.stderr, /EPIPE|^\s+at /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('asl reports a broken file as file:line and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepflow-asl-'));
    try {
      writeFileSync(join(dir, 'broken.yaml'), 'name: broken\nstep_templates: []\n');
      const result = await cli('asl', join(dir, 'broken.yaml'));
      assert.equal(result.code, 1);
      assert.match(result.stderr, /broken\.yaml:2: /);
      assert.doesNotMatch(result.stderr, /^\s+at /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
