/**
 * Broken workflow files (issue 5, part 4), each ALONE through both user-facing commands:
 * `npx cdk synth` (with WORKFLOW_CONFIG_DIR pointing at a folder holding only that file) and
 * `npm run --silent asl -- <file>`. Each must exit 1 with its exact `file:line: message`
 * diagnostic and no stack trace; a missing handler module is reported by synth only (asl prints
 * definitions without handlers, so it must succeed there).
 *
 * The compiler and stack suites cover the messages and one synth over all files together; this
 * proves no file's diagnostic depends on its neighbours. ~50 synths take minutes, so it runs in
 * `npm run test:chaos` (its `*.chaos.ts` name keeps it out of `npm test`'s glob).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT } from '../../infra/build-app.ts';
import { mapLimit } from '../../local/chaos/careful-client.ts';
import { brokenWorkflows, expectedDiagnostics } from '../fixtures/workflows/broken-workflows.ts';

const scratch = mkdtempSync(join(tmpdir(), 'broken-files-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const ENV = { ...process.env, PATH: `${join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` };

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 180_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Lines that look like a stack frame or a Node internal error dump. */
function traceLines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => /^\s+at /.test(line) || /node:internal|\.ts:\d+:\d+\)?$/.test(line));
}

test('every broken workflow file, alone, fails both npx cdk synth and npm run asl with its diagnostic', {
  timeout: 20 * 60_000,
}, async () => {
  const fixtures = brokenWorkflows();
  assert.ok(fixtures.length >= 30, `expected at least 30 broken fixtures, found ${fixtures.length}`);
  const started = performance.now();
  const problems: string[] = [];
  let synthFailures = 0;
  let aslFailures = 0;

  await mapLimit(fixtures, 2, async (fixture, index) => {
    const dir = join(scratch, String(index));
    mkdirSync(dir);
    const copy = join(dir, fixture.name);
    copyFileSync(fixture.path, copy);

    const synth = await run('npx', ['cdk', 'synth', '--quiet', '--output', join(dir, 'cdk.out')], {
      ...ENV,
      WORKFLOW_CONFIG_DIR: dir,
    });
    const synthLines = synth.stderr.split('\n');
    const missing = expectedDiagnostics(fixture, copy).filter((line) => !synthLines.includes(line));
    if (synth.code !== 1) problems.push(`${fixture.name}: synth exited ${synth.code}\n${synth.stderr}`);
    else synthFailures += 1;
    if (missing.length > 0)
      problems.push(`${fixture.name}: synth lacks ${missing.join(' | ')}\n${synth.stderr}`);
    if (traceLines(synth.stderr).length > 0) problems.push(`${fixture.name}: synth printed a stack trace`);

    const shown = relative(REPO_ROOT, fixture.path);
    const asl = await run('npm', ['run', '--silent', 'asl', '--', shown], ENV);
    if (fixture.synthOnly) {
      // asl does not need handler modules: the same file must compile there.
      if (asl.code !== 0)
        problems.push(`${fixture.name}: asl should print the definition, exited ${asl.code}\n${asl.stderr}`);
      return;
    }
    const expected = `${expectedDiagnostics(fixture, shown).join('\n')}\n`;
    if (asl.code !== 1) problems.push(`${fixture.name}: asl exited ${asl.code}`);
    else aslFailures += 1;
    if (asl.stderr !== expected)
      problems.push(`${fixture.name}: asl printed\n${asl.stderr}instead of\n${expected}`);
    if (asl.stdout !== '') problems.push(`${fixture.name}: asl printed a definition for a broken file`);
    if (traceLines(asl.stderr).length > 0) problems.push(`${fixture.name}: asl printed a stack trace`);
  });

  const synthOnly = fixtures.filter((fixture) => fixture.synthOnly).length;
  console.log(
    `broken files: files=${fixtures.length} synth_exit1_with_diagnostic=${synthFailures} ` +
      `asl_exit1_with_diagnostic=${aslFailures} synth_only=${synthOnly} stack_traces=0 ` +
      `wall=${((performance.now() - started) / 1000).toFixed(1)}s`,
  );
  assert.deepEqual(problems, []);
});
