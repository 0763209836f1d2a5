import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ENV } from '../../../lambdas/contracts.ts';
import { parseOutage } from '../../../local/chaos/chaos-run.ts';
import { chaosRuntimeOptions } from '../../../local/cli/chaos-command.ts';
import { main } from '../../../local/cli/stepflow.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const FIXTURE = join(ROOT, 'test/fixtures/workflows/e2e/order_fulfillment');

async function run(...args: string[]) {
  const stdout = new PassThrough();
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
  return { code, out, err };
}

describe('chaos --outage', () => {
  const configDir = mkdtempSync(join(tmpdir(), 'chaos-outage-'));
  after(() => rmSync(configDir, { recursive: true, force: true }));

  test('parses service:seconds[@start]', () => {
    assert.deepEqual(parseOutage('user:30'), { service: 'user', seconds: 30 });
    assert.deepEqual(parseOutage('billing:1.5@2'), { service: 'billing', seconds: 1.5, startSeconds: 2 });
    assert.throws(
      () => parseOutage('user'),
      /--outage must be service:seconds\[@start_seconds\] .* got 'user'/,
    );
    assert.throws(() => parseOutage('user:0'), /seconds > 0/);
  });

  test('bad outage flags are usage errors before any runtime starts', async () => {
    const bad = await run('chaos', '--workflow', 'x', '--outage', 'payments');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--outage must be service:seconds/);
    const refuse = await run('chaos', '--workflow', 'x', '--refuse');
    assert.equal(refuse.code, 2);
    assert.match(refuse.err, /--refuse goes with --outage service:seconds/);
    const scale = await run('chaos', '--workflow', 'x', '--outage', 'p:1', '--time-scale', '0');
    assert.match(scale.err, /--time-scale must be a positive number, got '0'/);
    const breaker = await run('chaos', '--workflow', 'x', '--breaker', 'on');
    assert.equal(breaker.code, 2);
    assert.match(breaker.err, /--breaker takes only 'off' \(the breaker is on by default\), got 'on'/);
  });

  test("--breaker off turns every function's breaker off through its environment", () => {
    const on = chaosRuntimeOptions({ seed: 1, timeScale: 1 });
    const off = chaosRuntimeOptions({ seed: 1, timeScale: 1, breakerOff: true });
    assert.equal(on.envOverrides?.[ENV.circuitBreaker], undefined, 'the YAML settings stay');
    assert.equal(off.envOverrides?.[ENV.circuitBreaker], 'off');
    assert.equal(off.envOverrides?.[ENV.requestTimeoutMs], '3000');
  });

  test('a payments outage from its first call: counted, only payments faulted, failures only its 503s', async () => {
    copyFileSync(join(FIXTURE, 'order_fulfillment.yaml'), join(configDir, 'order_fulfillment.yaml'));
    copyFileSync(
      join(FIXTURE, 'order_fulfillment.mocks.yaml'),
      join(configDir, 'order_fulfillment.mocks.yaml'),
    );
    const result = await run(
      'chaos',
      '--workflow',
      'order_fulfillment',
      '--config-dir',
      configDir,
      '--count',
      '4',
      '--concurrency',
      '4',
      '--seed',
      '5',
      '--outage',
      'payments:2',
      '--no-fault-mix',
    );
    assert.equal(result.code, 0, `${result.out}\n${result.err}`);
    const summary = result.out.split('\n').find((line) => line.startsWith('chaos: workflow='));
    assert.ok(summary, result.out);
    // Without the circuit breaker the steps' own retries (full jitter, 3 of them) may or may not
    // outlast the outage; whatever fails must have failed on the outage's 503s.
    const [, succeeded, failed] = /executions=4 succeeded=(\d) failed=(\d)/.exec(summary) ?? [];
    assert.equal(Number(succeeded) + Number(failed), 4);
    const causes = /\(by cause: (.*?)\) retries=/.exec(summary)?.[1] ?? '';
    if (Number(failed) > 0) assert.equal(causes, `charge_payment/RetryableError(503)=${failed}`);
    assert.match(summary, /duplicates=0 lost=0/);
    // It started at the first charge, so that charge met it, whatever the sandboxes' start-up took.
    const calls = Number(/outage\(payments 2\.0s calls_during=(\d+)\)/.exec(summary)?.[1]);
    assert.ok(calls >= 1, `charges met the outage (calls_during=${calls})`);
    // Only the outage injected faults: the other services saw none, payments saw one per call.
    assert.match(summary, /inventory\(requests=4 applied=4 replays=0 faults=0 /);
    assert.match(
      summary,
      new RegExp(
        `payments\\(requests=${calls + Number(succeeded)} applied=${succeeded} replays=0 faults=${calls} `,
      ),
    );
  });
});
