/**
 * "Add your own workflow", word for word: the files and commands of the walkthrough (README.md
 * when it carries the walkthrough's markers, else docs/local-runtime.md) in a fresh copy of the
 * project, with the reader's own payments service on 127.0.0.1:4010 played by this test. Also the
 * issue's "done when": a workflow the suite has never seen, written only in YAML, succeeds through
 * `npm start`, POST /orders and `npx stepflow status`; each route succeeds once with one
 * Idempotency-Key across retries and X-Correlation-ID on every call; fields of earlier answers
 * reach later requests; a 400 for the on_failure: continue step shows `fallback`; the flagship
 * still answers 202 beside it; synthesis without an environment keeps the production URLs.
 *
 * It uses npm start's default ports (3000, 8083, 8000), as the walkthrough does: no other test does.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ENV } from '../../lambdas/contracts.ts';
import { runProcess } from './support.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MARKER = /<!-- walkthrough: (.+?) -->\s*```\w*\n([\s\S]*?)```/g;

/** The walkthrough's blocks by marker, from the first document that has them. */
function walkthrough(): { source: string; blocks: Map<string, string> } {
  for (const source of ['README.md', 'docs/local-runtime.md']) {
    const text = readFileSync(join(ROOT, source), 'utf8');
    const blocks = new Map([...text.matchAll(MARKER)].map((m) => [m[1]!, m[2]!]));
    if (blocks.size > 0) return { source, blocks };
  }
  throw new Error('no document carries the walkthrough markers');
}

/** A fresh copy of the project (the files git knows, node_modules linked), like a new clone. */
function copyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'walkthrough-'));
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(
      (file) =>
        file &&
        file !== 'node_modules' &&
        existsSync(join(ROOT, file)) &&
        statSync(join(ROOT, file)).isFile(),
    );
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(dir, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** One shell command line of the walkthrough (backslash continuations joined), run to its end. */
const shell = (command: string, cwd: string) => runProcess('bash', ['-c', command], { cwd });

const commandsOf = (block: string): string[] =>
  block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

/** The reader's payments service: 503 on an order's first charge, then 201; logs every call. */
interface Charge {
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown>;
  readonly status: number;
}
function startPayments(port: number): Promise<{ server: Server; charges: Charge[] }> {
  const charges: Charge[] = [];
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
      const orderId = String(body.order_id);
      const status = req.method === 'POST' && req.url === '/charges' ? (seen.has(orderId) ? 201 : 503) : 404;
      seen.add(orderId);
      charges.push({ headers: req.headers, body, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          status === 201 ? { charge_id: `ch_${orderId}`, order_id: orderId } : { error: 'BUSY' },
        ),
      );
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ server, charges }));
  });
}

describe('the "Add your own workflow" walkthrough, word for word', () => {
  const { source, blocks } = walkthrough();
  let project: string;
  let npmStart: ChildProcess | undefined;
  let startOutput = '';
  let payments: Awaited<ReturnType<typeof startPayments>>;

  before(async () => {
    project = copyProject();
    for (const [marker, text] of blocks) {
      if (marker.startsWith('config/')) writeFileSync(join(project, marker), text);
    }
    const url = /url: "?http:\/\/127\.0\.0\.1:(\d+)/.exec(blocks.get('config/orders.yaml') ?? '')?.[1];
    payments = await startPayments(Number(url));
    const [command] = commandsOf(blocks.get('start') ?? '');
    assert.equal(command, 'npm start', `${source}: the start block`);
    npmStart = spawn('bash', ['-c', command!], {
      cwd: project,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    npmStart.stdout?.on('data', (chunk: Buffer) => {
      startOutput += chunk.toString();
    });
    npmStart.stderr?.on('data', (chunk: Buffer) => {
      startOutput += chunk.toString();
    });
    for (
      let i = 0;
      i < 1200 && !startOutput.includes('Serving until Ctrl-C') && npmStart.exitCode === null;
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(startOutput, /Serving until Ctrl-C/, startOutput);
  });
  after(async () => {
    if (npmStart?.pid && npmStart.exitCode === null) {
      const exited = new Promise((resolve) => npmStart!.once('close', resolve));
      process.kill(-npmStart.pid, 'SIGINT');
      await exited;
    }
    payments?.server.close();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  test('npm start serves the new workflow beside the flagship on the default ports', () => {
    assert.match(startOutput, /Local API +http:\/\/127\.0\.0\.1:3000 +\(environment: development\)/);
    assert.ok(startOutput.includes('POST http://127.0.0.1:3000/orders\n'), startOutput);
    assert.ok(startOutput.includes('POST http://127.0.0.1:3000/registrations\n'), startOutput);
    assert.match(startOutput, /payments -> http:\/\/127\.0\.0\.1:4010 \(as is\)/);
    assert.match(startOutput, /Step Functions +http:\/\/127\.0\.0\.1:8083\n/);
    assert.match(startOutput, /DynamoDB +http:\/\/127\.0\.0\.1:8000 +\(dynalite\)/);
    assert.match(startOutput, /Demo of orders[\s\S]*?SUCCEEDED in /, 'the example ran as a demo');
  });

  test('curl and npx stepflow status, as written, follow an order to SUCCEEDED', async () => {
    const [curl, status] = commandsOf(blocks.get('run') ?? '');
    assert.match(curl ?? '', /^curl .*\/orders /, `${source}: the run block starts with curl`);
    const started = await shell(curl!, project);
    assert.equal(started.code, 0, started.stderr);
    const { correlation_id: id } = JSON.parse(started.stdout) as { correlation_id: string };
    assert.match(status ?? '', /<correlation_id>/);
    const followed = await shell(status!.replace('<correlation_id>', id), project);
    assert.equal(followed.code, 0, `${followed.stdout}\n${followed.stderr}`);
    assert.match(followed.stdout, /^SUCCEEDED in /m);
    for (const step of ['reserve_stock', 'charge_card', 'send_receipt'])
      assert.match(followed.stdout, new RegExp(`✔ ${step} +attempt \\d+ +.*succeeded`));
    const output = JSON.parse(/^output: (.*)$/m.exec(followed.stdout)?.[1] ?? '{}') as {
      steps: Record<string, { status: number; body: Record<string, unknown> }>;
    };

    // The reader's own service: retried once with the same key, X-Correlation-ID on every call.
    const charges = payments.charges.filter((charge) => charge.body.order_id === 'ord-7');
    assert.deepEqual(
      charges.map((charge) => charge.status),
      [503, 201],
    );
    assert.equal(new Set(charges.map((charge) => charge.headers['idempotency-key'])).size, 1);
    assert.ok(charges[0]?.headers['idempotency-key'], 'an Idempotency-Key was sent');
    assert.ok(charges.every((charge) => charge.headers['x-correlation-id'] === id));
    // Fields of earlier answers reach later requests.
    const reservation = output.steps.reserve_stock?.body.reservation_id;
    assert.match(String(reservation), /^res_\d+$/);
    assert.equal(charges[1]?.body.reservation_id, reservation);
    assert.equal(
      output.steps.send_receipt?.body.charge_id,
      'ch_ord-7',
      "payments' answer reached the mailer",
    );

    // The mocks, through their control API: each route applied once for this order.
    const info = JSON.parse(readFileSync(join(tmpdir(), 'stepflow-local', 'runtime-3000.json'), 'utf8')) as {
      workflows: Array<{ name: string; services: Record<string, string> }>;
    };
    const mocks = info.workflows.find((workflow) => workflow.name === 'orders')!.services;
    assert.deepEqual(Object.keys(mocks).sort(), ['inventory', 'mailer']);
    const log = (await (await fetch(`${mocks.inventory}/_requests?correlation_id=${id}`)).json()) as {
      requests: Array<{ service: string; route: string; outcome: string; correlationId: string }>;
    };
    assert.deepEqual(log.requests.map((r) => `${r.service} ${r.route} ${r.outcome}`).sort(), [
      'inventory POST /reservations applied',
      'mailer POST /receipts applied',
    ]);
  });

  test('a 400 for the on_failure: continue step shows fallback; the flagship answers 202 beside it', async () => {
    const [curl] = commandsOf(blocks.get('run') ?? '');
    const noEmail = curl!.replace('"ord-7"', '"ord-8"').replace('"email":"ada@example.com"', '"email":""');
    const started = await shell(noEmail, project);
    const { correlation_id: id } = JSON.parse(started.stdout) as { correlation_id: string };
    const followed = await shell(`npx stepflow status ${id} --workflow orders`, project);
    assert.equal(followed.code, 0, `${followed.stdout}\n${followed.stderr}`);
    assert.match(followed.stdout, /⚑ send_receipt +attempt 1 +.*fallback used after PermanentError/);
    assert.match(followed.stdout, /"send_receipt":\{"status":"not_sent","fallback_used":true/);
    const flagship = await fetch('http://127.0.0.1:3000/registrations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_info: { email: 'beside@example.com', name: 'Beside Orders' } }),
    });
    assert.equal(flagship.status, 202);
  });

  test('synthesis without an environment keeps the production URLs', async () => {
    const { buildApp } = await import('../../infra/build-app.ts');
    const { app, stacks } = buildApp({
      rootDir: project,
      configDir: join(project, 'config'),
      bundling: false,
      cloudFormationValidation: false,
    });
    const stack = stacks.find((candidate) => candidate.spec.name === 'orders')!;
    const resources = Object.values(app.synth().getStackByName(stack.stackName).template.Resources) as Array<{
      Type: string;
      Properties?: { Environment?: { Variables?: Record<string, string> } };
    }>;
    const urls = resources
      .map((resource) => resource.Properties?.Environment?.Variables)
      .filter((variables) => variables?.[ENV.serviceName] === 'payments')
      .map((variables) => variables?.[ENV.serviceUrl]);
    assert.deepEqual(urls, ['https://payments.example.com']);
  });
});
