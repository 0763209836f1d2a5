import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { METADATA } from '../../../lambdas/contracts.ts';
import { createExecutor } from '../../../local/runtime/executor.ts';
import { createLambdaAdapter, type LambdaAdapter } from '../../../local/runtime/lambda-adapter.ts';
import { type SfnEndpoint, startSfnEndpoint } from '../../../local/runtime/sfn-endpoint.ts';
import { type CfnTemplate, type LocalModel, readTemplate } from '../../../local/runtime/template.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;
const ENTRY = relative(ROOT, new URL('fixtures/echo.ts', import.meta.url).pathname);
const ARN = 'arn:aws:lambda:us-east-1:000000000000:function';
const SM = 'arn:aws:states:us-east-1:000000000000:stateMachine';

/**
 * The shape w3-stack synthesizes (written by hand, so this test does not wait for the stack): a
 * step function with a published Version that the Task invokes, a state machine with a
 * StateMachineVersion and a `live` alias with a DeploymentPreference, a start function whose
 * STATE_MACHINE_ARN is the alias, and alarms, a topic and an EventBridge rule that the offline
 * runtime has no use for.
 */
function versionedTemplate(): CfnTemplate {
  const definition = {
    StartAt: 'step',
    States: {
      step: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder
        Parameters: { FunctionName: '${StepFnVersion}', 'Payload.$': '$' },
        OutputPath: '$.Payload',
        End: true,
      },
    },
  };
  const fn = (env: Record<string, unknown>) => ({
    Type: 'AWS::Lambda::Function',
    Properties: { Handler: 'index.handler', Timeout: 10, Environment: { Variables: env } },
    Metadata: { [METADATA.entry]: ENTRY, [METADATA.handler]: 'handler' },
  });
  return {
    Resources: {
      StepFn: fn({ ALARM_TOPIC: { Ref: 'AlarmTopic' } }),
      StepFnVersionOld: { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: 'StepFn' } } },
      StepFnVersion: { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: 'StepFn' } } },
      StepFnAlias: {
        Type: 'AWS::Lambda::Alias',
        Properties: {
          FunctionName: { Ref: 'StepFn' },
          FunctionVersion: { 'Fn::GetAtt': ['StepFnVersion', 'Version'] },
          Name: 'live',
        },
      },
      Machine: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: {
          DefinitionString: {
            'Fn::Sub': [JSON.stringify(definition), { StepFnVersion: { Ref: 'StepFnVersion' } }],
          },
        },
        Metadata: { [METADATA.workflow]: 'versioned' },
      },
      MachineVersion: {
        Type: 'AWS::StepFunctions::StateMachineVersion',
        Properties: {
          StateMachineArn: { Ref: 'Machine' },
          StateMachineRevisionId: { 'Fn::GetAtt': ['Machine', 'StateMachineRevisionId'] },
          Description: '1.2.0',
        },
      },
      MachineAlias: {
        Type: 'AWS::StepFunctions::StateMachineAlias',
        Properties: {
          Name: 'live',
          DeploymentPreference: {
            StateMachineVersionArn: { Ref: 'MachineVersion' },
            Type: 'CANARY',
            Percentage: 10,
            Interval: 5,
            Alarms: [{ Ref: 'FailedAlarm' }],
          },
        },
      },
      StartFn: fn({
        STATE_MACHINE_ARN: { Ref: 'MachineAlias' },
        STEP_VERSION: { 'Fn::GetAtt': ['StepFnVersion', 'Version'] },
        STEP_ALIAS: { Ref: 'StepFnAlias' },
      }),
      OperateFn: fn({ STATE_MACHINE_ARN: { Ref: 'Machine' }, QUEUE: { 'Fn::GetAtt': ['Queue', 'Arn'] } }),
      AlarmTopic: { Type: 'AWS::SNS::Topic', Properties: {} },
      AlarmTopicSubscription: {
        Type: 'AWS::SNS::Subscription',
        Properties: { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: 'ops@example.com' },
      },
      FailedAlarm: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: { AlarmActions: [{ Ref: 'AlarmTopic' }], MetricName: 'ExecutionsFailed', Threshold: 1 },
      },
      Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
      StatusRule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventPattern: { source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'] },
          Targets: [{ Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, Id: 'Target0' }],
        },
      },
    },
  } as CfnTemplate;
}

describe('template with versions and aliases → local model and runtime', () => {
  let model: LocalModel;
  let lambdas: LambdaAdapter;
  let endpoint: SfnEndpoint;
  let sfn: SFNClient;

  before(async () => {
    model = readTemplate('Versioned', versionedTemplate(), { rootDir: ROOT });
    lambdas = createLambdaAdapter({ functions: model.functions, compileCacheDir: '' });
    const executors = await Promise.all(
      model.stateMachines.map((machine) => createExecutor({ machine, invoke: lambdas.invoke })),
    );
    endpoint = await startSfnEndpoint({ executors });
    sfn = new SFNClient({
      endpoint: endpoint.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  after(async () => {
    sfn.destroy();
    await endpoint.close();
    await lambdas.close();
  });

  test('Refs of versions and aliases resolve to qualified ARNs; topics, queues, alarms and rules are ignored', () => {
    const env = (id: string) => model.functions.find((fn) => fn.logicalId === id)?.env;
    assert.deepEqual(env('StartFn'), {
      STATE_MACHINE_ARN: `${SM}:Machine:live`,
      STEP_VERSION: '2',
      STEP_ALIAS: `${ARN}:StepFn:live`,
    });
    assert.deepEqual(env('OperateFn'), {
      STATE_MACHINE_ARN: `${SM}:Machine`,
      QUEUE: 'arn:aws:sqs:us-east-1:000000000000:Queue',
    });
    assert.deepEqual(env('StepFn'), { ALARM_TOPIC: 'arn:aws:sns:us-east-1:000000000000:AlarmTopic' });
    assert.deepEqual(
      model.functions.map((fn) => fn.logicalId),
      ['StepFn', 'StartFn', 'OperateFn'],
    );
    const [machine] = model.stateMachines;
    assert.deepEqual(machine?.qualifiedArns, [`${SM}:Machine:1`, `${SM}:Machine:live`]);
    const states = (machine?.definition.States ?? {}) as Record<
      string,
      { Parameters: { FunctionName: string } }
    >;
    const step = states.step;
    assert.equal(step?.Parameters.FunctionName, `${ARN}:StepFn:2`);
  });

  test('a qualified function ARN, alias ARN or Name:qualifier invokes the function', async () => {
    assert.equal(lambdas.find(`${ARN}:StepFn:2`)?.logicalId, 'StepFn');
    assert.equal(lambdas.find(`${ARN}:StepFn:live`)?.logicalId, 'StepFn');
    assert.equal(lambdas.find('StepFn:2')?.logicalId, 'StepFn');
    assert.equal(lambdas.find(`${ARN}:Nope:2`), undefined);
    assert.deepEqual(await lambdas.invoke(`${ARN}:StepFn:live`, { hi: 1 }), {
      event: { hi: 1 },
      invokedFunctionArn: `${ARN}:StepFn:live`,
      functionVersion: '$LATEST',
    });
  });

  test('StartExecution on the alias starts the machine; DescribeExecution names the alias and version', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: `${SM}:Machine:live`,
        name: 'via-alias',
        input: '{"n":1}',
      }),
    );
    assert.equal(executionArn, 'arn:aws:states:us-east-1:000000000000:execution:Machine:via-alias');
    await endpoint.getExecution(executionArn!)?.done;
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    assert.equal(described.status, 'SUCCEEDED');
    assert.equal(described.stateMachineArn, `${SM}:Machine`);
    assert.equal(described.stateMachineAliasArn, `${SM}:Machine:live`);
    assert.equal(described.stateMachineVersionArn, `${SM}:Machine:1`);
    // The Task invoked the published version, never the unqualified function.
    assert.deepEqual(JSON.parse(described.output ?? ''), {
      event: { n: 1 },
      invokedFunctionArn: `${ARN}:StepFn:2`,
      functionVersion: '2',
    });
  });

  test('StartExecution on the version works; ListExecutions filters by the ARN used; unknown qualifiers do not exist', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: `${SM}:Machine:1`, name: 'via-version', input: '{}' }),
    );
    await endpoint.getExecution(executionArn!)?.done;
    const names = async (stateMachineArn: string) =>
      ((await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions ?? []).map((e) => e.name);
    assert.deepEqual(await names(`${SM}:Machine`), ['via-version', 'via-alias']);
    assert.deepEqual(await names(`${SM}:Machine:live`), ['via-alias']);
    assert.deepEqual(await names(`${SM}:Machine:1`), ['via-version', 'via-alias']);
    await assert.rejects(
      sfn.send(new StartExecutionCommand({ stateMachineArn: `${SM}:Machine:beta`, input: '{}' })),
      { name: 'StateMachineDoesNotExist' },
    );
  });
});
