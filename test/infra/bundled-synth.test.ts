/**
 * The one test that bundles: `npx cdk synth --quiet` with esbuild, as `cdk deploy` would run it.
 * It proves every handler bundles into an ESM file that loads and exports `handler`, with the
 * AWS SDK left to the runtime. Slow by nature (seconds), so it lives in its own file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { OPERATIONS_ENTRY } from '../../infra/api.ts';
import { REPO_ROOT } from '../../infra/build-app.ts';
import { userRegistrationStack } from './stack-fixture.ts';

const outdir = mkdtempSync(join(tmpdir(), 'bundled-synth-'));
after(() => rmSync(outdir, { recursive: true, force: true }));

interface TemplateResource {
  Type: string;
  Properties: { Handler?: string; Runtime?: string; Environment?: { Variables?: Record<string, unknown> } };
  Metadata?: Record<string, string>;
}

test('cdk synth bundles every function with esbuild into a loadable ESM handler', async (t) => {
  const started = Date.now();
  const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', outdir], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, PATH: `${join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` },
  });
  assert.equal(result.status, 0, result.stderr);
  t.diagnostic(`cdk synth with bundling took ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const template = JSON.parse(
    readFileSync(join(outdir, 'UserRegistrationWorkflow.template.json'), 'utf8'),
  ) as {
    Resources: Record<string, TemplateResource>;
  };
  const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  // Exactly the functions the in-process synthesis has (steps, undo, API, operations).
  const { template: inProcess } = userRegistrationStack();
  assert.equal(functions.length, Object.keys(inProcess.findResources('AWS::Lambda::Function')).length);
  assert.ok(functions.length >= 7 + (existsSync(join(REPO_ROOT, OPERATIONS_ENTRY)) ? 1 : 0));
  // The bundle's own imports of the SDK resolve from the repository's node_modules, as they would
  // from the runtime's in AWS.
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(outdir, 'node_modules'));
  let sdkExternal = 0;
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
  }
  assert.ok(sdkExternal > 0, 'the AWS SDK is imported from the runtime, not bundled');
});
