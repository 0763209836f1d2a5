/**
 * Versions, the alias `live` and gradual deployments (issue 12 §3): every Task invokes a published
 * Lambda version, each deploy publishes a StateMachineVersion described with the YAML version, the
 * alias moves to it with the chosen DeploymentPreference, and executions start through the alias.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import type { WorkflowSpec } from '../../infra/workflow/index.ts';
import { deploymentOf } from '../../infra/workflow-options.ts';
import {
  allStates,
  definitionOf,
  editedStack,
  functionIdOf,
  OPERATED_WORKFLOW,
  resourcesOf,
  userRegistrationStack,
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

describe('Tasks invoke published versions', () => {
  const { template } = userRegistrationStack();
  const versions = resourcesOf(template, 'AWS::Lambda::Version');

  test('every Task of the flagship names a Ref to an AWS::Lambda::Version, never a function ARN', () => {
    const tasks = [...allStates(definitionOf(template))].filter(([, state]) => state.Type === 'Task');
    // The five steps, and their undo Tasks once the flagship declares compensations.
    assert.ok(tasks.length >= 5, `${tasks.length} Tasks`);
    for (const [name, state] of tasks) {
      const match = /^<\{Ref:([A-Za-z0-9]+)\}>$/.exec(String(state.Resource));
      assert.ok(match, `${name}: ${state.Resource} is not a Ref`);
      assert.equal(versions[match[1]!]?.Type, 'AWS::Lambda::Version', `${name} invokes ${match[1]}`);
      assert.doesNotMatch(String(state.Resource), /\.Arn>$/, `${name} invokes an unqualified ARN`);
    }
  });

  test("each step's Task invokes its own function's version", () => {
    const states = allStates(definitionOf(template));
    for (const step of ['create_user_account', 'send_welcome_sequence', 'update_user_status']) {
      const fn = functionIdOf(template, (metadata) => metadata['Stepflow:Step'] === step);
      assert.equal(states.get(step)?.Resource, `<{Ref:${versionIdOf(template, fn)}}>`, step);
    }
  });
});

describe('the state machine version and the alias live', () => {
  const { template } = userRegistrationStack();
  const machineId = Object.keys(resourcesOf(template, 'AWS::StepFunctions::StateMachine'))[0]!;

  test("publishes the machine's current revision, described with the YAML version, kept when replaced", () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachineVersion', 1);
    template.hasResource('AWS::StepFunctions::StateMachineVersion', {
      Properties: {
        StateMachineArn: { Ref: machineId },
        StateMachineRevisionId: { 'Fn::GetAtt': [machineId, 'StateMachineRevisionId'] },
        Description: '1.0.0',
      },
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('the alias live points at that version, ALL_AT_ONCE by default, with no alarms to watch', () => {
    const versionId = Object.keys(resourcesOf(template, 'AWS::StepFunctions::StateMachineVersion'))[0]!;
    template.resourceCountIs('AWS::StepFunctions::StateMachineAlias', 1);
    template.hasResourceProperties('AWS::StepFunctions::StateMachineAlias', {
      Name: 'live',
      DeploymentPreference: {
        StateMachineVersionArn: { 'Fn::GetAtt': [versionId, 'Arn'] },
        Type: 'ALL_AT_ONCE',
        Alarms: Match.absent(),
        Percentage: Match.absent(),
      },
    });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('the start function starts through the alias; the status function reads the machine', () => {
    const aliasId = Object.keys(resourcesOf(template, 'AWS::StepFunctions::StateMachineAlias'))[0]!;
    const variables = (entry: string) => {
      const fn = resourcesOf(template, 'AWS::Lambda::Function')[
        functionIdOf(template, (metadata) => metadata['Stepflow:Entry'] === entry)
      ]!;
      return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    };
    assert.deepEqual(variables('lambdas/api/start-execution.ts').STATE_MACHINE_ARN, { Ref: aliasId });
    assert.deepEqual(variables('lambdas/api/get-execution.ts').STATE_MACHINE_ARN, { Ref: machineId });
    template.hasOutput('LiveAliasArn', { Value: { Ref: aliasId } });
  });

  test('the start function has 50 reserved concurrent executions; -c startReservedConcurrency changes or removes it', () => {
    const start = (options: Parameters<typeof userRegistrationStack>[0]) => {
      const { template: built } = userRegistrationStack(options);
      const fn = resourcesOf(built, 'AWS::Lambda::Function')[
        functionIdOf(built, (metadata) => metadata['Stepflow:Entry'] === 'lambdas/api/start-execution.ts')
      ];
      return fn?.Properties.ReservedConcurrentExecutions;
    };
    assert.equal(start({}), 50);
    assert.equal(start({ context: { startReservedConcurrency: '7' } }), 7);
    assert.equal(start({ context: { startReservedConcurrency: 'none' } }), undefined);
    assert.throws(() => start({ context: { startReservedConcurrency: '1.5' } }), {
      message:
        'context startReservedConcurrency="1.5" is not valid; use reserved concurrency of the start function, or none (default 50)',
    });
  });
});

describe('gradual deployments', () => {
  test('-c deployment=CANARY: 10% for 5 minutes by default, rolled back on the failed and timed-out alarms', () => {
    const { template } = userRegistrationStack({ context: { deployment: 'canary' } });
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm');
    const byMetric = (metric: string) =>
      Object.keys(alarms).find((id) => alarms[id]?.Properties.MetricName === metric);
    const failed = byMetric('ExecutionsFailed');
    const timedOut = byMetric('ExecutionsTimedOut');
    assert.ok(failed && timedOut, 'rollback alarms exist');
    assert.equal(Object.keys(alarms).length, 2, 'without alarms: only the rollback alarms');
    template.hasResourceProperties('AWS::StepFunctions::StateMachineAlias', {
      DeploymentPreference: Match.objectLike({
        Type: 'CANARY',
        Percentage: 10,
        Interval: 5,
        Alarms: [{ Ref: failed }, { Ref: timedOut }],
      }),
    });
    template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  test("the YAML's deployment: is used, and -c overrides it field by field", () => {
    const linear = (spec: Record<string, unknown>) => {
      spec.deployment = { type: 'LINEAR', percentage: 25, interval_minutes: 10 };
    };
    const fromYaml = operated(OPERATED_WORKFLOW, linear).template;
    fromYaml.hasResourceProperties('AWS::StepFunctions::StateMachineAlias', {
      DeploymentPreference: Match.objectLike({ Type: 'LINEAR', Percentage: 25, Interval: 10 }),
    });
    const overridden = operated(OPERATED_WORKFLOW, linear, {
      deployment: { type: 'CANARY', percentage: 5 },
    }).template;
    overridden.hasResourceProperties('AWS::StepFunctions::StateMachineAlias', {
      DeploymentPreference: Match.objectLike({ Type: 'CANARY', Percentage: 5, Interval: 10 }),
    });
    const allAtOnce = operated(OPERATED_WORKFLOW, linear, { deployment: { type: 'ALL_AT_ONCE' } }).template;
    allAtOnce.hasResourceProperties('AWS::StepFunctions::StateMachineAlias', {
      DeploymentPreference: { StateMachineVersionArn: Match.anyValue(), Type: 'ALL_AT_ONCE' },
    });
  });

  test('the camelCase spelling of the spec is read the same', () => {
    const spec = { file: 'w.yaml', deployment: { type: 'LINEAR', percentage: 30, intervalMinutes: 2 } };
    assert.deepEqual(deploymentOf(spec as unknown as WorkflowSpec), {
      type: 'LINEAR',
      percentage: 30,
      intervalMinutes: 2,
    });
  });

  test('invalid -c deployment values name the key and what it accepts', () => {
    assert.throws(() => userRegistrationStack({ context: { deployment: 'BLUE_GREEN' } }), {
      message:
        "context deployment=\"BLUE_GREEN\" is not valid; use ALL_AT_ONCE, CANARY or LINEAR: how the alias 'live' moves to a new version (default: the YAML's deployment.type, else ALL_AT_ONCE)",
    });
    assert.throws(() => userRegistrationStack({ context: { deploymentPercentage: '100' } }), {
      message:
        'context deploymentPercentage="100" is not valid; use traffic per increment of a CANARY or LINEAR deployment, 1-99 (default: the YAML, else 10)',
    });
  });
});

describe('-c environment=<env>', () => {
  test('puts the environment in the stack names; buildApp({ environment }) (npm start) keeps the plain names', () => {
    const staged = userRegistrationStack({ context: { environment: 'staging' } });
    assert.equal(staged.stack.stackName, 'UserRegistrationWorkflow-staging');
    const local = userRegistrationStack({ environment: 'development' });
    assert.equal(local.stack.stackName, 'UserRegistrationWorkflow');
    const odd = userRegistrationStack({ context: { environment: 'eu_west.2' } });
    assert.equal(odd.stack.stackName, 'UserRegistrationWorkflow-eu-west-2');
  });
});
