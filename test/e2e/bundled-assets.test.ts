import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { METADATA } from '../../lambdas/contracts.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime/index.ts';
import { apiClient, register, registrationBody } from './support.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Inside the repository (and git-ignored as cdk.*.out/) so the bundles, which keep the AWS SDK
// external as the Lambda runtime provides it, resolve it from the project's node_modules.
const OUT_DIR = join(ROOT, 'cdk.e2e.out');

/** `npx cdk synth` with bundling, as `cdk deploy` would run it; resolves with its exit code and stderr. */
function synthWithBundling(): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['cdk', 'synth', '--quiet', '--output', OUT_DIR], {
      cwd: ROOT,
      env: process.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('the bundled Lambda assets from cdk.out run a registration', () => {
  let runtime: LocalRuntime | undefined;

  before(async () => {
    rmSync(OUT_DIR, { recursive: true, force: true });
    const synth = await synthWithBundling();
    assert.equal(synth.code, 0, `cdk synth failed:\n${synth.stderr}`);
    runtime = await startLocalRuntime({ bundled: true, cdkOutDir: OUT_DIR, timeScale: 50 });
  });
  after(async () => {
    await runtime?.close();
    rmSync(OUT_DIR, { recursive: true, force: true });
  });

  test('every function in the template points at an esbuild bundle', () => {
    const manifest = JSON.parse(readFileSync(join(OUT_DIR, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
    };
    const stack = Object.values(manifest.artifacts).find((a) => a.type === 'aws:cloudformation:stack');
    const template = JSON.parse(readFileSync(join(OUT_DIR, stack!.properties!.templateFile!), 'utf8')) as {
      Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
    };
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    // The API functions and every step's module at least (operator, compensation and operations
    // functions come and go with the workflow's options); each one must be a bundle.
    const entries = new Set(functions.map((fn) => fn.Metadata?.[METADATA.entry]));
    const missing = [
      'lambdas/api/get-execution.ts',
      'lambdas/api/start-execution.ts',
      'lambdas/steps/user_registration/create-user-account.ts',
      'lambdas/steps/user_registration/initialize-preferences.ts',
      'lambdas/steps/user_registration/send-welcome-sequence.ts',
      'lambdas/steps/user_registration/setup-billing-profile.ts',
      'lambdas/steps/user_registration/update-user-status.ts',
    ].filter((entry) => !entries.has(entry));
    assert.deepEqual(missing, [], 'every API and step function is in the template');
    for (const fn of functions) {
      const assetPath = fn.Metadata?.['aws:asset:path'];
      assert.ok(assetPath, `${fn.Metadata?.[METADATA.entry]} has no asset path`);
      assert.ok(existsSync(join(OUT_DIR, assetPath, 'index.mjs')), `${assetPath}/index.mjs is missing`);
    }
  });

  test('a pro registration succeeds through the API on the bundled handlers', async () => {
    const client = apiClient(runtime!.apiUrl);
    const { status } = await register(client, registrationBody('pro', 'bundled'));
    assert.equal(status.status, 'SUCCEEDED', JSON.stringify(status));
    assert.deepEqual(
      status.steps.map((step) => step.status),
      status.steps.map(() => 'succeeded'),
    );
    assert.equal(status.steps.length, 5);
  });
});
