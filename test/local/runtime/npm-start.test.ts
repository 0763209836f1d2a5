import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ExecutionStatusEvent } from '../../../local/runtime/status-events.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;
const CONFIG_DIR = join(ROOT, 'test/fixtures/workflows/e2e/order_fulfillment');

/** Resolves with the output so far once `pattern` appears in it (or rejects after `ms`). */
function waitFor(output: () => string, pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = (): void => {
      const match = pattern.exec(output());
      if (match) resolve(match);
      else if (Date.now() - started > ms) reject(new Error(`no ${pattern} in:\n${output()}`));
      else setTimeout(check, 50);
    };
    check();
  });
}

describe('npm start: status-change events, the console, --data-dir', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepflow-npm-start-'));
  let receiver: Server;
  const received: ExecutionStatusEvent[] = [];
  let child: ChildProcess;
  let stdout = '';
  let stderr = '';
  let exitCode: Promise<number | null>;

  before(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExecutionStatusEvent);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const webhook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`;
    child = spawn(
      process.execPath,
      [
        'local/start.ts',
        ...['--port', '0', '--sfn-port', '0', '--dynamodb-port', '0', '--console-port', '0'],
        ...['--config-dir', CONFIG_DIR, '--data-dir', dataDir, '--events-webhook', webhook],
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    exitCode = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(() => stdout, /Serving until Ctrl-C/, 240_000);
  });
  after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('prints one line per status change of the demo execution, and POSTs each event to the webhook', async () => {
    const lines = stdout.split('\n').filter((line) => line.startsWith('  event  '));
    assert.deepEqual(
      lines.map((line) => line.split(/\s+/)[2]),
      ['RUNNING', 'SUCCEEDED'],
      `${stdout}\n${stderr}`,
    );
    await waitFor(() => String(received.length), /^2$/, 10_000);
    assert.deepEqual(
      received.map((event) => [event['detail-type'], event.detail.status]),
      [
        ['Step Functions Execution Status Change', 'RUNNING'],
        ['Step Functions Execution Status Change', 'SUCCEEDED'],
      ],
    );
    assert.ok(lines[1]?.includes(received[1]!.detail.name), 'the line names the execution');
  });

  test('serves the local console and prints its URL; says where the data lives', async () => {
    const [, url] = /Local console\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout) ?? [];
    assert.ok(url, stdout);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /order_fulfillment/);
    assert.match(stdout, new RegExp(`Data dir\\s+${dataDir} \\(0 executions restored\\)`));
  });

  test('stops cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    assert.equal(await exitCode, 0, stderr);
  });
});
