import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { renderDefinition } from '../../../infra/render-definition.ts';
import { analyzeWorkflow, compileWorkflow, loadWorkflowFile } from '../../../infra/workflow/index.ts';
import { analyze, runLocally } from './asl-analysis.ts';

const spec = loadWorkflowFile('config/user_registration.yaml');

describe('config/user_registration.yaml', () => {
  test('loads with the documented steps, limits and extensions', () => {
    assert.deepEqual(
      spec.steps.map((s) => [s.name, s.retry.limit, s.handlerPath]),
      [
        ['create_user_account', 3, 'lambdas/steps/user_registration/create-user-account.ts'],
        ['setup_billing_profile', 3, 'lambdas/steps/user_registration/setup-billing-profile.ts'],
        ['initialize_preferences', 3, 'lambdas/steps/user_registration/initialize-preferences.ts'],
        ['send_welcome_sequence', 5, 'lambdas/steps/user_registration/send-welcome-sequence.ts'],
        ['update_user_status', 2, 'lambdas/steps/user_registration/update-user-status.ts'],
      ],
    );
    assert.equal(spec.steps[2]?.onFailure, 'continue');
    assert.equal(spec.steps[3]?.honorRetryAfter, true);
    assert.deepEqual(spec.customEvents, [
      'service_call_started',
      'service_call_completed',
      'service_call_failed',
    ]);
    assert.equal(spec.executionType, 'STANDARD');
    assert.equal(spec.timeoutSeconds, 900);
  });

  test('billing and preferences sit in one Parallel between account creation and the welcome sequence', () => {
    const definition = renderDefinition(spec);
    assert.deepEqual(Object.keys(definition.States as object), [
      'create_user_account',
      'setup_billing_profile + initialize_preferences',
      'send_welcome_sequence',
      'update_user_status',
    ]);
    const { parallels } = analyze(definition);
    assert.deepEqual(parallels, [
      {
        name: 'setup_billing_profile + initialize_preferences',
        branches: [['setup_billing_profile'], ['initialize_preferences']],
      },
    ]);
    assert.equal(definition.TimeoutSeconds, 900);
  });

  test('runs end to end on the local executor; a preferences outage completes with the plan fallback', async () => {
    const definition = renderDefinition(spec);
    const input = {
      correlation_id: 'reg_1_abcdef12',
      user_info: { email: 'a@example.com', name: 'A', plan: 'pro' },
    };
    const { output, invocations } = await runLocally(definition, {
      input,
      failures: { initialize_preferences: ['PermanentError'] },
    });
    const steps = output.steps as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(steps).sort(), spec.steps.map((s) => s.name).sort());
    assert.deepEqual(
      { ...steps.initialize_preferences, error: undefined },
      {
        status: 'defaults_applied',
        preferences_source: 'plan_defaults',
        plan: 'pro',
        fallback_used: true,
        error: undefined,
      },
    );
    const welcome = invocations.find((i) => i.step === 'send_welcome_sequence');
    assert.deepEqual(welcome?.seenSteps.sort(), [
      'create_user_account',
      'initialize_preferences',
      'setup_billing_profile',
    ]);
  });

  test('compileWorkflow builds the same definition inside a stack with real function constructs', () => {
    const stack = new Stack(new App(), 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
    const analyzed = analyzeWorkflow(spec);
    assert.deepEqual(analyzed.warnings, []);
    const compiled = compileWorkflow(stack, analyzed, {
      functionFor: (step) =>
        lambda.Function.fromFunctionArn(
          stack,
          step.name,
          `arn:aws:lambda:eu-west-1:111111111111:function:user_registration-${step.name}`,
        ),
    });
    assert.equal(compiled.timeout?.toSeconds(), 900);
    new sfn.StateMachine(stack, 'Machine', {
      definitionBody: sfn.DefinitionBody.fromChainable(compiled.chain),
      ...(compiled.timeout === undefined ? {} : { timeout: compiled.timeout }),
      comment: compiled.comment,
    });
    const [machine] = Object.values(
      Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'),
    );
    const synthesized = JSON.parse(machine?.Properties.DefinitionString as string) as Record<string, unknown>;
    const rendered = JSON.stringify(renderDefinition(analyzed)).replaceAll(
      'us-east-1:123456789012',
      'eu-west-1:111111111111',
    );
    // The same definition, Comment and TimeoutSeconds included, byte for byte.
    assert.equal(machine?.Properties.DefinitionString, rendered);
    assert.equal(synthesized.Comment, spec.description);
  });
});

describe('plain Tasker templates', () => {
  test('an unchanged Tasker e-commerce template compiles with Tasker defaults', () => {
    const tasker = loadWorkflowFile('test/fixtures/workflows/valid/tasker-order-processing.yaml');
    assert.equal(tasker.name, 'process_order');
    assert.equal(tasker.taskHandlerClass, 'Ecommerce::OrderProcessingHandler');
    assert.deepEqual(tasker.customEvents, ['order_payment_failed', 'order_completed']);
    const createOrder = tasker.steps.find((s) => s.name === 'create_order');
    assert.equal(createOrder?.retryable, false);
    assert.equal(createOrder?.timeoutSeconds, 30);
    // Tasker keeps a step's timeout in handler_config.timeout_seconds.
    assert.equal(tasker.steps.find((s) => s.name === 'validate_cart')?.timeoutSeconds, 15);
    assert.equal(createOrder?.handlerClass, 'Ecommerce::StepHandlers::CreateOrderHandler');
    const { tasks, parallels } = analyze(renderDefinition(tasker));
    assert.deepEqual(tasks, [
      'validate_cart',
      'process_payment',
      'update_inventory',
      'create_order',
      'send_confirmation',
    ]);
    assert.equal(parallels.length, 0);
  });

  test("Tasker's older fields (module_namespace, named_steps, environments) load, and roots run concurrently", () => {
    const tasker = loadWorkflowFile('test/fixtures/workflows/valid/tasker-integration-example.yaml');
    const { parallels } = analyze(renderDefinition(tasker));
    assert.deepEqual(
      parallels.map((p) => p.name),
      ['fetch_cart + fetch_products'],
    );
  });
});
