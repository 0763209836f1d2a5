import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, test } from 'node:test';
import { aslOf } from '../../../infra/asl-command.ts';
import {
  closestMatch,
  formatDiagnostic,
  loadWorkflowFile,
  parseWorkflow,
  WorkflowError,
} from '../../../infra/workflow/index.ts';
import { brokenWorkflows, expectedDiagnostics } from '../../fixtures/workflows/broken-workflows.ts';
import { diagnosticsOf } from './diagnostics-of.ts';

const fixtures = brokenWorkflows();

describe('broken workflow files', () => {
  test('there are at least 30 distinct broken fixtures, each with its expected diagnostic', () => {
    assert.ok(fixtures.length >= 30, `only ${fixtures.length} fixtures`);
    for (const f of fixtures) assert.ok(f.expected.length > 0, `${f.name} has no # expect: line`);
    assert.equal(new Set(fixtures.map((f) => f.expected.join('\n'))).size, fixtures.length);
  });

  // Every stage `npm run asl` runs (parse, spec, plan, checks with the handler modules, compile).
  for (const fixture of fixtures) {
    test(`${fixture.name} reports exactly its diagnostic`, () => {
      const shown = relative(process.cwd(), fixture.path);
      assert.deepEqual(
        diagnosticsOf(() => aslOf(fixture.path)),
        expectedDiagnostics(fixture, shown),
      );
    });
  }

  test('no fixture is left to synth alone: asl checks handler modules too', () => {
    assert.deepEqual(
      fixtures.filter((f) => f.synthOnly).map((f) => f.name),
      [],
    );
  });

  test('parseWorkflow names the file it is given', () => {
    const fixture = fixtures.find((f) => f.name === 'unknown-dependency.yaml');
    assert.ok(fixture);
    const actual = diagnosticsOf(() => parseWorkflow(readFileSync(fixture.path, 'utf8'), 'config/x.yaml'));
    assert.deepEqual(actual, [
      "config/x.yaml:11: step 'send_welcome_sequence' depends on unknown step 'biling' (did you mean 'setup_billing_profile'?)",
    ]);
  });

  test('a missing handler module is a checks-stage error: the file itself loads', () => {
    const fixture = fixtures.find((f) => f.name === 'missing-handler-module.yaml');
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
