import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resourcesOf, userRegistrationStack } from './stack-fixture.ts';

const { stack, template } = userRegistrationStack();

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const policies = resourcesOf(template, 'AWS::IAM::Policy');
const functions = resourcesOf(template, 'AWS::Lambda::Function');
const roles = resourcesOf(template, 'AWS::IAM::Role');

/** Actions AWS offers no resource-level permissions for (so `Resource: "*"` is the only option). */
const UNSCOPABLE = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const statementsOf = (policyId: string): Statement[] =>
  (policies[policyId]!.Properties.PolicyDocument as { Statement: Statement[] }).Statement;

/** Every statement of every policy attached to the role of the function whose metadata matches. */
function policyOfFunction(match: (metadata: Record<string, unknown>) => boolean): Statement[] {
  const fn = Object.values(functions).find((candidate) => match(candidate.Metadata ?? {}));
  assert.ok(fn, 'function not found');
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const policyIds = Object.keys(policies).filter((id) =>
    (policies[id]!.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId),
  );
  assert.ok(policyIds.length > 0, `no policy for role ${roleId}`);
  return policyIds.flatMap(statementsOf);
}

/** The `dynamodb:LeadingKeys` patterns of every statement granting `action` (one list per statement). */
function leadingKeys(statements: Statement[], action: string): unknown[] {
  return statements
    .filter((statement) => list(statement.Action).includes(action))
    .map((statement) => statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']);
}

/** Action -> resources (as JSON strings), for exact comparisons. */
function grants(statements: Statement[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const statement of statements) {
    for (const action of list(statement.Action)) {
      map.set(action, [
        ...(map.get(action) ?? []),
        ...list(statement.Resource).map((r) => JSON.stringify(r)),
      ]);
    }
  }
  return map;
}

const own = (logicalId: string) => JSON.stringify({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const tableId = Object.keys(resourcesOf(template, 'AWS::DynamoDB::Table'))[0]!;

describe('IAM is least privilege', () => {
  test('no statement allows a wildcard action, and none denies (nothing to carve out)', () => {
    for (const id of Object.keys(policies)) {
      for (const statement of statementsOf(id)) {
        assert.equal(statement.Effect, 'Allow');
        for (const action of list(statement.Action)) assert.ok(!action.includes('*'), `${id}: ${action}`);
      }
    }
  });

  test('Resource "*" appears only for X-Ray and CloudWatch Logs delivery actions, which cannot be scoped', () => {
    for (const id of Object.keys(policies)) {
      for (const statement of statementsOf(id)) {
        if (!list(statement.Resource).includes('*')) continue;
        for (const action of list(statement.Action))
          assert.ok(UNSCOPABLE.has(action), `${id}: ${action} on *`);
      }
    }
  });

  test('every other resource is an ARN of a resource this stack defines', () => {
    const defined = new Set(Object.keys(template.toJSON().Resources));
    for (const id of Object.keys(policies)) {
      for (const statement of statementsOf(id)) {
        for (const resource of list(statement.Resource)) {
          if (resource === '*') continue;
          const text = JSON.stringify(resource);
          const refs = [...text.matchAll(/"(?:Fn::GetAtt":\["|Ref":")([A-Za-z0-9]+)"/g)].map((m) => m[1]!);
          const own = refs.filter((ref) => !ref.startsWith('AWS::'));
          assert.ok(own.length > 0, `${id}: ${text} names no resource of the stack`);
          for (const ref of own) assert.ok(defined.has(ref), `${id}: ${ref} is not in this stack`);
        }
      }
    }
  });

  test('no role carries a managed policy (the Lambda basic role would allow every log group)', () => {
    for (const [id, role] of Object.entries(roles))
      assert.equal(role.Properties.ManagedPolicyArns, undefined, id);
  });

  test("a step function may only write its log group, trace, and use four item operations on its own records and its service's breaker", () => {
    const stepFn = Object.keys(functions).find(
      (id) => functions[id]?.Metadata?.['Stepflow:Step'] === 'create_user_account',
    )!;
    const statements = policyOfFunction((m) => m['Stepflow:Step'] === 'create_user_account');
    const granted = grants(statements);
    assert.deepEqual([...granted.keys()].sort(), [
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    for (const action of [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ]) {
      assert.deepEqual(granted.get(action), [own(tableId)], action);
      // Powertools keys its records `idempotency#<function name>`; the user service's breaker.
      assert.deepEqual(
        leadingKeys(statements, action),
        [[{ 'Fn::Join': ['', ['idempotency#', { Ref: stepFn }]] }, 'BREAKER#user']],
        action,
      );
    }
    const logGroup = JSON.parse(granted.get('logs:PutLogEvents')![0]!)['Fn::GetAtt'][0];
    assert.equal(template.toJSON().Resources[logGroup].Type, 'AWS::Logs::LogGroup');
  });

  test('the start function may start executions through the alias live only and read/write (not delete) IDEMPOTENCY# and CORRELATION# items', () => {
    const statements = policyOfFunction((m) => m['Stepflow:Entry'] === 'lambdas/api/start-execution.ts');
    const granted = grants(statements);
    // Step Functions authorizes a start through an alias on the machine's ARN, with the alias
    // in states:StateMachineQualifier: only starts through live are allowed.
    const machineId = Object.keys(resourcesOf(template, 'AWS::StepFunctions::StateMachine'))[0]!;
    assert.deepEqual(granted.get('states:StartExecution'), [JSON.stringify({ Ref: machineId })]);
    const start = statements.filter((statement) => list(statement.Action).includes('states:StartExecution'));
    assert.deepEqual(
      start.map((statement) => statement.Condition),
      [{ StringEquals: { 'states:StateMachineQualifier': 'live' } }],
    );
    for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']) {
      assert.deepEqual(leadingKeys(statements, action), [['IDEMPOTENCY#*', 'CORRELATION#*']], action);
    }
    assert.deepEqual(granted.get('dynamodb:PutItem'), [own(tableId)]);
    assert.deepEqual(granted.get('dynamodb:GetItem'), [own(tableId)]);
    assert.deepEqual(granted.get('dynamodb:UpdateItem'), [own(tableId)]);
    assert.equal(granted.has('dynamodb:DeleteItem'), false);
    assert.equal(granted.has('states:DescribeExecution'), false);
  });

  test("the status function may only read CORRELATION# items and describe this machine's executions", () => {
    const statements = policyOfFunction((m) => m['Stepflow:Entry'] === 'lambdas/api/get-execution.ts');
    const granted = grants(statements);
    assert.deepEqual(granted.get('dynamodb:GetItem'), [own(tableId)]);
    assert.deepEqual(leadingKeys(statements, 'dynamodb:GetItem'), [['CORRELATION#*']]);
    for (const action of [
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'states:StartExecution',
    ]) {
      assert.equal(granted.has(action), false, action);
    }
    for (const action of ['states:DescribeExecution', 'states:GetExecutionHistory']) {
      const [resource] = granted.get(action) ?? [];
      assert.match(resource ?? '', /:execution:/, action);
      assert.match(resource ?? '', /StateMachine[0-9A-F]{8}/, `${action} scoped to this machine`);
    }
  });

  test("the state machine's role may invoke exactly the published versions of the step (and undo, operator) functions", () => {
    const machine = Object.values(resourcesOf(template, 'AWS::StepFunctions::StateMachine'))[0]!;
    const roleId = (machine.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const policyId = Object.keys(policies).find((id) =>
      (policies[id]!.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId),
    )!;
    const invoked = grants(statementsOf(policyId)).get('lambda:InvokeFunction') ?? [];
    const stepIds = Object.keys(functions).filter((id) => functions[id]?.Metadata?.['Stepflow:Step']);
    assert.equal(stepIds.length, 5);
    // Compensations and the operator function, once the flagship declares them.
    const taskFunctionIds = [...stack.functions.all.values()].map(
      (fn) => stack.resolve(fn.functionName).Ref as string,
    );
    for (const id of stepIds) assert.ok(taskFunctionIds.includes(id), id);
    const versions = resourcesOf(template, 'AWS::Lambda::Version');
    const expected = taskFunctionIds.map((id) => {
      const version = Object.keys(versions).find(
        (versionId) =>
          JSON.stringify(versions[versionId]?.Properties.FunctionName) === JSON.stringify({ Ref: id }),
      );
      assert.ok(version, `${id} publishes a version`);
      return JSON.stringify({ Ref: version });
    });
    assert.deepEqual([...invoked].sort(), expected.sort());
  });
});
