/**
 * `npx cdk synth` as users run it, on broken workflow folders (WORKFLOW_CONFIG_DIR): exit code 1,
 * `file:line: message` diagnostics on stderr, never a stack trace. Nothing is bundled because the
 * app stops before building any stack. The headline case runs through npx; the others run the
 * CDK CLI's bin directly (what npx resolves `cdk` to), which spares npm's start-up on each.
 * (Which URLs a valid workflow deploys without `-c environment` is in app.test.ts, which runs the
 * app as this CLI does, bundling skipped.)
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { REPO_ROOT } from '../../infra/build-app.ts';
import { brokenWorkflows, expectedDiagnostics } from '../fixtures/workflows/broken-workflows.ts';

const scratch = mkdtempSync(join(tmpdir(), 'synth-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The CDK CLI's bin, which `npx cdk` resolves to. */
const CDK_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'cdk');

/**
 * Runs `cdk synth --quiet` in the repository with the workflows of `configDir`, through `npx`
 * when `viaNpx` (as users type it), else the same CLI from its bin.
 */
function synth(configDir: string, viaNpx = false): Promise<{ status: number | null; stderr: string }> {
  const [command, args] = viaNpx ? ['npx', ['cdk']] : [CDK_BIN, []];
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args, 'synth', '--quiet', '--output', join(configDir, 'cdk.out')], {
      cwd: REPO_ROOT,
      timeout: 120_000,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        WORKFLOW_CONFIG_DIR: configDir,
        PATH: `${join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
      },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

/** A fresh folder holding copies of the given workflow files. */
function folderWith(name: string, files: string[]): string {
  const dir = join(scratch, name);
  mkdirSync(dir);
  for (const file of files) copyFileSync(file, join(dir, file.split('/').pop()!));
  return dir;
}

function assertNoStackTrace(stderr: string): void {
  const traceLines = stderr.split('\n').filter((line) => /^\s+at /.test(line));
  assert.deepEqual(traceLines, [], 'stderr must not contain a stack trace');
}

describe('npx cdk synth with broken workflow files', () => {
  // One synth for both cases: every broken file beside a valid workflow (which must get no
  // diagnostic), the missing handler module among them.
  const allBroken = (() => {
    let run: Promise<{ config: string; status: number | null; stderr: string }> | undefined;
    return () => {
      run ??= (async () => {
        const config = folderWith('all-broken', [
          ...brokenWorkflows().map((fixture) => fixture.path),
          join(REPO_ROOT, 'config', 'user_registration.yaml'),
        ]);
        return { config, ...(await synth(config, true)) };
      })();
      return run;
    };
  })();

  test('reports every broken file at its line, exits 1, and prints no stack trace', async (t) => {
    const fixtures = brokenWorkflows();
    assert.ok(fixtures.length >= 81, `expected at least 81 broken fixtures, found ${fixtures.length}`);
    const { config, status, stderr } = await allBroken();
    assert.equal(status, 1, stderr);
    const lines = stderr.split('\n');
    for (const fixture of fixtures) {
      for (const line of expectedDiagnostics(fixture, join(config, fixture.name))) {
        assert.ok(lines.includes(line), `${fixture.name}: missing diagnostic\n  ${line}\nin\n${stderr}`);
      }
    }
    assertNoStackTrace(stderr);
    t.diagnostic(
      `${fixtures.length} broken files, ${lines.filter((l) => l.startsWith(config)).length} diagnostics`,
    );
  });

  test('reports a step whose handler module is missing at the step line, exits 1, no stack trace', async () => {
    const fixture = brokenWorkflows().find((candidate) => candidate.name === 'missing-handler-module.yaml');
    assert.ok(fixture, 'the missing-handler fixture');
    const { config, status, stderr } = await allBroken();
    assert.equal(status, 1, stderr);
    for (const line of expectedDiagnostics(fixture, join(config, fixture.name))) {
      assert.ok(stderr.split('\n').includes(line), `missing diagnostic\n  ${line}\nin\n${stderr}`);
    }
    assert.ok(!stderr.includes('user_registration.yaml:'), 'the valid workflow has no diagnostic');
    assertNoStackTrace(stderr);
  });

  test('a YAML syntax error, a cycle or an empty document alone: exit 1 with exactly its diagnostics', async () => {
    const picked = ['yaml-tab-indentation.yaml', 'cycle-of-three.yaml', 'empty-document.yaml'];
    const fixtures = brokenWorkflows().filter((fixture) => picked.includes(fixture.name));
    assert.equal(fixtures.length, picked.length);
    await Promise.all(
      fixtures.map(async (fixture) => {
        const config = folderWith(`alone-${fixture.name}`, [fixture.path]);
        const { status, stderr } = await synth(config);
        assert.equal(status, 1, stderr);
        const reported = stderr.split('\n').filter((line) => line.startsWith(config));
        assert.deepEqual(reported, expectedDiagnostics(fixture, join(config, fixture.name)));
        assertNoStackTrace(stderr);
      }),
    );
  });

  test('rejects an invalid context value by name, exits 1, no stack trace', () => {
    const result = spawnSync(
      CDK_BIN,
      ['synth', '--quiet', '-c', 'apiAuthorization=COGNITO', '--output', join(scratch, 'ctx.out')],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, PATH: `${join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` },
      },
    );
    assert.equal(result.status, 1, result.stderr);
    assert.ok(
      result.stderr.includes(
        'error: context apiAuthorization="COGNITO" is not valid; use IAM (default) or NONE',
      ),
      result.stderr,
    );
    assertNoStackTrace(result.stderr);
  });
});
