/**
 * `npx stepflow chaos` on any workflow, as a user runs it: the e2e fixture workflow (HTTP steps,
 * services from its mock file) and the flagship (its simulators), each in a config folder of its
 * own. The command exits 0 only when no side effect was applied twice or lost; the summary names
 * both per service.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { copyWorkflow, runProcess } from '../e2e/support.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SEED = Number(process.env.CHAOS_SEED ?? 20261201);
const COUNT = Number(process.env.CHAOS_EXECUTIONS ?? 100);
const scratch = mkdtempSync(join(tmpdir(), 'chaos-any-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const stepflow = (args: string[]) =>
  runProcess('npx', ['stepflow', ...args], { cwd: ROOT, timeoutMs: 10 * 60_000 });

const WORKFLOWS = [
  {
    workflow: 'order_fulfillment',
    file: 'test/fixtures/workflows/e2e/order_fulfillment/order_fulfillment.yaml',
    services: ['inventory', 'payments', 'notifications', 'shipping'],
  },
  {
    workflow: 'user_registration',
    file: 'config/user_registration.yaml',
    services: ['user', 'billing', 'preferences', 'notification'],
    // A person per execution ({{n}}), paid plans, so every service has work each time.
    input:
      '{"user_info":{"email":"chaos{{n}}@example.com","name":"Chaos {{n}}","plan":"pro"},"billing_info":{"payment_method":"card"}}',
  },
];

for (const { workflow, file, services, input } of WORKFLOWS as Array<
  (typeof WORKFLOWS)[number] & { input?: string }
>) {
  test(`npx stepflow chaos --workflow ${workflow}: nothing applied twice or lost, per service`, {
    timeout: 15 * 60_000,
  }, async () => {
    const dir = join(scratch, workflow);
    mkdirSync(dir);
    copyWorkflow(join(ROOT, file), dir);
    const args = [
      '--workflow',
      workflow,
      '--seed',
      String(SEED),
      '--count',
      String(COUNT),
      '--config-dir',
      dir,
      ...(input ? ['--input', input] : []),
    ];
    const run = await stepflow(['chaos', ...args]);
    const summary = run.stdout.split('\n').find((line) => line.startsWith('chaos: workflow='));
    console.log(summary ?? run.stdout);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.ok(
      run.stdout.startsWith(`chaos: seed=${SEED} (replay: npx stepflow chaos --seed ${SEED}`),
      run.stdout,
    );
    assert.ok(summary, run.stdout);
    assert.match(summary, new RegExp(`executions=${COUNT} succeeded=\\d+ failed=\\d+`));
    assert.match(summary, / duplicates=0 lost=0 services: /);
    for (const service of services) {
      const figures = new RegExp(
        `${service}\\(requests=\\d+ applied=\\d+ replays=\\d+ faults=[1-9]\\d* duplicates=0 lost=0\\)`,
      );
      assert.match(summary, figures, service);
    }
    // Every injected fault is retryable: an execution may give up after its retries, never otherwise.
    const causes = / \(by cause: (.*?)\) retries=/.exec(summary)?.[1] ?? '';
    for (const cause of causes === 'none' ? [] : causes.split(', ')) {
      assert.match(cause, /^\w+\/(RetryableError|RetriesExhausted|States\.Timeout)\(\w+\)=\d+$/, cause);
    }
    assert.ok(Number(/succeeded=(\d+)/.exec(summary)?.[1]) > 0, 'nothing succeeded');
  });
}
