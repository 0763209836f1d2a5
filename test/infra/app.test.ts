/**
 * `node infra/app.ts` the way the CDK CLI runs it (CDK_OUTDIR, CDK_CONTEXT_JSON), with bundling
 * skipped through CDK's own context so it stays fast: it prints the workflow warnings, registers
 * cdk-nag as a validation plugin, and still writes a clean assembly; without `-c environment`
 * it deploys a workflow's production URLs. One app run, on a folder holding both workflows, serves
 * every test.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT } from '../../infra/build-app.ts';
import { analyzeWorkflow, loadWorkflowFile } from '../../infra/workflow/index.ts';

const scratch = mkdtempSync(join(tmpdir(), 'app-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function runApp(configDir: string, outdir: string): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['infra/app.ts'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }),
      WORKFLOW_CONFIG_DIR: configDir,
    },
  });
  return { status: result.status, stderr: result.stderr };
}

/** An order workflow of HTTP steps whose services have a production and a development URL. */
const ENVIRONMENTS = join(REPO_ROOT, 'test/fixtures/workflows/valid/http-environments.yaml');

/**
 * The one app run: the real workflow with a 60 s budget (every step's worst case exceeds it)
 * beside the environments fixture, which has no warning of its own.
 */
const synthesized = (() => {
  let run: { config: string; outdir: string; status: number | null; stderr: string } | undefined;
  return () => {
    if (run) return run;
    const config = join(scratch, 'config');
    mkdirSync(config);
    const yaml = readFileSync(join(REPO_ROOT, 'config', 'user_registration.yaml'), 'utf8');
    assert.match(yaml, /^timeout_seconds: 900$/m);
    writeFileSync(
      join(config, 'user_registration.yaml'),
      yaml.replace(/^timeout_seconds: 900$/m, 'timeout_seconds: 60'),
    );
    writeFileSync(join(config, 'http-environments.yaml'), readFileSync(ENVIRONMENTS));
    const outdir = join(scratch, 'out');
    run = { config, outdir, ...runApp(config, outdir) };
    return run;
  };
})();

test('prints each workflow warning once as file:line and synthesizes with cdk-nag registered (exit 0)', () => {
  const { config, outdir, status, stderr } = synthesized();
  assert.equal(status, 0, stderr);
  const warnings = stderr.split('\n').filter((line) => line.includes('warning:'));
  // Exactly the checks stage's warnings, each once, in file order: one per step.
  const expected = analyzeWorkflow(loadWorkflowFile(join(config, 'user_registration.yaml'))).warnings;
  assert.deepEqual(warnings, expected, stderr);
  assert.equal(expected.length, 5);
  for (const line of warnings) {
    assert.match(
      line,
      new RegExp(`^${join(config, 'user_registration.yaml')}:\\d+: warning: step '\\w+' could run`),
    );
  }
  assert.ok(readdirSync(outdir).includes('UserRegistrationWorkflow.template.json'));
  assert.deepEqual(
    readdirSync(outdir).filter((name) => name.startsWith('asset.')),
    [],
    'bundling was skipped as the context asked',
  );
});

test('without -c environment the production URLs are deployed, though development points at 127.0.0.1', () => {
  assert.match(readFileSync(ENVIRONMENTS, 'utf8'), /url: http:\/\/127\.0\.0\.1:4011/);
  const { outdir, status, stderr } = synthesized();
  assert.equal(status, 0, stderr);
  const template = JSON.parse(
    readFileSync(join(outdir, 'OrderFulfillmentWorkflow.template.json'), 'utf8'),
  ) as {
    Resources: Record<
      string,
      {
        Type: string;
        Metadata?: Record<string, string>;
        Properties: { Environment?: { Variables: Record<string, string> } };
      }
    >;
  };
  const urls = Object.values(template.Resources)
    .filter((resource) => resource.Metadata?.['Stepflow:Step'] !== undefined)
    .map((resource) => resource.Properties.Environment?.Variables.SERVICE_URL);
  assert.deepEqual(urls, [
    'https://inventory.example.com',
    'https://payments.example.com',
    'https://warehouse.example.com/v2',
    'https://shipping.example.com',
  ]);
});
