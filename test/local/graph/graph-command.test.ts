import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runGraphCommand } from '../../../local/cli/graph-command.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const FLAGSHIP = join(ROOT, 'config/user_registration.yaml');
const N_SHAPE = join(ROOT, 'test/fixtures/workflows/console/n-shape/n_shape.yaml');
const dir = mkdtempSync(join(tmpdir(), 'graph-command-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runGraphCommand(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

describe('stepflow graph', () => {
  test('prints Mermaid by default', async () => {
    const { code, stdout, stderr } = await run(FLAGSHIP);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /flowchart TD/);
    assert.match(stdout, /\["initialize_preferences<br\/>fallback"\]/);
  });

  test('-o FILE.svg writes an SVG with a node per step', async () => {
    const file = join(dir, 'flagship.svg');
    const { code, stdout } = await run(FLAGSHIP, '-o', file);
    assert.equal(code, 0);
    assert.equal(stdout, '');
    const svg = readFileSync(file, 'utf8');
    assert.match(
      svg,
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/,
    );
    const steps = [...svg.matchAll(/data-step="(\w+)" data-status="pending"/g)].map((m) => m[1]);
    assert.deepEqual(steps, [
      'create_user_account',
      'setup_billing_profile',
      'initialize_preferences',
      'send_welcome_sequence',
      'update_user_status',
    ]);
  });

  test('--format dot, and --compiled draws the Parallel groups with the N shape false edge', async () => {
    const plain = await run(N_SHAPE, '--format', 'dot');
    assert.equal(plain.code, 0);
    assert.doesNotMatch(plain.stdout, /"a" -> "d"/);
    const compiled = await run(N_SHAPE, '--format', 'dot', '--compiled');
    assert.equal(compiled.code, 0, compiled.stderr);
    assert.match(compiled.stdout, /"a" -> "d";/);
    assert.match(compiled.stdout, /subgraph cluster_\d+ \{\n\s+label="c \+ d";/);
  });

  test('an unknown format, a bad flag or a missing file is a usage error (exit 2)', async () => {
    for (const [argv, message] of [
      [[FLAGSHIP, '--format', 'png'], "unknown format 'png' (expected one of mermaid, dot, svg)"],
      [[FLAGSHIP, '--colour'], "Unknown option '--colour'"],
      [[], 'no workflow file given'],
      [[FLAGSHIP, N_SHAPE], 'give exactly one workflow file'],
      [
        [FLAGSHIP, '-o', join(dir, 'x.png')],
        `cannot tell the format from '${join(dir, 'x.png')}': pass --format`,
      ],
    ] as const) {
      const { code, stderr, stdout } = await run(...argv);
      assert.equal(code, 2, `${argv.join(' ')}: ${stderr}`);
      assert.ok(stderr.startsWith(`stepflow graph: ${message}`), stderr);
      assert.match(stderr, /usage: npx stepflow graph <workflow\.yaml>/);
      assert.equal(stdout, '');
    }
  });

  test('a broken workflow prints its file:line diagnostics and exits 1', async () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'name: x\nstep_templates:\n  - name: a\n    depends_on_step: b\n');
    const { code, stderr, stdout } = await run(broken);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.equal(stderr, `${broken}:4: step 'a' depends on unknown step 'b'\n`);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    const missing = await run(join(dir, 'nope.yaml'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: .*nope\.yaml: no such workflow file\n$/);
  });
});
