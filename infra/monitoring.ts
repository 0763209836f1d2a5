/**
 * A workflow's alarms and notifications (issue 12 §4): CloudWatch alarms on the state machine's
 * execution metrics and each step function's errors and throttles, one SNS topic they notify, and
 * EventBridge rules on "Step Functions Execution Status Change" events of this state machine.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { EXECUTION_STATUSES } from '../lambdas/contracts.ts';
import {
  ALARM_DEFAULT,
  type AlarmKind,
  type AlarmSettings,
  type AlarmThreshold,
  type NotificationSettings,
} from './workflow-options.ts';

/** The EventBridge detail type of a state machine's execution status changes. */
export const STATUS_CHANGE_DETAIL_TYPE = 'Step Functions Execution Status Change';

/** Props of {@link WorkflowAlarms}. */
export interface WorkflowAlarmsProps {
  readonly workflow: string;
  readonly stateMachine: sfn.StateMachine;
  /** Step functions by a readable name (the step, or the shared function's label). */
  readonly functions: ReadonlyMap<string, lambda.IFunction>;
  /**
   * `alarms:` after defaults: every alarm, notifying one SNS topic. Without it only the
   * rollback alarms of a gradual deployment are created, with no topic.
   * @default undefined
   */
  readonly settings?: AlarmSettings;
}

/**
 * The alarms of one workflow. `rollbackAlarms` (executions failed and timed out) are what the
 * alias's DeploymentPreference watches.
 */
export class WorkflowAlarms extends Construct {
  /** Notified by every alarm; only with `alarms:`. */
  readonly topic?: sns.Topic;
  /** By logical kind: execution alarms, and `step_errors:<name>` / `step_throttles:<name>`. */
  readonly alarms: ReadonlyMap<string, cloudwatch.Alarm>;
  /** The alarms a gradual deployment rolls back on. */
  readonly rollbackAlarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: WorkflowAlarmsProps) {
    super(scope, id);
    const { settings, stateMachine } = props;
    const threshold = (kind: AlarmKind): AlarmThreshold => settings?.thresholds[kind] ?? ALARM_DEFAULT;
    const alarms = new Map<string, cloudwatch.Alarm>();
    const add = (
      key: string,
      logicalId: string,
      kind: AlarmKind,
      metric: cloudwatch.Metric,
      what: string,
    ) => {
      const { threshold: count, periodSeconds } = threshold(kind);
      const alarm = metric
        .with({ period: Duration.seconds(periodSeconds), statistic: cloudwatch.Stats.SUM })
        .createAlarm(this, logicalId, {
          alarmDescription: `${props.workflow}: ${what} (${count} or more in ${periodSeconds} s)`,
          threshold: count,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      alarms.set(key, alarm);
      return alarm;
    };
    const failed = add(
      'executions_failed',
      'ExecutionsFailed',
      'executions_failed',
      stateMachine.metricFailed(),
      'executions failed',
    );
    const timedOut = add(
      'executions_timed_out',
      'ExecutionsTimedOut',
      'executions_timed_out',
      stateMachine.metricTimedOut(),
      'executions timed out',
    );
    this.rollbackAlarms = [failed, timedOut];

    if (settings !== undefined) {
      add(
        'executions_aborted',
        'ExecutionsAborted',
        'executions_aborted',
        stateMachine.metricAborted(),
        'executions aborted',
      );
      add(
        'execution_throttled',
        'ExecutionThrottled',
        'execution_throttled',
        stateMachine.metricThrottled(),
        'execution starts throttled',
      );
      const steps = new Construct(this, 'Steps');
      for (const [name, fn] of props.functions) {
        const scoped = new Construct(steps, name);
        for (const [kind, metric, what] of [
          ['step_errors', fn.metricErrors(), 'errors'],
          ['step_throttles', fn.metricThrottles(), 'throttles'],
        ] as const) {
          const { threshold: count, periodSeconds } = threshold(kind);
          alarms.set(
            `${kind}:${name}`,
            metric
              .with({ period: Duration.seconds(periodSeconds), statistic: cloudwatch.Stats.SUM })
              .createAlarm(scoped, kind === 'step_errors' ? 'Errors' : 'Throttles', {
                alarmDescription: `${props.workflow}: function of ${name}: ${what} (${count} or more in ${periodSeconds} s)`,
                threshold: count,
                evaluationPeriods: 1,
                comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
              }),
          );
        }
      }
      const topic = new sns.Topic(this, 'Topic', {
        displayName: `${props.workflow} alarms`.slice(0, 100),
        enforceSSL: true,
      });
      Validations.of(topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'Alarm notifications carry alarm names and states only, no execution data; CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer-managed key would add a key policy and a monthly cost for no protected data.',
      });
      if (settings.topicEmail !== undefined) {
        topic.addSubscription(new subscriptions.EmailSubscription(settings.topicEmail));
      }
      const action = new actions.SnsAction(topic);
      for (const alarm of alarms.values()) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
      this.topic = topic;
    }
    this.alarms = alarms;
  }
}

/** Props of {@link WorkflowNotifications}. */
export interface WorkflowNotificationsProps {
  readonly workflow: string;
  readonly stateMachine: sfn.IStateMachine;
  readonly notifications: readonly NotificationSettings[];
}

/** One EventBridge rule per `notifications:` entry, on this state machine's status changes. */
export class WorkflowNotifications extends Construct {
  readonly rules: readonly events.Rule[];

  constructor(scope: Construct, id: string, props: WorkflowNotificationsProps) {
    super(scope, id);
    this.rules = props.notifications.map((notification, index) => {
      const unknown = notification.on.filter(
        (status) => !(EXECUTION_STATUSES as readonly string[]).includes(status),
      );
      if (unknown.length > 0 || notification.on.length === 0) {
        throw new Error(
          `notifications[${index}].on: ${JSON.stringify(notification.on)} must list execution statuses among ${EXECUTION_STATUSES.join(', ')}`,
        );
      }
      const rule = new events.Rule(this, `Rule${index}`, {
        description: `${props.workflow}: executions ${notification.on.join(', ')}`.slice(0, 512),
        eventPattern: {
          source: ['aws.states'],
          detailType: [STATUS_CHANGE_DETAIL_TYPE],
          detail: { stateMachineArn: [props.stateMachine.stateMachineArn], status: [...notification.on] },
        },
      });
      rule.addTarget(targetOf(this, `Target${index}`, notification, index));
      return rule;
    });
  }
}

function targetOf(
  scope: Construct,
  id: string,
  notification: NotificationSettings,
  index: number,
): events.IRuleTarget {
  const { target } = notification;
  const given = Object.entries(target).filter(([, arn]) => arn !== undefined);
  if (given.length !== 1) {
    throw new Error(
      `notifications[${index}].target: give exactly one of sns, sqs, lambda, event_bus (an ARN); got ${given.length}`,
    );
  }
  if (target.sns !== undefined) return new targets.SnsTopic(sns.Topic.fromTopicArn(scope, id, target.sns));
  if (target.sqs !== undefined) return new targets.SqsQueue(sqs.Queue.fromQueueArn(scope, id, target.sqs));
  if (target.lambda !== undefined) {
    return new targets.LambdaFunction(
      lambda.Function.fromFunctionAttributes(scope, id, {
        functionArn: target.lambda,
        sameEnvironment: Stack.of(scope).account === target.lambda.split(':')[4],
      }),
    );
  }
  return new targets.EventBus(events.EventBus.fromEventBusArn(scope, id, target.eventBus ?? ''));
}
