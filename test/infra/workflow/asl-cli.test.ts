import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { relative } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { brokenWorkflows, expectedDiagnostics } from '../../fixtures/workflows/broken-workflows.ts';

const run = promisify(execFile);

/** Runs `npm run --silent asl -- <args>` and returns its exit code and output. */
async function asl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'asl', '--', ...args], {
      encoding: 'utf8',
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const CHOSEN = [
  'yaml-unclosed-flow-list.yaml',
  'cycle-of-three.yaml',
  'unknown-dependency.yaml',
  'backoff-rate-below-one.yaml',
  'express-worst-case-over-limit.yaml',
  'multiple-problems.yaml',
];

// Each test spawns npm and node; running a few at once keeps the file's wall time down.
describe('npm run asl', { concurrency: 3 }, () => {
  test('prints the definition of the registration workflow as JSON on stdout and nothing on stderr', async () => {
    const { code, stdout, stderr } = await asl('config/user_registration.yaml');
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
    const { code, stderr } = await asl('test/fixtures/workflows/valid/budget-warning.yaml');
    assert.equal(code, 0);
    assert.match(
      stderr,
      /^test\/fixtures\/workflows\/valid\/budget-warning\.yaml:\d+: warning: step 'slow_export'/,
    );
  });

  test('a missing file or missing argument is a one-line error, exit 1', async () => {
    const missing = await asl('config/nope.yaml');
    assert.deepEqual([missing.code, missing.stderr], [1, 'error: config/nope.yaml: no such workflow file\n']);
    const usage = await asl();
    assert.deepEqual(
      [usage.code, usage.stderr],
      [1, 'error: usage: npm run --silent asl -- <workflow.yaml>\n'],
    );
  });
});
