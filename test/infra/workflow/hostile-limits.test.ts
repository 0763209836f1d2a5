/**
 * AWS limits checked at compile time with `file:line` (issue 13, part 5): characters AWS refuses
 * in names (and bidirectional overrides, which make text read differently than it is), state
 * name lengths, and the version description, on the synthesized definition, so `cdk synth`
 * fails where `cdk deploy` would.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { definitionProblems, definitionSize } from '../../../infra/definition-size.ts';
import { renderDefinition } from '../../../infra/render-definition.ts';
import { REPO_ROOT } from '../../../infra/repo-root.ts';
import {
  characterProblem,
  MAX_STATE_MACHINE_VERSION_DESCRIPTION_LENGTH,
  MAX_STATE_NAME_LENGTH,
} from '../../../infra/workflow/aws-limits.ts';
import {
  analyzeWorkflow,
  formatDiagnostic,
  loadWorkflowFile,
  parseWorkflow,
  WorkflowError,
} from '../../../infra/workflow/index.ts';
import { WorkflowStack } from '../../../infra/workflow-stack.ts';

const TWO_STEPS = `name: limits
version: "1.0"
step_templates:
  - name: create_account
    handler_config:
      url: https://accounts.example.com
      request: { method: POST, path: /accounts }
  - name: send_welcome
    depends_on_step: create_account
    handler_config:
      url: https://mail.example.com
      request: { method: POST, path: /welcome }
`;

describe('characterProblem', () => {
  test('names each refused character and where it is', () => {
    assert.equal(characterProblem('a\u0000b'), 'U+0000 NUL (character 2)');
    assert.equal(characterProblem('pay\u202Eevil'), 'U+202E RIGHT-TO-LEFT OVERRIDE (character 4)');
    assert.equal(characterProblem('\u2066x'), 'U+2066 LEFT-TO-RIGHT ISOLATE (character 1)');
    assert.equal(characterProblem('x\u0085'), 'U+0085 a control character (character 2)');
    assert.equal(characterProblem('😀\uD800'), 'U+D800 a lone surrogate (character 2)');
    assert.equal(characterProblem('\uFFFF'), 'U+FFFF a noncharacter (character 1)');
    assert.equal(characterProblem('a\tb'), 'U+0009 TAB (character 2)');
    assert.equal(characterProblem('a\tb\r\n', { lineBreaks: true }), undefined);
  });

  test('accepts what state names really hold: spaces, parentheses, arrows, accents, emoji, RTL script and marks', () => {
    for (const name of [
      'setup_billing_profile + initialize_preferences',
      'a (fallback)',
      'a -> ... -> z',
      'café 😀',
      'שלום\u200F',
    ])
      assert.equal(characterProblem(name), undefined, name);
  });
});

/** A one-state-machine stack whose states have the given names (nested in a Parallel and a Map). */
function machineWith(names: { top: string; branch: string; item: string }) {
  const stack = new Stack(new App(), 'Limits');
  const item = new sfn.Pass(stack, 'Item', { stateName: names.item });
  const map = new sfn.Map(stack, 'Map', { stateName: 'each' }).itemProcessor(item);
  const parallel = new sfn.Parallel(stack, 'Parallel', { stateName: 'both' }).branch(
    new sfn.Pass(stack, 'Branch', { stateName: names.branch }),
  );
  const machine = new sfn.StateMachine(stack, 'Machine', {
    definitionBody: sfn.DefinitionBody.fromChainable(
      new sfn.Pass(stack, 'Top', { stateName: names.top }).next(parallel).next(map),
    ),
  });
  return { stack, machine: machine.node.defaultChild as sfn.CfnStateMachine };
}

describe('state names in the synthesized definition', () => {
  const spec = parseWorkflow(TWO_STEPS, 'limits.yaml');

  test('a name over 80 characters, a NUL and a right-to-left override, at any depth, are errors at their step', () => {
    const long = `create_account ${'x'.repeat(MAX_STATE_NAME_LENGTH - 14)}`;
    const { stack, machine } = machineWith({
      top: long,
      branch: 'send_welcome\u0000',
      item: 'odd \u202Ename',
    });
    const { errors } = definitionSize(stack, machine, spec);
    assert.deepEqual(
      errors.map(formatDiagnostic),
      [
        `limits.yaml:4: state name '${long}' is 81 characters; Step Functions allows at most 80 (shorten the step name)`,
        `limits.yaml:8: state name "send_welcome\\u0000" holds U+0000 NUL (character 13), which Step Functions refuses in a state name (or which makes it read differently than it is); rename the step`,
        `limits.yaml:1: state name "odd \u202Ename" holds U+202E RIGHT-TO-LEFT OVERRIDE (character 5), which Step Functions refuses in a state name (or which makes it read differently than it is); rename the step`,
      ].sort((a, b) => Number(a.split(':')[1]) - Number(b.split(':')[1])),
    );
  });

  test('exactly 80 characters (counted as characters, not UTF-16 units) is accepted', () => {
    const { stack, machine } = machineWith({
      top: '😀'.repeat(MAX_STATE_NAME_LENGTH),
      branch: 'b',
      item: 'i',
    });
    assert.deepEqual(definitionSize(stack, machine, spec).errors, []);
  });

  test('the real workflows compile to definitions with no such problem (no false alarm)', () => {
    for (const file of [
      'config/user_registration.yaml',
      'test/fixtures/workflows/hostile/valid-300-merges.yaml',
    ]) {
      const workflow = loadWorkflowFile(`${REPO_ROOT}/${file}`);
      const definition = renderDefinition(analyzeWorkflow(workflow, { rootDir: REPO_ROOT }));
      assert.deepEqual(definitionProblems(definition, workflow).errors, [], file);
    }
  });
});

describe('the version description', () => {
  const versioned = (length: number) =>
    analyzeWorkflow(
      parseWorkflow(TWO_STEPS.replace('version: "1.0"', `version: "${'v'.repeat(length)}"`), 'limits.yaml'),
    );

  test(`a version over ${MAX_STATE_MACHINE_VERSION_DESCRIPTION_LENGTH} characters fails the stack's synthesis at file:line`, () => {
    const build = (length: number) =>
      new WorkflowStack(new App({ builtinCloudFormationValidation: false }), `Versioned${length}`, {
        workflow: versioned(length),
        rootDir: REPO_ROOT,
        bundling: false,
      });
    assert.ok(build(MAX_STATE_MACHINE_VERSION_DESCRIPTION_LENGTH).definitionBytes > 0);
    assert.throws(
      () => build(MAX_STATE_MACHINE_VERSION_DESCRIPTION_LENGTH + 1),
      (error: unknown) => {
        assert.ok(error instanceof WorkflowError);
        assert.deepEqual(error.diagnostics.map(formatDiagnostic), [
          `limits.yaml:2: version is 257 characters; it becomes the description of the state machine's version, which AWS limits to 256 (shorten it)`,
        ]);
        return true;
      },
    );
  });
});
