/**
 * Versions and the alias `live`: every deploy publishes an `AWS::StepFunctions::StateMachineVersion`
 * of the state machine's current revision (described with the YAML `version`), and the alias moves
 * to it with Step Functions' native DeploymentPreference (ALL_AT_ONCE, CANARY or LINEAR), rolled
 * back by CloudFormation when one of the given alarms fires during the shift.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { DeploymentSettings } from './workflow-options.ts';

/** The alias every execution is started through. */
export const LIVE_ALIAS_NAME = 'live';

/** The IAM condition key naming the version or alias a Step Functions call is qualified with. */
export const STATE_MACHINE_QUALIFIER_KEY = 'states:StateMachineQualifier';

/** Props of {@link LiveAlias}. */
export interface LiveAliasProps {
  readonly stateMachine: sfn.StateMachine;
  /** The workflow name, for the alias's description. */
  readonly workflow: string;
  /** The YAML `version`: the published version's description. */
  readonly version: string;
  readonly deployment: DeploymentSettings;
  /**
   * Alarms that roll the shift back when they go into ALARM.
   * @default none
   */
  readonly rollbackAlarms?: readonly cloudwatch.IAlarm[];
}

/**
 * The published version and the alias `live` of a state machine.
 *
 * @example
 * const live = new LiveAlias(this, 'Live', { stateMachine, version: spec.version, deployment: { type: 'CANARY', percentage: 10, intervalMinutes: 5 } });
 * live.grantStartExecution(startFunction);
 */
export class LiveAlias extends Construct {
  readonly version: sfn.CfnStateMachineVersion;
  readonly alias: sfn.CfnStateMachineAlias;
  /** The alias ARN (its Ref): what the start function starts. */
  readonly aliasArn: string;
  readonly #stateMachineArn: string;

  constructor(scope: Construct, id: string, props: LiveAliasProps) {
    super(scope, id);
    this.#stateMachineArn = props.stateMachine.stateMachineArn;
    const machine = props.stateMachine.node.defaultChild as sfn.CfnStateMachine;
    this.version = new sfn.CfnStateMachineVersion(this, 'Version', {
      stateMachineArn: props.stateMachine.stateMachineArn,
      // A new revision (any change of definition or configuration) replaces this resource, which
      // publishes a version of exactly that revision.
      stateMachineRevisionId: machine.attrStateMachineRevisionId,
      description: props.version.slice(0, 256),
    });
    // The replaced version stays: the alias still routes to it while a gradual shift runs, and
    // executions that started on it finish on it.
    // Retained on deletion as well (CloudFormation wants both): deleting the stack deletes the
    // state machine, and Step Functions deletes its versions with it.
    this.version.applyRemovalPolicy(RemovalPolicy.RETAIN, { applyToUpdateReplacePolicy: true });

    const { deployment } = props;
    const alarms = (props.rollbackAlarms ?? []).map((alarm) => alarm.alarmName);
    this.alias = new sfn.CfnStateMachineAlias(this, 'Alias', {
      name: LIVE_ALIAS_NAME,
      description: `Executions of workflow ${props.workflow} start here (${deployment.type})`.slice(0, 256),
      deploymentPreference: {
        stateMachineVersionArn: this.version.attrArn,
        type: deployment.type,
        ...(deployment.percentage === undefined ? {} : { percentage: deployment.percentage }),
        ...(deployment.intervalMinutes === undefined ? {} : { interval: deployment.intervalMinutes }),
        ...(alarms.length === 0 ? {} : { alarms }),
      },
    });
    this.aliasArn = this.alias.ref;
  }

  /**
   * `states:StartExecution` through the alias only. Step Functions authorizes a qualified call on
   * the state machine's own ARN and names the qualifier in `states:StateMachineQualifier` (AWS,
   * "Authorization for versions and aliases"), so the grant is the machine with that condition: a
   * start of the unqualified machine or of a version is refused.
   */
  grantStartExecution(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [this.#stateMachineArn],
        conditions: { StringEquals: { [STATE_MACHINE_QUALIFIER_KEY]: LIVE_ALIAS_NAME } },
      }),
    );
  }
}
