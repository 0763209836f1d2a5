/**
 * Step Functions' 1 MB definition limit, checked at `npm run asl` and at synth with the same
 * numbers: an error over the limit, a warning from 80 %. A large fallback template makes a big
 * definition from one step, so the test needs no thousand-state workflow.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { REPO_ROOT } from '../../infra/build-app.ts';
import { renderAnalyzed } from '../../infra/render-definition.ts';
import {
  analyzeWorkflow,
  MAX_DEFINITION_BYTES,
  MAX_LAMBDA_ARN_LENGTH,
  parseWorkflow,
} from '../../infra/workflow/index.ts';
import { WorkflowStack } from '../../infra/workflow-stack.ts';
import { diagnosticsOf } from './workflow/diagnostics-of.ts';

const HANDLER = 'lambdas/steps/user_registration/create-user-account.ts';

/** A one-step workflow whose fallback holds `size` characters. */
function analyzed(size: number) {
  const yaml = `name: big_definition\nstep_templates:\n  - name: only\n    handler: ${HANDLER}\n    on_failure: continue\n    fallback:\n      blob: ${'x'.repeat(size)}\n`;
  return analyzeWorkflow(parseWorkflow(yaml, 'big.yaml'), { rootDir: REPO_ROOT });
}

function stackOf(size: number): WorkflowStack {
  return new WorkflowStack(new App({ builtinCloudFormationValidation: false }), 'Big', {
    workflow: analyzed(size),
    rootDir: REPO_ROOT,
    bundling: false,
  });
}

describe('the definition size check', () => {
  test('counts UTF-8 bytes with each Lambda ARN at its longest, the same in asl and in the stack', () => {
    const small = renderAnalyzed(analyzed(10));
    const arn = String((small.definition.States as Record<string, { Resource: string }>).only?.Resource);
    const text = Buffer.byteLength(JSON.stringify(small.definition));
    assert.equal(small.bytes, text - arn.length + MAX_LAMBDA_ARN_LENGTH);
    assert.equal(stackOf(10).definitionBytes, small.bytes);
  });

  test('from 80% of the limit: a warning in both, naming the size', () => {
    const size = 900_000;
    const rendered = renderAnalyzed(analyzed(size));
    const expected = `big.yaml:1: warning: the compiled definition is ${rendered.bytes} bytes, 85% of Step Functions' 1048576-byte limit (it grows with the steps and their requests and fallbacks; splitting the workflow in two, or shorter requests, keep it smaller)`;
    assert.deepEqual(rendered.warnings, [expected]);
    assert.deepEqual(stackOf(size).warnings, [expected]);
    assert.deepEqual(renderAnalyzed(analyzed(800_000)).warnings, [], 'below 80%: nothing to say');
  });

  test('over the limit: an error in both, and no definition', () => {
    const size = MAX_DEFINITION_BYTES;
    const bytes = renderAnalyzedBytes(size - 200_000) + 200_000;
    const expected = [
      `big.yaml:1: the compiled definition is ${bytes} bytes, over Step Functions' 1048576-byte limit (it grows with the steps and their requests and fallbacks; splitting the workflow in two, or shorter requests, keep it smaller)`,
    ];
    assert.deepEqual(
      diagnosticsOf(() => renderAnalyzed(analyzed(size))),
      expected,
    );
    assert.deepEqual(
      diagnosticsOf(() => stackOf(size)),
      expected,
    );
  });
});

/** Bytes of the rendered definition of a workflow with a `size`-character fallback. */
function renderAnalyzedBytes(size: number): number {
  return renderAnalyzed(analyzed(size)).bytes;
}
