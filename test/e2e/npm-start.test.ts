import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runtimeInfoPath } from '../../local/cli/local-target.ts';
import { copyWorkflow } from './support.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Every fixed port on 0 (free ports): the default ports belong to the walkthrough test. */
const FREE_PORTS = ['--port', '0', '--sfn-port', '0', '--dynamodb-port', '0'];

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

const scratch = mkdtempSync(join(tmpdir(), 'npm-start-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A config folder with the flagship and the console's N-shape fixture (module steps, no services). */
function twoWorkflows(): string {
  const dir = mkdtempSync(join(scratch, 'config-'));
  copyWorkflow(join(ROOT, 'config', 'user_registration.yaml'), dir);
  copyWorkflow(join(ROOT, 'test/fixtures/workflows/console/n-shape/n_shape.yaml'), dir);
  return dir;
}

describe('npm start', () => {
  test('--once runs the demo of every workflow with examples live, prints every URL, exits 0', async () => {
    const run = startScript(['--once', ...FREE_PORTS, '--config-dir', twoWorkflows()]);
    const code = await run.exit;
    const output = run.output();
    assert.equal(code, 0, output);
    assert.match(
      output,
      /Ready in [\d.]+ (ms|s)( \(the synthesis reused: no input changed since the last one\))?:/,
    );
    const api = /Local API +(http:\/\/127\.0\.0\.1:\d+) +\(environment: development\)/.exec(output)?.[1];
    assert.ok(api, output);
    for (const resource of ['registrations', 'n_shape']) {
      assert.ok(output.includes(`POST ${api}/${resource}\n`), resource);
      assert.ok(output.includes(`GET  ${api}/${resource}/{correlation_id}\n`), resource);
    }
    assert.match(
      output,
      /services: user -> http:\/\/127\.0\.0\.1:\d+, billing -> http:\/\/127\.0\.0\.1:\d+, .*user_registration\.mocks\.yaml\)/,
    );
    assert.match(output, /services: no service calls/);
    assert.match(
      output,
      /Step Functions +http:\/\/127\.0\.0\.1:\d+\n {4}n_shape: arn:aws:states:\S+\n {4}user_registration: arn:aws:states:/,
    );
    assert.match(
      output,
      /DynamoDB +http:\/\/127\.0\.0\.1:\d+ +\(dynalite\)\n {4}n_shape: table NShapeWorkflow-\S+\n {4}user_registration: table UserRegistrationWorkflow-/,
    );
    assert.match(output, /POST \/registrations -> 202 correlation_id=exec_\d+_[0-9a-f]{8}/);
    assert.match(output, /POST \/n_shape -> 202 correlation_id=exec_\d+_[0-9a-f]{8}/);
    assert.match(output, /✔ update_user_status +attempt 1 +.* succeeded/);
    assert.match(output, /✔ d +attempt 1 +.* succeeded/);
    assert.equal(output.match(/^ {2}SUCCEEDED in /gm)?.length, 2, output);
  });

  test('--workflow W runs that demo only; an unknown or example-less workflow is refused by name', async () => {
    const dir = twoWorkflows();
    const bare = mkdtempSync(join(scratch, 'no-examples-'));
    copyWorkflow(join(ROOT, 'test/fixtures/workflows/console/n-shape/n_shape.yaml'), bare, (yaml) =>
      yaml.replace('  examples:\n    - { delay_ms: 100 }\n', ''),
    );
    // Three independent runs (free ports each), side by side.
    const one = startScript(['--once', ...FREE_PORTS, '--config-dir', dir, '--workflow', 'n_shape']);
    const unknown = startScript(['--once', ...FREE_PORTS, '--config-dir', dir, '--workflow', 'nope']);
    const none = startScript(['--once', ...FREE_PORTS, '--config-dir', bare, '--workflow', 'n_shape']);
    assert.equal(await one.exit, 0, one.output());
    assert.match(one.output(), /Demo of n_shape/);
    assert.doesNotMatch(one.output(), /Demo of user_registration/);
    assert.equal(await unknown.exit, 2, unknown.output());
    assert.match(
      unknown.output(),
      /--workflow: no workflow 'nope' \(workflows: n_shape, user_registration\)/,
    );
    assert.equal(await none.exit, 2, none.output());
    assert.match(
      none.output(),
      /--workflow n_shape: its input schema \(\S+n_shape\.yaml\) has no 'examples' to run/,
    );
    // Both refused from the workflow files, before any synthesis or runtime start.
    for (const refused of [unknown, none])
      assert.doesNotMatch(refused.output(), /Starting the offline runtime/);
  });

  test('--once exits 1 when a demo fails', async () => {
    const dir = mkdtempSync(join(scratch, 'bad-example-'));
    copyWorkflow(join(ROOT, 'config', 'user_registration.yaml'), dir, (yaml) =>
      yaml.replace('plan: pro, source: web', 'plan: gold, source: web'),
    );
    const run = startScript(['--once', ...FREE_PORTS, '--config-dir', dir]);
    assert.equal(await run.exit, 1, run.output());
    assert.match(run.output(), /Demo of user_registration failed: HTTP 400: Request body is invalid/);
  });

  test('a busy port is reported before the synthesis starts, naming its flag', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as { port: number };
    // A broken workflow file: had the synthesis run, its diagnostic would be printed instead.
    const dir = mkdtempSync(join(scratch, 'broken-'));
    writeFileSync(join(dir, 'broken.yaml'), 'name: broken\nstep_templates: 3\n');
    try {
      const run = startScript([
        '--once',
        '--port',
        '0',
        '--sfn-port',
        String(port),
        '--dynamodb-port',
        '0',
        '--config-dir',
        dir,
      ]);
      assert.equal(await run.exit, 1, run.output());
      assert.equal(
        run.output().trim(),
        `port ${port} (Step Functions endpoint) on 127.0.0.1 is in use: pass --sfn-port N for another port (0 = any free port)`,
      );
    } finally {
      busy.close();
    }
  });

  test('a broken workflow file is reported as file:line without a stack trace', async () => {
    const dir = mkdtempSync(join(scratch, 'broken-'));
    writeFileSync(join(dir, 'broken.yaml'), 'name: broken\nstep_templates: 3\n');
    const run = startScript(['--once', ...FREE_PORTS, '--config-dir', dir]);
    assert.equal(await run.exit, 1, run.output());
    assert.match(run.output(), /broken\.yaml:2: step_templates/);
    assert.doesNotMatch(run.output(), /^\s+at /m);
  });
});

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * One `--no-demo --require-status-token` process for the serving cases: what it prints, the
 * status privacy of issue 13 (the local API then treats no caller as the starter, so a status
 * read needs the status_url token), then a clean SIGINT shutdown, in that order.
 */
describe('npm start --no-demo --require-status-token', () => {
  let run: ReturnType<typeof startScript>;
  const served = { apiUrl: '' };
  before(async () => {
    run = startScript(['--no-demo', '--require-status-token', ...FREE_PORTS]);
    // Bounded wait for the examples, which are printed once serving.
    for (
      let i = 0;
      i < 1200 && run.child.exitCode === null && !run.output().includes('Serving until Ctrl-C');
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    served.apiUrl = /Local API +(http:\/\/127\.0\.0\.1:\d+)/.exec(run.output())?.[1] ?? '';
  });
  after(() => {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  });

  test('serves without a demo, printing what to try, and writes its runtime file', async () => {
    assert.ok(served.apiUrl, run.output());
    assert.match(run.output(), /curl -si -X POST http:\/\/127\.0\.0\.1:\d+\/registrations/);
    assert.match(run.output(), /npx stepflow status <correlation_id> --workflow user_registration/);
    assert.match(
      run.output(),
      /aws --endpoint-url http:\/\/127\.0\.0\.1:\d+ stepfunctions list-executions --state-machine-arn arn:aws:states:/,
    );
    assert.match(run.output(), /aws dynamodb --endpoint-url http:\/\/127\.0\.0\.1:\d+ scan --table-name /);
    assert.match(run.output(), /Status reads +need the status_url token \(--require-status-token\)/);
    assert.doesNotMatch(run.output(), /Demo of/);
    const res = await fetch(`${served.apiUrl}/registrations/nobody`);
    assert.equal(res.status, 404);
    assert.ok(existsSync(runtimeInfoPath(served.apiUrl)));
  });

  test('a canary registration: its status has no personal data, and without its token the 404 of an unknown ID', async () => {
    const canary = {
      email: 'canary.vexbright@privacy.example.org',
      name: 'Quillonia Canary Vexbright',
      phone: '+1 555 0177 9931',
      company: 'Vexbright Canary Holdings',
      street: '77 Canarywhistle Lane',
      zip: '62799',
    };
    assert.ok(served.apiUrl, run.output());
    const resource = `${served.apiUrl}/registrations`;
    const res = await fetch(resource, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        user_info: {
          email: canary.email,
          name: canary.name,
          phone: canary.phone,
          company: canary.company,
          plan: 'pro',
        },
        billing_info: {
          payment_method: 'card_canary',
          billing_address: { street: canary.street, city: 'Springfield', state: 'IL', zip: canary.zip },
        },
      }),
    });
    const startedText = await res.text();
    assert.equal(res.status, 202, startedText);
    const started = JSON.parse(startedText) as { correlation_id: string; status_url: string };
    const statusUrl = new URL(started.status_url, served.apiUrl);
    assert.match(
      statusUrl.searchParams.get('token') ?? '',
      /^[A-Za-z0-9_-]{43}$/,
      'a 32-byte base64url token',
    );
    const id = started.correlation_id;

    let doc: { status: string } | undefined;
    let text = '';
    for (let i = 0; i < 600 && !TERMINAL.has(doc?.status ?? ''); i++) {
      const answer = await fetch(statusUrl);
      text = await answer.text();
      assert.equal(answer.status, 200, `with its token: ${answer.status} ${text}`);
      doc = JSON.parse(text) as { status: string };
      if (!TERMINAL.has(doc.status)) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(doc?.status, 'SUCCEEDED', text);
    const lower = text.toLowerCase();
    const needles = [
      canary.email,
      encodeURIComponent(canary.email),
      canary.name,
      'Vexbright',
      canary.phone,
      canary.phone.replace(/\D/g, ''),
      canary.company,
      canary.street,
      'Canarywhistle',
      canary.zip,
      'card_canary',
    ];
    const leaked = needles.filter((needle) => lower.includes(needle.toLowerCase()));
    const parsed = JSON.parse(text) as Record<string, unknown>;

    // Without the token, with a wrong one, and for an ID nobody started: the same 404.
    const unknownId = `${id.slice(0, -4)}beef`;
    const answer = async (url: string, ownId: string) => {
      const r = await fetch(url);
      const body = (await r.text()).replaceAll(ownId, '<id>');
      return { status: r.status, type: r.headers.get('content-type'), body };
    };
    const withoutToken = await answer(`${resource}/${id}`, id);
    const wrongToken = await answer(`${resource}/${id}?token=${'A'.repeat(43)}`, id);
    const unknown = await answer(`${resource}/${unknownId}`, unknownId);
    console.log(
      `PROOF status-privacy: with token 200 ${doc?.status}, pii_found=${leaked.length} input_or_output=${'input' in parsed || 'output' in parsed}; ` +
        `without token ${withoutToken.status}, wrong token ${wrongToken.status}, unknown id ${unknown.status}; ` +
        `same body as unknown: ${withoutToken.body === unknown.body && wrongToken.body === unknown.body}`,
    );
    assert.deepEqual(leaked, [], 'the status document carries personal data');
    assert.equal('input' in parsed, false, 'no input in the status document');
    assert.equal('output' in parsed, false, 'no output in the status document');
    assert.equal(unknown.status, 404);
    assert.deepEqual(withoutToken, unknown, 'no token: the 404 of an unknown ID');
    assert.deepEqual(wrongToken, unknown, 'a wrong token: the 404 of an unknown ID');
  });

  test('SIGINT shuts it down cleanly and removes its runtime file', async () => {
    assert.ok(served.apiUrl, run.output());
    run.child.kill('SIGINT');
    assert.equal(await run.exit, 0, run.output());
    assert.match(run.output(), /Shutting down/);
    assert.equal(existsSync(runtimeInfoPath(served.apiUrl)), false);
  });
});
