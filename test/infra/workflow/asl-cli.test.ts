import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { brokenWorkflows, expectedDiagnostics } from '../../fixtures/workflows/broken-workflows.ts';

const run = promisify(execFile);

/** Runs `command` and returns its exit code and output. */
async function exec(
  command: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(command, args, { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** `npm run --silent asl -- <args>`, as users type it (npm's start-up is about 0.6 s of CPU). */
const npmRunAsl = (...args: string[]) => exec('npm', ['run', '--silent', 'asl', '--', ...args]);

/**
 * What `npm run asl` runs (package.json's script `node infra/asl.ts`), on the Node running the
 * tests: the same output and exit code without npm's start-up, for the cases beyond the first.
 */
const asl = (...args: string[]) => exec(process.execPath, ['infra/asl.ts', ...args]);

const CHOSEN = [
  'yaml-unclosed-flow-list.yaml',
  'cycle-of-three.yaml',
  'unknown-dependency.yaml',
  'backoff-rate-below-one.yaml',
  'express-worst-case-over-limit.yaml',
  'multiple-problems.yaml',
  'missing-handler-module.yaml',
  'environment-unknown-step.yaml',
  'request-unknown-intrinsic.yaml',
];

// Each test spawns npm and node; running a few at once keeps the file's wall time down.
describe('npm run asl', { concurrency: 3 }, () => {
  test("package.json's asl script is the command the other cases run", () => {
    const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as {
      scripts: Record<string, string>;
    };
    assert.equal(scripts.asl, 'node infra/asl.ts');
  });

  test('prints the definition of the registration workflow as JSON on stdout and nothing on stderr', async () => {
    const { code, stdout, stderr } = await npmRunAsl('config/user_registration.yaml');
    assert.equal(code, 0);
    assert.equal(stderr, '');
    const definition = JSON.parse(stdout) as { StartAt: string; States: Record<string, { Type: string }> };
    assert.equal(definition.StartAt, 'create_user_account');
    assert.equal(definition.States['setup_billing_profile + initialize_preferences']?.Type, 'Parallel');
  });

  for (const name of CHOSEN) {
    test(`${name}: exit 1, the exact diagnostic on stderr, no stack trace, nothing on stdout`, async () => {
      const fixture = brokenWorkflows().find((f) => f.name === name);
      assert.ok(fixture);
      const shown = relative(process.cwd(), fixture.path);
      const { code, stdout, stderr } = await asl(shown);
      assert.equal(code, 1);
      assert.equal(stdout, '');
      assert.equal(stderr, `${expectedDiagnostics(fixture, shown).join('\n')}\n`);
      assert.doesNotMatch(stderr, /^ {4}at /m);
    });
  }

  test('prints budget warnings on stderr and still exits 0', async () => {
    const { code, stdout, stderr } = await asl('test/fixtures/workflows/valid/budget-warning.yaml');
    assert.equal(code, 0);
    assert.equal(
      stderr,
      "test/fixtures/workflows/valid/budget-warning.yaml:6: warning: step 'slow_export' could run 631 s in the worst case (4 attempts x 120 s + 151 s of retry waits), longer than the workflow's timeout_seconds (300)\n",
    );
    assert.equal(JSON.parse(stdout).StartAt, 'slow_export');
  });

  test('--environment applies that environment; without it the base values stay', async () => {
    const file = 'test/fixtures/workflows/valid/http-environments.yaml';
    const chargeQuery = (stdout: string): unknown => {
      const definition = JSON.parse(stdout) as {
        States: Record<
          string,
          { Branches?: { States: Record<string, { Parameters: { request: { query?: unknown } } }> }[] }
        >;
      };
      const parallel = definition.States['charge_card + notify_warehouse'];
      return parallel?.Branches?.[0]?.States.charge_card?.Parameters.request.query;
    };
    const base = await asl(file);
    const development = await asl(file, '--environment', 'development');
    assert.deepEqual([base.code, base.stderr, development.code, development.stderr], [0, '', 0, '']);
    assert.equal(chargeQuery(base.stdout), undefined);
    assert.deepEqual(chargeQuery(development.stdout), { sandbox: true });
    const missing = await asl(file, '--environment');
    assert.deepEqual(
      [missing.code, missing.stderr],
      [
        1,
        'error: --environment needs a name (usage: npm run --silent asl -- <workflow.yaml> [--environment <env>])\n',
      ],
    );
  });

  test('a missing file or missing argument is a one-line error, exit 1', async () => {
    const missing = await asl('config/nope.yaml');
    assert.deepEqual([missing.code, missing.stderr], [1, 'error: config/nope.yaml: no such workflow file\n']);
    const usage = await npmRunAsl();
    assert.deepEqual(
      [usage.code, usage.stderr],
      [1, 'error: usage: npm run --silent asl -- <workflow.yaml> [--environment <env>]\n'],
    );
  });
});
