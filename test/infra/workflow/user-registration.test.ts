import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { renderDefinition } from '../../../infra/render-definition.ts';
import { analyzeWorkflow, compileWorkflow, loadWorkflowFile } from '../../../infra/workflow/index.ts';
import { COMPENSATED_FAIL_STATE } from '../../../lambdas/contracts.ts';
import { analyze, runLocally } from './asl-analysis.ts';
import { renderFull, runOnEngine } from './engine-run.ts';

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
    const definition = renderFull(spec);
    // The happy path first (in order), then the compensation states (CDK's order).
    const names = Object.keys(definition.States as object);
    assert.deepEqual(names.slice(0, 5), [
      'create_user_account',
      'setup_billing_profile + initialize_preferences',
      'setup_billing_profile + initialize_preferences (any failed?)',
      'send_welcome_sequence',
      'update_user_status',
    ]);
    assert.deepEqual(
      [...names].sort(),
      [
        'create_user_account',
        'setup_billing_profile + initialize_preferences',
        'setup_billing_profile + initialize_preferences (any failed?)',
        'send_welcome_sequence',
        'update_user_status',
        'update_user_status (failed)',
        'send_welcome_sequence (undo?)',
        'send_welcome_sequence (failed)',
        'create_user_account (failed)',
        'setup_billing_profile (undo?)',
        'send_welcome_sequence (undo)',
        'send_welcome_sequence (undo failed)',
        'create_user_account (undo?)',
        'setup_billing_profile (undo)',
        'setup_billing_profile (undo failed)',
        COMPENSATED_FAIL_STATE,
        'create_user_account (undo)',
        'create_user_account (undo failed)',
      ].sort(),
    );
    const { parallels } = analyze(definition);
    assert.deepEqual(parallels, [
      {
        name: 'setup_billing_profile + initialize_preferences',
        branches: [['setup_billing_profile'], ['initialize_preferences']],
      },
    ]);
    assert.equal(definition.TimeoutSeconds, undefined, 'the StateGraph of renderFull carries no timeout');
  });

  test('compensations: a permanent failure at update_user_status undoes the welcome, the billing profile and the user, in that order', async () => {
    const input = { correlation_id: 'reg_1', user_info: { email: 'a@example.com', name: 'A', plan: 'pro' } };
    const run = runOnEngine(renderFull(spec), {
      input,
      failures: { update_user_status: ['PermanentError'] },
    });
    await run.execution.done;
    assert.equal(run.execution.status, 'FAILED');
    assert.equal(run.execution.error, 'PermanentError');
    assert.deepEqual(
      run.calls.filter((c) => c.step.endsWith(':undo')).map((c) => [c.step, c.fn]),
      [
        ['send_welcome_sequence:undo', 'user_registration-send_welcome_sequence-undo'],
        ['setup_billing_profile:undo', 'user_registration-setup_billing_profile-undo'],
        ['create_user_account:undo', 'user_registration-create_user_account-undo'],
      ],
    );
    assert.equal(run.entered().at(-1), COMPENSATED_FAIL_STATE);
  });

  test('an exhausted retryable failure at update_user_status undoes nothing and stays redrivable', async () => {
    const run = runOnEngine(renderFull(spec), {
      failures: { update_user_status: ['RetryableError', 'RetryableError', 'RetryableError'] },
    });
    await run.execution.done;
    assert.equal(run.execution.status, 'FAILED');
    assert.equal(run.execution.error, 'RetryableError');
    assert.equal(run.calls.filter((c) => c.step.endsWith(':undo')).length, 0);
    assert.equal(run.execution.redriveStatus.status, 'REDRIVABLE');
    run.execution.redrive();
    await run.execution.done;
    assert.equal(run.execution.status, 'SUCCEEDED');
    assert.equal(run.calls.filter((c) => c.step === 'create_user_account').length, 1);
  });

  test('runs end to end on the local executor; a preferences outage completes with the plan fallback', async () => {
    const definition = renderFull(spec);
    const input = {
      correlation_id: 'reg_1_abcdef12',
      user_info: { email: 'a@example.com', name: 'A', plan: 'pro' },
    };
    const { output, invocations } = await runLocally(definition, {
      input,
      failures: { initialize_preferences: ['PermanentError'] },
    });
    assert.ok(!invocations.some((i) => i.step.endsWith(' (undo)')), 'a fallback compensates nothing');
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
    const fn = (id: string, name: string): lambda.IFunction =>
      lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:eu-west-1:111111111111:function:${name}`);
    const compiled = compileWorkflow(stack, analyzed, {
      functionFor: (step) => fn(step.name, `user_registration-${step.name}`),
      compensationFunctionFor: (step) => fn(`${step.name}-undo`, `user_registration-${step.name}-undo`),
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
    const rendered = JSON.stringify({
      ...renderFull(spec),
      TimeoutSeconds: 900,
      Comment: spec.description,
    }).replaceAll('us-east-1:123456789012', 'eu-west-1:111111111111');
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
