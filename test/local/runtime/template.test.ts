import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, type CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { METADATA } from '../../../lambdas/contracts.ts';
import { collectTaskStates } from '../../../local/runtime/executor.ts';
import { type CfnTemplate, readTemplate } from '../../../local/runtime/template.ts';

// CDK's built-in CloudFormation validation costs seconds per synth and is not under test here.
process.env.CDK_VALIDATION = 'false';

/** A small stack shaped like the project's: metadata on the function, env with tokens, API route. */
function handBuiltTemplate(): CfnTemplate {
  const app = new App();
  const stack = new Stack(app, 'Tiny');
  const table = new dynamodb.Table(stack, 'Table', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  });
  const fn = new lambda.Function(stack, 'StepFn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    handler: 'index.handler',
    timeout: Duration.seconds(12),
    memorySize: 512,
    environment: { TABLE_NAME: table.tableName, TABLE_ARN: table.tableArn, STEP_NAME: 'create' },
  });
  const cfn = fn.node.defaultChild as CfnResource;
  cfn.addMetadata(METADATA.entry, 'lambdas/steps/create.ts');
  cfn.addMetadata(METADATA.handler, 'handler');
  cfn.addMetadata(METADATA.step, 'create');
  const direct = new tasks.LambdaInvoke(stack, 'create', { lambdaFunction: fn, payloadResponseOnly: true });
  const viaSdk = new tasks.LambdaInvoke(stack, 'again', { lambdaFunction: fn });
  const machine = new sfn.StateMachine(stack, 'Machine', {
    definitionBody: sfn.DefinitionBody.fromChainable(
      direct.next(new sfn.Parallel(stack, 'both').branch(viaSdk).branch(new sfn.Pass(stack, 'idle'))),
    ),
  });
  (machine.node.defaultChild as CfnResource).addMetadata(METADATA.workflow, 'tiny');
  const api = new apigateway.RestApi(stack, 'Api');
  const status = new lambda.Function(stack, 'StatusFn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    handler: 'index.handler',
    environment: { STATE_MACHINE_ARN: machine.stateMachineArn },
  });
  (status.node.defaultChild as CfnResource).addMetadata(METADATA.entry, 'lambdas/api/status.ts');
  api.root
    .addResource('items')
    .addResource('{item_id}')
    .addMethod('GET', new apigateway.LambdaIntegration(status));
  return app.synth().getStackByName('Tiny').template as CfnTemplate;
}

describe('template → local model', () => {
  const model = readTemplate('Tiny', handBuiltTemplate(), { rootDir: '/repo' });

  test('lists the functions with entry, handler, timeout, memory and resolved env', () => {
    const step = model.functions.find((fn) => fn.step === 'create');
    assert.ok(step);
    assert.equal(step.modulePath, '/repo/lambdas/steps/create.ts');
    assert.equal(step.handler, 'handler');
    assert.equal(step.timeoutSeconds, 12);
    assert.equal(step.memoryMb, 512);
    const tableId = Object.keys(model.tables)[0]!;
    assert.equal(step.env.TABLE_NAME, `Tiny-${tableId}`);
    assert.equal(step.env.TABLE_ARN, `arn:aws:dynamodb:us-east-1:000000000000:table/Tiny-${tableId}`);
    assert.equal(step.arn, `arn:aws:lambda:us-east-1:000000000000:function:${step.logicalId}`);
  });

  test('resolves the state machine ARN in env and every token in the definition', () => {
    const machine = model.stateMachines[0]!;
    assert.equal(machine.workflow, 'tiny');
    assert.equal(machine.arn, `arn:aws:states:us-east-1:000000000000:stateMachine:${machine.logicalId}`);
    const status = model.functions.find((fn) => fn.modulePath.endsWith('status.ts'));
    assert.equal(status?.env.STATE_MACHINE_ARN, machine.arn);
    const text = JSON.stringify(machine.definition);
    assert.ok(!text.includes('Fn::') && !text.includes('"Ref"'), text);
    const taskStates = collectTaskStates(machine.definition);
    const step = model.functions.find((fn) => fn.step === 'create')!;
    assert.deepEqual(taskStates.get('create'), { type: 'lambda', functionArn: step.arn });
    assert.equal(
      taskStates.get('again')?.type,
      'sdk-invoke',
      'Task states inside Parallel branches are found',
    );
  });

  test('derives API routes from resources and Lambda proxy integrations', () => {
    const status = model.functions.find((fn) => fn.modulePath.endsWith('status.ts'))!;
    assert.deepEqual(model.routes, [
      { method: 'GET', path: '/items/{item_id}', functionId: status.functionName },
    ]);
  });

  test('fails naming the place of an unsupported intrinsic', () => {
    const template: CfnTemplate = {
      Resources: {
        Fn: {
          Type: 'AWS::Lambda::Function',
          Metadata: { [METADATA.entry]: 'x.ts' },
          Properties: { Environment: { Variables: { X: { 'Fn::ImportValue': 'Shared' } } } },
        },
      },
    };
    assert.throws(() => readTemplate('S', template, { rootDir: '/r' }), {
      message:
        'template S: Fn.Environment.Variables.X: intrinsic Fn::ImportValue is not supported by the offline runtime',
    });
  });

  test('reads the real app: every step maps to its handler module', async () => {
    const { buildApp } = await import('../../../infra/build-app.ts');
    const { app, stacks } = buildApp({ bundling: false });
    const assembly = app.synth();
    const stack = stacks[0]!;
    const real = readTemplate(
      stack.stackName,
      assembly.getStackByName(stack.stackName).template as CfnTemplate,
      {
        rootDir: '/repo',
      },
    );
    const taskStates = collectTaskStates(real.stateMachines[0]!.definition);
    const byArn = new Map(real.functions.map((fn) => [fn.arn, fn]));
    let steps = 0;
    for (const [stateName, task] of taskStates) {
      // Tasks invoke published versions (`...:function:Name:N`): the function is Name.
      const arn = task.functionArn ?? '';
      const fn = byArn.get(arn) ?? byArn.get(arn.replace(/:[^:]+$/, ''));
      assert.ok(fn, `state ${stateName} resolves to a function`);
      assert.match(fn.modulePath, /^\/repo\/lambdas\/steps\/user_registration\/[a-z-]+\.ts$/);
      if (stateName.endsWith(' (undo)')) {
        assert.match(fn.modulePath, /\/undo-[a-z-]+\.ts$/, `${stateName} runs an undo module`);
        continue;
      }
      assert.equal(fn.step, stateName);
      steps++;
    }
    assert.equal(steps, 5);
    const routes = real.routes.map((route) => `${route.method} ${route.path}`);
    for (const route of ['GET /registrations/{correlation_id}', 'POST /registrations', 'GET /registrations'])
      assert.ok(routes.includes(route), `${route} is served`);
  });
});
