/**
 * Operating executions (issue 12 §1-2) and surviving failures (issue 13 §1, §3-4) in the stack:
 * the operator routes and their function's grants, the operator function of `await_operator`
 * steps, compensation functions, the circuit breaker and status-output environment, each role
 * scoped to its own table records.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Template } from 'aws-cdk-lib/assertions';
import { OPERATIONS_ENTRY } from '../../infra/api.ts';
import { buildApp } from '../../infra/build-app.ts';
import { DEFAULTS, HTTP_STEP_ENTRY, OPERATION_PATHS, OPERATOR_ENTRY } from '../../lambdas/contracts.ts';
import {
  editedStack,
  FAST,
  functionIdOf,
  OPERATED_WORKFLOW,
  resourcesOf,
  stepVariables,
  stubProject,
  versionIdOf,
} from './stack-fixture.ts';

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});
function operated(...args: Parameters<typeof editedStack>) {
  const built = editedStack(...args);
  roots.push(built.project.rootDir);
  return built;
}

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every statement of every policy attached to `functionId`'s role. */
function statementsOf(template: Template, functionId: string): Statement[] {
  const fn = resourcesOf(template, 'AWS::Lambda::Function')[functionId]!;
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((policy) =>
      (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId),
    )
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** Action -> [resource, LeadingKeys] of every statement granting it. */
function grantsOf(template: Template, functionId: string): Map<string, Array<[unknown, unknown]>> {
  const grants = new Map<string, Array<[unknown, unknown]>>();
  for (const statement of statementsOf(template, functionId)) {
    for (const action of list(statement.Action)) {
      const keys = statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
      grants.set(action, [...(grants.get(action) ?? []), [statement.Resource, keys]]);
    }
  }
  return grants;
}

describe('the operator routes', () => {
  const { template } = operated(OPERATED_WORKFLOW);
  const operations = functionIdOf(template, (metadata) => metadata['Stepflow:Entry'] === OPERATIONS_ENTRY);
  const machineId = Object.keys(resourcesOf(template, 'AWS::StepFunctions::StateMachine'))[0]!;
  const tableId = Object.keys(resourcesOf(template, 'AWS::DynamoDB::Table'))[0]!;

  /** `METHOD /path` of every API method, with its authorization and the function it calls. */
  function routes(): Map<string, { auth: unknown; target: string | undefined }> {
    const resources = resourcesOf(template, 'AWS::ApiGateway::Resource');
    const pathOf = (ref: unknown): string => {
      const id = (ref as { Ref?: string }).Ref;
      if (id === undefined || resources[id] === undefined) return '';
      return `${pathOf(resources[id]!.Properties.ParentId)}/${resources[id]!.Properties.PathPart}`;
    };
    const found = new Map<string, { auth: unknown; target: string | undefined }>();
    for (const method of Object.values(resourcesOf(template, 'AWS::ApiGateway::Method'))) {
      const uri = JSON.stringify((method.Properties.Integration as { Uri?: unknown })?.Uri);
      const target = /"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]/.exec(uri)?.[1];
      found.set(`${method.Properties.HttpMethod} ${pathOf(method.Properties.ResourceId) || '/'}`, {
        auth: method.Properties.AuthorizationType,
        target,
      });
    }
    return found;
  }

  test('GET /<resource> and the four POST routes of OPERATION_PATHS go to the operations function, all AWS_IAM', () => {
    const found = routes();
    const expected = ['GET /orders', ...Object.values(OPERATION_PATHS).map((path) => `POST /orders/${path}`)];
    for (const route of expected) {
      assert.deepEqual(found.get(route), { auth: 'AWS_IAM', target: operations }, route);
    }
    assert.equal(found.get('POST /orders')?.auth, 'AWS_IAM');
    assert.equal(found.get('GET /orders/{correlation_id}')?.auth, 'AWS_IAM');
    assert.equal(found.size, 2 + expected.length, [...found.keys()].join(', '));
  });

  test('the function gets the unqualified state machine ARN and the workflow steps', () => {
    const variables = (
      resourcesOf(template, 'AWS::Lambda::Function')[operations]!.Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    assert.deepEqual(variables.STATE_MACHINE_ARN, { Ref: machineId });
    assert.equal(variables.WORKFLOW_STEPS, JSON.stringify(['reserve', 'charge']));
  });

  test('may list the machine, stop/redrive/describe its executions, answer its tasks, and read/delete only OPERATOR# (read CORRELATION#)', () => {
    const grants = grantsOf(template, operations);
    assert.deepEqual(grants.get('states:ListExecutions'), [[{ Ref: machineId }, undefined]]);
    assert.deepEqual(grants.get('states:SendTaskSuccess'), [[{ Ref: machineId }, undefined]]);
    assert.deepEqual(grants.get('states:SendTaskFailure'), [[{ Ref: machineId }, undefined]]);
    for (const action of [
      'states:StopExecution',
      'states:RedriveExecution',
      'states:DescribeExecution',
      'states:GetExecutionHistory',
    ]) {
      const [[resource]] = grants.get(action) as [[unknown, unknown]];
      assert.match(JSON.stringify(resource), /:execution:/, action);
      assert.match(JSON.stringify(resource), new RegExp(machineId), action);
    }
    const table = { 'Fn::GetAtt': [tableId, 'Arn'] };
    assert.deepEqual(grants.get('dynamodb:GetItem'), [
      [table, ['CORRELATION#*']],
      [table, ['OPERATOR#*']],
    ]);
    assert.deepEqual(grants.get('dynamodb:DeleteItem'), [[table, ['OPERATOR#*']]]);
    for (const action of [
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:Query',
      'states:StartExecution',
    ]) {
      assert.equal(grants.has(action), false, action);
    }
  });

  test('without the operations module buildApp names it, like any built-in module', () => {
    const project = stubProject({ 'orders.yaml': OPERATED_WORKFLOW });
    roots.push(project.rootDir);
    rmSync(join(project.rootDir, OPERATIONS_ENTRY));
    assert.throws(() => buildApp({ ...FAST, rootDir: project.rootDir, configDir: project.configDir }), {
      message: `built-in handler module ${OPERATIONS_ENTRY} not found under ${project.rootDir}`,
    });
  });
});

describe('await_operator steps', () => {
  const awaiting = (spec: { steps: Array<Record<string, unknown>> }) => {
    spec.steps[0]!.onFailure = 'await_operator';
  };

  test('one operator function (with its version) that may only put OPERATOR# items', () => {
    const { stack, template } = operated(OPERATED_WORKFLOW, awaiting);
    const operator = functionIdOf(template, (metadata) => metadata['Stepflow:Entry'] === OPERATOR_ENTRY);
    versionIdOf(template, operator);
    assert.ok(stack.functions.operatorVersion, 'the compiler is given the version');
    const grants = grantsOf(template, operator);
    const dynamo = [...grants.keys()].filter((action) => action.startsWith('dynamodb:'));
    assert.deepEqual(dynamo, ['dynamodb:PutItem']);
    assert.deepEqual(grants.get('dynamodb:PutItem')?.[0]?.[1], ['OPERATOR#*']);
  });

  test('no operator function when no step awaits one', () => {
    const { stack, template } = operated(OPERATED_WORKFLOW);
    assert.equal(stack.functions.operatorVersion, undefined);
    assert.throws(() => functionIdOf(template, (metadata) => metadata['Stepflow:Entry'] === OPERATOR_ENTRY));
  });
});

describe('compensations', () => {
  const UNDO_MODULE = 'lambdas/steps/orders/undo-reserve.ts';
  const compensating = (spec: { steps: Array<Record<string, unknown>> }) => {
    spec.steps[0]!.compensate = { handler_class: 'Orders::StepHandlers::UndoReserveHandler' };
    spec.steps[1]!.compensate = { request: { method: 'POST', path: '/refunds' } };
  };

  test("a handler_class compensation gets its own function and version with the step's environment and its own records", () => {
    const { stack, template } = operated(OPERATED_WORKFLOW, compensating, {}, [UNDO_MODULE]);
    const undo = functionIdOf(template, (metadata) => metadata['Stepflow:Entry'] === UNDO_MODULE);
    const version = stack.functions.compensationVersions.get('reserve');
    assert.ok(version);
    assert.equal(stack.resolve(version.functionArn).Ref, versionIdOf(template, undo));
    const fn = resourcesOf(template, 'AWS::Lambda::Function')[undo]!;
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    assert.equal(variables.SERVICE_NAME, 'inventory');
    assert.equal(variables.SERVICE_URL, 'https://inventory.example.com');
    assert.equal(fn.Metadata?.['Stepflow:Step'], undefined, 'not a step of its own');
    assert.deepEqual(grantsOf(template, undo).get('dynamodb:PutItem')?.[0]?.[1], [
      { 'Fn::Join': ['', ['idempotency#', { Ref: undo }]] },
      'BREAKER#inventory',
    ]);
  });

  test("a request compensation of an HTTP step runs on the step's own built-in HTTP function", () => {
    const { stack, template } = operated(OPERATED_WORKFLOW, compensating, {}, [UNDO_MODULE]);
    const charge = functionIdOf(template, (metadata) => metadata['Stepflow:Step'] === 'charge');
    assert.equal(
      stack.resolve(stack.functions.compensationVersions.get('charge')?.functionArn).Ref,
      versionIdOf(template, charge),
    );
    const httpFunctions = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).filter(
      (fn) => fn.Metadata?.['Stepflow:Entry'] === HTTP_STEP_ENTRY,
    );
    assert.equal(httpFunctions.length, 1);
  });

  test('a request compensation of a module step runs the built-in HTTP step in a function of its own', () => {
    const { stack, template } = operated(OPERATED_WORKFLOW, (spec) => {
      spec.steps[0]!.compensate = { request: { method: 'DELETE', path: '/reservations/1' } };
    });
    const httpFunctions = Object.keys(resourcesOf(template, 'AWS::Lambda::Function')).filter(
      (id) =>
        resourcesOf(template, 'AWS::Lambda::Function')[id]?.Metadata?.['Stepflow:Entry'] === HTTP_STEP_ENTRY,
    );
    assert.equal(httpFunctions.length, 2, 'charge and the undo of reserve');
    const undo = httpFunctions.find(
      (id) => resourcesOf(template, 'AWS::Lambda::Function')[id]?.Metadata?.['Stepflow:Step'] === undefined,
    );
    assert.ok(undo);
    assert.equal(
      stack.resolve(stack.functions.compensationVersions.get('reserve')?.functionArn).Ref,
      versionIdOf(template, undo),
    );
  });
});

describe('the circuit breaker and status output environment', () => {
  test("CIRCUIT_BREAKER: the defaults, or the step's merged settings as the handler reads them, or off", () => {
    const defaults = operated(OPERATED_WORKFLOW).template;
    assert.deepEqual(JSON.parse(String(stepVariables(defaults, 'reserve').CIRCUIT_BREAKER)), {
      failure_threshold: DEFAULTS.circuitBreaker.failureThreshold,
      window_seconds: DEFAULTS.circuitBreaker.windowSeconds,
      cool_down_seconds: DEFAULTS.circuitBreaker.coolDownSeconds,
      max_outage_seconds: DEFAULTS.circuitBreaker.maxOutageSeconds,
    });
    // The compiler's merged settings on the step (StepSpec.circuitBreaker, camelCase).
    const tuned = operated(OPERATED_WORKFLOW, (spec) => {
      spec.steps[0]!.circuitBreaker = {
        failureThreshold: 3,
        windowSeconds: 60,
        coolDownSeconds: 10,
        maxOutageSeconds: 120,
      };
      spec.steps[1]!.circuitBreaker = 'off';
    }).template;
    assert.deepEqual(JSON.parse(String(stepVariables(tuned, 'reserve').CIRCUIT_BREAKER)), {
      failure_threshold: 3,
      window_seconds: 60,
      cool_down_seconds: 10,
      max_outage_seconds: 120,
    });
    assert.equal(stepVariables(tuned, 'charge').CIRCUIT_BREAKER, 'off');
  });

  test('STATUS_OUTPUT on the status function: api.status_output, else []', () => {
    const statusVariables = (template: Template) => {
      const fn = resourcesOf(template, 'AWS::Lambda::Function')[
        functionIdOf(template, (metadata) => metadata['Stepflow:Entry'] === 'lambdas/api/get-execution.ts')
      ]!;
      return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    };
    assert.equal(statusVariables(operated(OPERATED_WORKFLOW).template).STATUS_OUTPUT, '[]');
    const listed = operated(OPERATED_WORKFLOW, (spec) => {
      (spec.api as Record<string, unknown>).status_output = ['steps.charge.body.charge_id'];
    }).template;
    assert.equal(statusVariables(listed).STATUS_OUTPUT, JSON.stringify(['steps.charge.body.charge_id']));
  });
});
