/**
 * The one file that bundles: `npx cdk synth --quiet` with esbuild, as `cdk deploy` would run it,
 * once (12-15 s of CPU), for every test that needs the bundles. It proves every handler bundles
 * into an ESM file that loads and exports `handler`, with the AWS SDK left to the runtime, and
 * that a registration succeeds on those bundles through the local API (the offline runtime
 * reading the cloud assembly, `bundled: true`). Slow by nature, so it lives in its own file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { API_ENTRIES } from '../../infra/api.ts';
import { REPO_ROOT } from '../../infra/build-app.ts';
import { START_ENTRY_DIR } from '../../lambdas/api/standalone-validator.ts';
import { METADATA } from '../../lambdas/contracts.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime/index.ts';
import { apiClient, register, registrationBody } from '../e2e/support.ts';
import { userRegistrationStack } from './stack-fixture.ts';

const outdir = mkdtempSync(join(tmpdir(), 'bundled-synth-'));
after(() => rmSync(outdir, { recursive: true, force: true }));

/** The one bundled synth of this file, run by the first test that needs it. */
const synthesized = (() => {
  let run: Promise<{ seconds: number }> | undefined;
  return () => {
    run ??= new Promise((resolve, reject) => {
      const started = Date.now();
      const child = spawn('npx', ['cdk', 'synth', '--quiet', '--output', outdir], {
        cwd: REPO_ROOT,
        env: { ...process.env, PATH: `${join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` },
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 300_000,
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-4000);
      });
      child.on('error', reject);
      child.on('close', (code) => {
        if (code !== 0) return reject(new Error(`cdk synth exited ${code}:\n${stderr}`));
        // The bundles' own imports of the SDK resolve from the repository's node_modules, as they
        // would from the runtime's in AWS.
        symlinkSync(join(REPO_ROOT, 'node_modules'), join(outdir, 'node_modules'));
        resolve({ seconds: (Date.now() - started) / 1000 });
      });
    });
    return run;
  };
})();

interface TemplateResource {
  Type: string;
  Properties: { Handler?: string; Runtime?: string; Environment?: { Variables?: Record<string, unknown> } };
  Metadata?: Record<string, string>;
}

type StartHandler = (event: unknown) => Promise<{ statusCode: number; body: string }>;

/**
 * Issue 14 §5: the start function's bundle is built from the entry generated at synth. Its
 * sources are the schema's standalone validator and ajv's runtime helpers, never ajv's compiler,
 * and its first request validates with that code (a 400 needs no table or Step Functions).
 */
async function assertStartBundle(
  t: { diagnostic(message: string): void },
  assetDir: string,
  handler: StartHandler,
  variables: Record<string, string>,
): Promise<void> {
  const { sources } = JSON.parse(readFileSync(join(assetDir, 'index.mjs.map'), 'utf8')) as {
    sources: string[];
  };
  const ajv = sources.filter((source) => /node_modules\/ajv(-formats)?\//.test(source));
  assert.ok(ajv.length > 0, 'the generated validator imports ajv runtime helpers');
  for (const source of ajv)
    assert.match(source, /node_modules\/ajv(-formats)?\/(dist|lib)\/(runtime|formats)\b/);
  assert.ok(
    sources.some((source) => source.includes(`${START_ENTRY_DIR}/`) && source.endsWith('/validator.mjs')),
    'bundled from the generated entry',
  );
  const saved = { ...process.env };
  Object.assign(process.env, variables, { AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'ERROR' });
  try {
    const refused = await handler({
      httpMethod: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_info: { email: 'not an email', plan: 'gold' } }),
      isBase64Encoded: false,
      requestContext: { domainName: 'api.test', path: '/v1/registrations', identity: {} },
    });
    assert.equal(refused.statusCode, 400, refused.body);
    assert.deepEqual((JSON.parse(refused.body) as { errors: unknown }).errors, [
      { field: '/user_info/name', problem: 'is required' },
      { field: '/user_info/email', problem: 'must match format "email"' },
      { field: '/user_info/plan', problem: 'must be one of: free, pro, enterprise' },
    ]);
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
  t.diagnostic(`start function bundle: ${statSync(join(assetDir, 'index.mjs')).size} bytes`);
}

test('cdk synth bundles every function with esbuild into a loadable ESM handler', async (t) => {
  const { seconds } = await synthesized();
  t.diagnostic(`cdk synth with bundling took ${seconds.toFixed(1)} s`);

  const template = JSON.parse(
    readFileSync(join(outdir, 'UserRegistrationWorkflow.template.json'), 'utf8'),
  ) as {
    Resources: Record<string, TemplateResource>;
  };
  const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  // Exactly the functions the in-process synthesis has (steps, undo, API, operations).
  const { template: inProcess } = userRegistrationStack();
  assert.equal(functions.length, Object.keys(inProcess.findResources('AWS::Lambda::Function')).length);
  assert.ok(functions.length >= 8);
  let sdkExternal = 0;
  let startChecked = 0;
  for (const fn of functions) {
    const entry = fn.Metadata?.['Stepflow:Entry'];
    assert.ok(entry, 'Stepflow:Entry metadata survives bundling');
    assert.equal(fn.Metadata?.['Stepflow:Handler'], 'handler');
    assert.equal(fn.Properties.Handler, 'index.handler');
    assert.equal(fn.Properties.Runtime, 'nodejs24.x');
    const assetDir = join(outdir, String(fn.Metadata?.['aws:asset:path']));
    assert.ok(existsSync(join(assetDir, 'index.mjs.map')), `${entry}: source map`);
    const bundle = join(assetDir, 'index.mjs');
    const code = readFileSync(bundle, 'utf8');
    if (/from\s*"@aws-sdk\//.test(code)) sdkExternal += 1;
    // Handlers read their environment at import, as Lambda's init phase does: give each its own
    // variables (tokens such as the table's Ref become placeholders).
    const variables = Object.entries(fn.Properties.Environment?.Variables ?? {}).map(
      ([key, value]) =>
        [key, typeof value === 'string' ? value : `placeholder-${key.toLowerCase()}`] as const,
    );
    const saved = new Map(variables.map(([key]) => [key, process.env[key]]));
    for (const [key, value] of variables) process.env[key] = value;
    const module = (await import(pathToFileURL(bundle).href)) as { handler?: unknown };
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    assert.equal(typeof module.handler, 'function', `${entry}: bundle exports handler`);
    if (entry === API_ENTRIES.start) {
      await assertStartBundle(t, assetDir, module.handler as StartHandler, Object.fromEntries(variables));
      startChecked++;
    }
  }
  assert.equal(startChecked, 1, 'the start function was checked');
  assert.ok(sdkExternal > 0, 'the AWS SDK is imported from the runtime, not bundled');
});

describe('the bundled Lambda assets from cdk.out run a registration', () => {
  let runtime: LocalRuntime | undefined;

  before(async () => {
    await synthesized();
    runtime = await startLocalRuntime({ bundled: true, cdkOutDir: outdir, timeScale: 50 });
  });
  after(() => runtime?.close());

  test('every function in the template points at an esbuild bundle', () => {
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
    };
    const stack = Object.values(manifest.artifacts).find((a) => a.type === 'aws:cloudformation:stack');
    const template = JSON.parse(readFileSync(join(outdir, stack!.properties!.templateFile!), 'utf8')) as {
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
      assert.ok(existsSync(join(outdir, assetPath, 'index.mjs')), `${assetPath}/index.mjs is missing`);
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
