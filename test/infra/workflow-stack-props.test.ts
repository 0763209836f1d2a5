import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { REPO_ROOT } from '../../infra/build-app.ts';
import {
  loadWorkflowFile,
  type StepSpec,
  WorkflowError,
  type WorkflowSpec,
} from '../../infra/workflow/index.ts';
import { WorkflowStack, type WorkflowStackProps } from '../../infra/workflow-stack.ts';

const base = loadWorkflowFile('config/user_registration.yaml');

/** The real workflow with one step changed. */
function withStep(name: string, change: (step: StepSpec) => StepSpec): WorkflowSpec {
  return { ...base, steps: base.steps.map((step) => (step.name === name ? change(step) : step)) };
}

function stackFor(spec: WorkflowSpec, props: Partial<WorkflowStackProps> = {}): WorkflowStack {
  return new WorkflowStack(new App({ builtinCloudFormationValidation: false }), 'Test', {
    spec,
    rootDir: REPO_ROOT,
    bundling: false,
    ...props,
  });
}

const stepFunction = (step: string, properties: Record<string, unknown>) => ({
  Metadata: Match.objectLike({ 'Stepflow:Step': step }),
  Properties: Match.objectLike(properties),
});

describe('WorkflowStack props and per-step settings', () => {
  test('handler_config.memory_mb sets the step function memory', () => {
    const spec = withStep('send_welcome_sequence', (step) => ({
      ...step,
      handlerConfig: { ...step.handlerConfig, memory_mb: 512 },
    }));
    Template.fromStack(stackFor(spec)).hasResource(
      'AWS::Lambda::Function',
      stepFunction('send_welcome_sequence', { MemorySize: 512 }),
    );
  });

  test('an out-of-range memory_mb is a diagnostic at the step line', () => {
    const spec = withStep('send_welcome_sequence', (step) => ({
      ...step,
      handlerConfig: { ...step.handlerConfig, memory_mb: 64 },
    }));
    const line = spec.steps.find((step) => step.name === 'send_welcome_sequence')!.line;
    assert.throws(
      () => stackFor(spec),
      (error: unknown) =>
        error instanceof WorkflowError &&
        error.message ===
          `config/user_registration.yaml:${line}: step 'send_welcome_sequence' handler_config.memory_mb must be an integer from 128 to 10240 (Lambda's limits), got 64`,
    );
  });

  test('a request timeout not below the step timeout is a warning', () => {
    const spec = withStep('create_user_account', (step) => ({
      ...step,
      handlerConfig: { ...step.handlerConfig, request_timeout_seconds: 30 },
    }));
    const stack = stackFor(spec);
    assert.ok(
      stack.warnings.some((w) =>
        w.includes("step 'create_user_account' handler_config.request_timeout_seconds (30)"),
      ),
      stack.warnings.join('\n'),
    );
  });

  test("the compiler's budget warnings reach the stack's warnings", () => {
    const stack = stackFor({ ...base, timeoutSeconds: 60 });
    assert.ok(stack.warnings.length > 0, 'a 60 s workflow of 30 s steps with retries exceeds its budget');
  });

  test('without url or service the environment falls back to default_dependent_system and omits SERVICE_URL', () => {
    const spec = withStep('update_user_status', (step) => ({ ...step, handlerConfig: {} }));
    const template = Template.fromStack(stackFor(spec));
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (resource) => resource.Metadata?.['Stepflow:Step'] === 'update_user_status',
    );
    const variables = fn?.Properties.Environment.Variables as Record<string, unknown>;
    assert.equal(variables.SERVICE_NAME, 'user_service');
    assert.equal(variables.SERVICE_URL, undefined);
    assert.equal(variables.REQUEST_TIMEOUT_MS, '10000');
    assert.equal(variables.HANDLER_CONFIG, '{}');
  });

  test('an express workflow becomes an EXPRESS state machine', () => {
    // Short steps, so the compiler's Express budget (300 s worst case) is met.
    const steps = base.steps.map((step) => ({
      ...step,
      timeoutSeconds: 5,
      honorRetryAfter: false,
      retry: { ...step.retry, limit: 1 },
    }));
    const template = Template.fromStack(
      stackFor({ ...base, steps, executionType: 'EXPRESS', timeoutSeconds: 120 }),
    );
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'EXPRESS' });
  });

  test('idempotencyTtl and tableRemovalPolicy props reach the functions and the table', () => {
    const template = Template.fromStack(
      stackFor(base, { idempotencyTtl: Duration.hours(2), tableRemovalPolicy: RemovalPolicy.DESTROY }),
    );
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ IDEMPOTENCY_TTL_SECONDS: '7200' }) },
    });
  });

  test("an environment over Lambda's 4 KB limit stops synth naming the function", () => {
    const spec = withStep('create_user_account', (step) => ({
      ...step,
      handlerConfig: { ...step.handlerConfig, note: 'x'.repeat(5000) },
    }));
    assert.throws(
      () => stackFor(spec),
      /^Error: function create_user_account: its environment is \d+ bytes, over Lambda's 4 KB limit/,
    );
  });
  test('a workflow whose step list would crowd the 4 KB Lambda environment goes without WORKFLOW_STEPS', () => {
    const template = base.steps[0]!;
    // 50 steps with 30-character names: about 1.6 KB of JSON, over WORKFLOW_STEPS_MAX_BYTES.
    const steps: StepSpec[] = Array.from({ length: 50 }, (_, i) => ({
      ...template,
      name: `registration_step_number_${String(i).padStart(5, '0')}`,
      dependsOn: [],
    }));
    const functions = Template.fromStack(stackFor({ ...base, steps })).findResources('AWS::Lambda::Function');
    const status = Object.values(functions).find(
      (fn) => fn.Metadata?.['Stepflow:Entry'] === 'lambdas/api/get-execution.ts',
    );
    assert.ok(status, 'status function');
    const variables = status.Properties.Environment.Variables as Record<string, unknown>;
    assert.equal(variables.WORKFLOW_STEPS, undefined);
    assert.ok(variables.WORKFLOW_NAME, 'the rest of the environment is still there');
  });
});
