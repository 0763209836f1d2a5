import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, test } from 'node:test';
import {
  checkHandlerModules,
  closestMatch,
  formatDiagnostic,
  loadWorkflowFile,
  parseWorkflow,
  WorkflowError,
} from '../../../infra/workflow/index.ts';
import { brokenWorkflows, expectedDiagnostics } from '../../fixtures/workflows/broken-workflows.ts';

/** The formatted diagnostics a call throws. */
function diagnosticsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof WorkflowError) return error.diagnostics.map(formatDiagnostic);
    throw error;
  }
  return [];
}

const fixtures = brokenWorkflows();

describe('broken workflow files', () => {
  test('there are at least 30 distinct broken fixtures, each with its expected diagnostic', () => {
    assert.ok(fixtures.length >= 30, `only ${fixtures.length} fixtures`);
    for (const f of fixtures) assert.ok(f.expected.length > 0, `${f.name} has no # expect: line`);
    assert.equal(new Set(fixtures.map((f) => f.expected.join('\n'))).size, fixtures.length);
  });

  for (const fixture of fixtures) {
    test(`${fixture.name} reports exactly its diagnostic`, () => {
      const shown = relative(process.cwd(), fixture.path);
      const actual = diagnosticsOf(() => {
        const spec = loadWorkflowFile(fixture.path);
        if (fixture.synthOnly) checkHandlerModules(spec, process.cwd());
      });
      assert.deepEqual(actual, expectedDiagnostics(fixture, shown));
    });
  }

  test('parseWorkflow names the file it is given', () => {
    const fixture = fixtures.find((f) => f.name === 'unknown-dependency.yaml');
    assert.ok(fixture);
    const actual = diagnosticsOf(() => parseWorkflow(readFileSync(fixture.path, 'utf8'), 'config/x.yaml'));
    assert.deepEqual(actual, [
      "config/x.yaml:11: step 'send_welcome_sequence' depends on unknown step 'biling' (did you mean 'setup_billing_profile'?)",
    ]);
  });

  test('a missing handler module passes parsing (npm run asl needs no handlers)', () => {
    const fixture = fixtures.find((f) => f.synthOnly);
    assert.ok(fixture);
    assert.equal(
      loadWorkflowFile(fixture.path).steps[0]?.handlerPath,
      'lambdas/steps/broken_example/no-such-step-anywhere.ts',
    );
  });

  test('a workflow with several problems reports all of them, top to bottom', () => {
    const fixture = fixtures.find((f) => f.name === 'multiple-problems.yaml');
    assert.equal(fixture?.expected.length, 3);
  });
});

describe('diagnostic helpers', () => {
  test('formatDiagnostic prints file:line, and file:line:col when a column is known', () => {
    assert.equal(formatDiagnostic({ file: 'a.yaml', line: 3, message: 'm' }), 'a.yaml:3: m');
    assert.equal(formatDiagnostic({ file: 'a.yaml', line: 3, column: 7, message: 'm' }), 'a.yaml:3:7: m');
  });

  test('closestMatch finds whole-name typos and fragments, and nothing when nothing is close', () => {
    const names = ['create_user_account', 'setup_billing_profile', 'initialize_preferences'];
    assert.equal(closestMatch('create_user_acount', names), 'create_user_account');
    assert.equal(closestMatch('biling', names), 'setup_billing_profile');
    assert.equal(closestMatch('preferences', names), 'initialize_preferences');
    assert.equal(closestMatch('shipping', names), undefined);
  });

  test('WorkflowError carries every diagnostic and a readable message', () => {
    const error = new WorkflowError([
      { file: 'a.yaml', line: 1, message: 'one' },
      { file: 'a.yaml', line: 2, message: 'two' },
    ]);
    assert.equal(error.name, 'WorkflowError');
    assert.equal(error.message, 'a.yaml:1: one\na.yaml:2: two');
  });
});
