import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseOutage } from '../../../local/chaos/chaos-run.ts';
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
  });

  test('a payments outage during a run: every order rides it out, and the calls it met are counted', async () => {
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
      'payments:4',
      '--no-fault-mix',
    );
    assert.equal(result.code, 0, `${result.out}\n${result.err}`);
    const summary = result.out.split('\n').find((line) => line.startsWith('chaos: workflow='));
    assert.ok(summary, result.out);
    assert.match(summary, /executions=4 succeeded=4 failed=0/);
    assert.match(summary, /duplicates=0 lost=0/);
    // The first charges come once the sandboxes are warm (a second or two on a busy machine);
    // the retries (1, 2, 4 s apart) reach past the 4 s outage.
    const calls = Number(/outage\(payments 4\.0s calls_during=(\d+)\)/.exec(summary)?.[1]);
    assert.ok(calls >= 1, `charges met the outage (calls_during=${calls})`);
    assert.match(summary, /retries=[1-9]/);
    // Only the outage injected faults: the other services saw none.
    assert.match(summary, /inventory\(requests=4 applied=4 replays=0 faults=0 /);
    assert.match(
      summary,
      new RegExp(`payments\\(requests=${calls + 4} applied=4 replays=0 faults=${calls} `),
    );
  });
});
