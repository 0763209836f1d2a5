import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeWorkflow, parseWorkflow, WorkflowError } from '../../../infra/workflow/index.ts';

const step = (extra: string): string =>
  `  - name: call\n    handler_config:\n      url: https://x.example.com\n      request: { method: GET, path: /x }\n${extra}`;

describe('AWS limits in the checks stage', () => {
  test("a step description over Lambda's 256 characters is a warning at its line", () => {
    const long = 'd'.repeat(257);
    const yaml = `name: limits\nstep_templates:\n${step(`    description: ${long}\n`)}`;
    assert.deepEqual(analyzeWorkflow(parseWorkflow(yaml, 'limits.yaml')).warnings, [
      "limits.yaml:7: warning: step 'call': description is 257 characters; its Lambda function keeps the first 256 (Lambda's limit; the state's Comment keeps all of it)",
    ]);
    const fits = yaml.replace(long, 'd'.repeat(256));
    assert.deepEqual(analyzeWorkflow(parseWorkflow(fits, 'limits.yaml')).warnings, []);
  });

  test('a workflow name too long for a CloudFormation stack name is an error at the name', () => {
    const name = `w${'x'.repeat(120)}`;
    const yaml = `name: ${name}\nstep_templates:\n${step('')}`;
    assert.throws(
      () => analyzeWorkflow(parseWorkflow(yaml, 'limits.yaml')),
      (error: unknown) =>
        error instanceof WorkflowError &&
        error.message ===
          `limits.yaml:1: workflow name '${name}' gives the stack name 'W${'x'.repeat(120)}Workflow', which CloudFormation does not accept (1-128 letters, digits and '-', starting with a letter); rename the workflow`,
    );
    const fits = `w${'x'.repeat(119)}`;
    assert.equal(analyzeWorkflow(parseWorkflow(yaml.replace(name, fits), 'limits.yaml')).spec.name, fits);
  });
});
