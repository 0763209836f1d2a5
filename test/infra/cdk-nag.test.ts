import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../infra/build-app.ts';
import { FAST } from './stack-fixture.ts';

/** Every acknowledgement recorded in the tree: rule ID -> reason, with the construct path. */
function acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  const found: Array<{ path: string; id: string; reason: string }> = [];
  for (const node of root.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ path: node.node.path, id, reason });
      }
    }
  }
  return found;
}

function violationsOf(app: IConstruct): string[] {
  const report = new AwsSolutionsChecks().validateScope(app);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
  );
}

describe('cdk-nag AwsSolutions', () => {
  const { app, stacks } = buildApp({ ...FAST });
  // Synthesize first: grants and aspects finish the policies during synthesis.
  for (const stack of stacks) Template.fromStack(stack);

  test('reports no unacknowledged error or warning', () => {
    assert.deepEqual(violationsOf(app), []);
  });

  test('CDK itself reports no warning or error on the stacks', () => {
    for (const stack of stacks) {
      const annotations = Annotations.fromStack(stack);
      assert.deepEqual(annotations.findWarning('*', Match.anyValue()), []);
      assert.deepEqual(annotations.findError('*', Match.anyValue()), []);
    }
  });

  test('an API opened with apiAuthorization=NONE is acknowledged as deliberate, nothing else changes', () => {
    const open = buildApp({ ...FAST, context: { apiAuthorization: 'NONE' } });
    for (const stack of open.stacks) Template.fromStack(stack);
    assert.deepEqual(violationsOf(open.app), []);
    assert.ok(acknowledgements(open.app).some(({ id }) => id.endsWith('AwsSolutions-APIG4')));
  });

  test('every acknowledgement names its rule and gives a concrete reason', () => {
    const all = acknowledgements(app);
    assert.ok(all.length > 0);
    for (const { path, id, reason } of all) {
      assert.match(id, /AwsSolutions-[A-Z]+\d+/, path);
      assert.ok(reason.length >= 40, `${path} ${id}: reason too short: '${reason}'`);
      assert.ok(path.includes('/'), `${id} is acknowledged on a whole stack (${path}), not where it applies`);
    }
    const ids = new Set(all.map(({ id }) => id.replace(/^annotation::/i, '').replace(/\[.*$/, '')));
    assert.deepEqual([...ids].sort(), [
      'AwsSolutions-APIG3',
      'AwsSolutions-APIG6',
      'AwsSolutions-COG4',
      'AwsSolutions-IAM5',
    ]);
  });

  test('a new wildcard grant is not silently acknowledged', () => {
    const fresh = buildApp({ ...FAST });
    const stack = fresh.stacks[0]!;
    stack.stepFunctions
      .get('create_user_account')
      ?.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    Template.fromStack(stack);
    const violations = violationsOf(fresh.app);
    assert.equal(violations.length, 1, violations.join('\n'));
    assert.match(violations[0]!, /^AwsSolutions-IAM5\[Resource::\*\] at .*create_user_account/);
  });
});
