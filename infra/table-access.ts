/**
 * Table grants scoped to partition-key prefixes (IAM `dynamodb:LeadingKeys`, issue 13 §1): each
 * role may touch only the items whose `pk` starts with one of its prefixes (lambdas/contracts.ts
 * `KEY_PREFIX`), so a step cannot read or overwrite the API's idempotency and correlation records,
 * nor another step's records.
 */

import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** One statement: `actions` on `table`, only for items whose `pk` matches one of `keyPatterns` (StringLike, `*` allowed). */
export function tableKeyStatement(
  table: dynamodb.Table,
  actions: readonly string[],
  keyPatterns: readonly string[],
): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: [...actions],
    resources: [table.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...keyPatterns] } },
  });
}

/**
 * Grants on the principal's own (default) policy. Only for constant prefixes: a prefix that names
 * the function itself (`idempotency#<function name>`) would make the function depend on a policy
 * that depends on the function; use {@link attachTableKeyPolicy} for those.
 */
export function grantTableKeys(
  grantee: iam.IGrantable,
  table: dynamodb.Table,
  actions: readonly string[],
  keyPatterns: readonly string[],
): void {
  grantee.grantPrincipal.addToPrincipalPolicy(tableKeyStatement(table, actions, keyPatterns));
}

/**
 * The statements in a policy of their own attached to `role`: the function does not wait for it,
 * so the policy may name the function (CloudFormation creates it right after the function; nothing
 * invokes a step before the state machine exists, which is created after it).
 */
export function attachTableKeyPolicy(
  scope: Construct,
  id: string,
  role: iam.IRole,
  statements: readonly iam.PolicyStatement[],
): iam.Policy {
  const policy = new iam.Policy(scope, id, { statements: [...statements] });
  policy.attachToRole(role);
  return policy;
}
