/**
 * `alarms:` and `notifications:` (issue 12 §4): CloudWatch alarms on the execution metrics and on
 * each step function's errors and throttles with one SNS topic, EventBridge rules on this state
 * machine's status changes with SNS, SQS, Lambda and event bus targets; cdk-nag stays clean.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { STATUS_CHANGE_DETAIL_TYPE } from '../../infra/monitoring.ts';
import { editedStack, functionIdOf, OPERATED_WORKFLOW, resourcesOf } from './stack-fixture.ts';

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});
function operated(...args: Parameters<typeof editedStack>) {
  const built = editedStack(...args);
  roots.push(built.project.rootDir);
  return built;
}

const ARNS = {
  sns: 'arn:aws:sns:us-east-1:111122223333:ops',
  sqs: 'arn:aws:sqs:us-east-1:111122223333:failed-orders',
  lambda: 'arn:aws:lambda:us-east-1:111122223333:function:page-someone',
  event_bus: 'arn:aws:events:us-east-1:111122223333:event-bus/central',
} as const;

describe('alarms: true', () => {
  const { template } = operated(OPERATED_WORKFLOW, (spec) => {
    spec.alarms = true;
  });
  const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm');
  const machineId = Object.keys(resourcesOf(template, 'AWS::StepFunctions::StateMachine'))[0]!;
  const topicId = Object.keys(resourcesOf(template, 'AWS::SNS::Topic'))[0];

  test('four execution alarms on this state machine and errors + throttles for each step function, 1 per 300 s', () => {
    const execution = Object.values(alarms).filter((alarm) => alarm.Properties.Namespace === 'AWS/States');
    assert.deepEqual(execution.map((alarm) => alarm.Properties.MetricName).sort(), [
      'ExecutionThrottled',
      'ExecutionsAborted',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
    ]);
    for (const alarm of execution) {
      assert.deepEqual(alarm.Properties.Dimensions, [{ Name: 'StateMachineArn', Value: { Ref: machineId } }]);
    }
    const lambdaAlarms = Object.values(alarms).filter((alarm) => alarm.Properties.Namespace === 'AWS/Lambda');
    for (const step of ['reserve', 'charge']) {
      const fn = functionIdOf(template, (metadata) => metadata['Stepflow:Step'] === step);
      const names = lambdaAlarms
        .filter((alarm) => JSON.stringify(alarm.Properties.Dimensions).includes(fn))
        .map((alarm) => alarm.Properties.MetricName)
        .sort();
      assert.deepEqual(names, ['Errors', 'Throttles'], step);
    }
    assert.equal(Object.keys(alarms).length, 4 + 2 * 2);
    for (const alarm of Object.values(alarms)) {
      assert.equal(alarm.Properties.Threshold, 1);
      assert.equal(alarm.Properties.Period, 300);
      assert.equal(alarm.Properties.Statistic, 'Sum');
      assert.equal(alarm.Properties.ComparisonOperator, 'GreaterThanOrEqualToThreshold');
      assert.equal(alarm.Properties.TreatMissingData, 'notBreaching');
    }
  });

  test('every alarm notifies the one SNS topic on ALARM and on OK; the topic refuses plain HTTP', () => {
    assert.equal(Object.keys(resourcesOf(template, 'AWS::SNS::Topic')).length, 1);
    for (const alarm of Object.values(alarms)) {
      assert.deepEqual(alarm.Properties.AlarmActions, [{ Ref: topicId }]);
      assert.deepEqual(alarm.Properties.OKActions, [{ Ref: topicId }]);
    }
    const [policy] = Object.values(resourcesOf(template, 'AWS::SNS::TopicPolicy'));
    assert.match(JSON.stringify(policy?.Properties.PolicyDocument), /"aws:SecureTransport":"false"/);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('alarms: { ... }', () => {
  test('thresholds and periods per alarm, the rest defaulted, and an email subscription', () => {
    const { template } = operated(OPERATED_WORKFLOW, (spec) => {
      spec.alarms = {
        topic_email: 'ops@example.com',
        executions_failed: { threshold: 5, period_seconds: 60 },
        step_errors: { threshold: 3 },
      };
    });
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    const of = (metric: string) => alarms.filter((alarm) => alarm.Properties.MetricName === metric);
    assert.deepEqual(
      of('ExecutionsFailed').map((alarm) => [alarm.Properties.Threshold, alarm.Properties.Period]),
      [[5, 60]],
    );
    assert.deepEqual(
      of('Errors').map((alarm) => [alarm.Properties.Threshold, alarm.Properties.Period]),
      [
        [3, 300],
        [3, 300],
      ],
    );
    assert.deepEqual(
      of('ExecutionsAborted').map((alarm) => [alarm.Properties.Threshold, alarm.Properties.Period]),
      [[1, 300]],
    );
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  test('a gradual deployment with alarms rolls back on the failed and timed-out alarms of that set', () => {
    const { template } = operated(
      OPERATED_WORKFLOW,
      (spec) => {
        spec.alarms = true;
      },
      { deployment: { type: 'LINEAR' } },
    );
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm');
    const idOf = (metric: string) =>
      Object.keys(alarms).find((id) => alarms[id]?.Properties.MetricName === metric);
    const [alias] = Object.values(resourcesOf(template, 'AWS::StepFunctions::StateMachineAlias'));
    assert.ok(alias);
    assert.deepEqual((alias.Properties.DeploymentPreference as { Alarms: unknown }).Alarms, [
      { Ref: idOf('ExecutionsFailed') },
      { Ref: idOf('ExecutionsTimedOut') },
    ]);
  });
});

describe('notifications:', () => {
  const { stack, template } = operated(OPERATED_WORKFLOW, (spec) => {
    spec.notifications = [
      { on: ['FAILED', 'timed_out'], target: { sns: ARNS.sns } },
      { on: ['ABORTED'], target: { sqs: ARNS.sqs } },
      { on: ['SUCCEEDED'], target: { lambda: ARNS.lambda } },
      { on: ['FAILED'], target: { event_bus: ARNS.event_bus } },
    ];
  });
  const rules = Object.values(resourcesOf(template, 'AWS::Events::Rule'));
  const machineId = Object.keys(resourcesOf(template, 'AWS::StepFunctions::StateMachine'))[0]!;

  test('one rule per entry on "Step Functions Execution Status Change" of this state machine and the listed statuses', () => {
    assert.equal(rules.length, 4);
    assert.deepEqual(rules[0]?.Properties.EventPattern, {
      source: ['aws.states'],
      'detail-type': [STATUS_CHANGE_DETAIL_TYPE],
      detail: { stateMachineArn: [{ Ref: machineId }], status: ['FAILED', 'TIMED_OUT'] },
    });
    assert.deepEqual(
      rules.map((rule) => (rule.Properties.EventPattern as { detail: { status: string[] } }).detail.status),
      [['FAILED', 'TIMED_OUT'], ['ABORTED'], ['SUCCEEDED'], ['FAILED']],
    );
  });

  test('targets the SNS topic, SQS queue, Lambda function and event bus by their ARNs', () => {
    const targets = rules.map(
      (rule) => (rule.Properties.Targets as Array<{ Arn: unknown; RoleArn?: unknown }>)[0],
    );
    assert.deepEqual(
      targets.map((target) => target?.Arn),
      [ARNS.sns, ARNS.sqs, ARNS.lambda, ARNS.event_bus],
    );
    // Sending to another bus needs a role that may put events on exactly that bus.
    const roleId = (targets[3]!.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter((policy) =>
      (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId),
    );
    assert.deepEqual(
      policies.flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement),
      [{ Action: 'events:PutEvents', Effect: 'Allow', Resource: ARNS.event_bus }],
    );
    assert.equal(stack.notifications?.rules.length, 4);
  });

  test('an entry without exactly one target, or with an unknown status, is refused by name', () => {
    assert.throws(
      () =>
        operated(OPERATED_WORKFLOW, (spec) => {
          spec.notifications = [{ on: ['FAILED'], target: { sns: ARNS.sns, sqs: ARNS.sqs } }];
        }),
      { message: 'notifications[0].target: give exactly one of sns, sqs, lambda, event_bus (an ARN); got 2' },
    );
    assert.throws(
      () =>
        operated(OPERATED_WORKFLOW, (spec) => {
          spec.notifications = [{ on: ['BROKEN'], target: { sns: ARNS.sns } }];
        }),
      {
        message:
          'notifications[0].on: ["BROKEN"] must list execution statuses among RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE',
      },
    );
  });
});

describe('cdk-nag', () => {
  test('a stack with every new part (alarms, notifications, operator, compensation, operations, canary) has no unacknowledged finding', () => {
    const undo = 'lambdas/steps/orders/undo-reserve.ts';
    const { stack } = operated(
      OPERATED_WORKFLOW,
      (spec) => {
        spec.alarms = { topic_email: 'ops@example.com' };
        spec.notifications = [
          { on: ['FAILED'], target: { sns: ARNS.sns } },
          { on: ['FAILED'], target: { event_bus: ARNS.event_bus } },
        ];
        spec.steps[0]!.onFailure = 'await_operator';
        spec.steps[0]!.compensate = { handler_class: 'Orders::StepHandlers::UndoReserveHandler' };
      },
      { deployment: { type: 'CANARY' } },
      [undo],
    );
    Template.fromStack(stack);
    const report = new AwsSolutionsChecks().validateScope(stack);
    const violations = report.violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
    );
    assert.deepEqual(violations, []);
  });
});
