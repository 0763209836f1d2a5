import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { App, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { REPO_ROOT } from '../../infra/build-app.ts';
import {
  analyzeWorkflow,
  formatDiagnostic,
  parseWorkflow,
  type StepSpec,
  WorkflowError,
  type WorkflowSpec,
} from '../../infra/workflow/index.ts';
import { WorkflowStack, type WorkflowStackProps } from '../../infra/workflow-stack.ts';
import { stepVariables } from './stack-fixture.ts';

const FILE = 'config/user_registration.yaml';
const FLAGSHIP = readFileSync(join(REPO_ROOT, FILE), 'utf8');

/** The flagship's YAML with `from` replaced by `to` (which must be in the file once). */
function edited(from: string, to: string): string {
  assert.equal(FLAGSHIP.split(from).length, 2, `'${from}' appears once in ${FILE}`);
  return FLAGSHIP.replace(from, to);
}

/** The line of the first occurrence of `text` in `yaml`. */
function lineOf(yaml: string, text: string): number {
  return yaml.slice(0, yaml.indexOf(text)).split('\n').length;
}

/** The stack built from YAML text, through every stage as buildApp runs them. */
function stackFor(yamlOrSpec: string | WorkflowSpec, props: Partial<WorkflowStackProps> = {}): WorkflowStack {
  const spec = typeof yamlOrSpec === 'string' ? parseWorkflow(yamlOrSpec, FILE) : yamlOrSpec;
  return new WorkflowStack(new App({ builtinCloudFormationValidation: false }), 'Test', {
    workflow: analyzeWorkflow(spec, { rootDir: REPO_ROOT }),
    rootDir: REPO_ROOT,
    bundling: false,
    ...props,
  });
}

const stepFunction = (step: string, properties: Record<string, unknown>) => ({
  Metadata: Match.objectLike({ 'Stepflow:Step': step }),
  Properties: Match.objectLike(properties),
});

const WELCOME_CONFIG = '      service: notification\n';

describe('WorkflowStack props and per-step settings', () => {
  test('handler_config.memory_mb sets the step function memory; the others keep 256 MB', () => {
    const template = Template.fromStack(
      stackFor(edited(WELCOME_CONFIG, `${WELCOME_CONFIG}      memory_mb: 512\n`)),
    );
    template.hasResource('AWS::Lambda::Function', stepFunction('send_welcome_sequence', { MemorySize: 512 }));
    template.hasResource('AWS::Lambda::Function', stepFunction('create_user_account', { MemorySize: 256 }));
  });

  test('an out-of-range memory_mb is a diagnostic at its line, reported before any stack is built', () => {
    const yaml = edited(WELCOME_CONFIG, `${WELCOME_CONFIG}      memory_mb: 64\n`);
    assert.throws(
      () => stackFor(yaml),
      (error: unknown) =>
        error instanceof WorkflowError &&
        error.diagnostics.map(formatDiagnostic).join('\n') ===
          `${FILE}:${lineOf(yaml, 'memory_mb: 64')}: step 'send_welcome_sequence': handler_config.memory_mb must be an integer from 128 to 10240 (Lambda's limits), got 64`,
    );
  });

  test('a request timeout not below the step timeout is exactly one warning, at its line', () => {
    const from = '      url: https://users.internal.example.com\n      request_timeout_seconds: 10\n';
    const yaml = FLAGSHIP.replace(from, from.replace('10', '30'));
    assert.notEqual(yaml, FLAGSHIP);
    const stack = stackFor(yaml);
    assert.deepEqual(stack.warnings, [
      `${FILE}:${lineOf(yaml, 'request_timeout_seconds: 30')}: warning: step 'create_user_account' handler_config.request_timeout_seconds (30) is not below timeout_seconds (30): a slow service will end in a Lambda timeout instead of a retryable error`,
    ]);
    assert.equal(stepVariables(Template.fromStack(stack), 'create_user_account').REQUEST_TIMEOUT_MS, '30000');
  });

  test("the checks stage's budget warnings are the stack's warnings, one per step over the budget", () => {
    const yaml = edited('timeout_seconds: 900\n', 'timeout_seconds: 60\n');
    const stack = stackFor(yaml);
    assert.deepEqual(stack.warnings, stack.workflow.warnings);
    assert.equal(stack.warnings.length, 5);
    assert.equal(
      stack.warnings[0],
      `${FILE}:${lineOf(yaml, '- name: create_user_account')}: warning: step 'create_user_account' could run 163 s in the worst case (4 attempts x 30 s + 43 s of retry waits), longer than the workflow's timeout_seconds (60)`,
    );
  });

  test('without url or service the service key is default_dependent_system and SERVICE_URL is left out', () => {
    const from =
      '    handler_config:\n      service: user\n      url: https://users.internal.example.com\n      request_timeout_seconds: 10\n';
    assert.equal(FLAGSHIP.split(from).length, 3, 'both user-service steps');
    const yaml =
      FLAGSHIP.slice(0, FLAGSHIP.lastIndexOf(from)) +
      FLAGSHIP.slice(FLAGSHIP.lastIndexOf(from) + from.length);
    const variables = stepVariables(Template.fromStack(stackFor(yaml)), 'update_user_status');
    assert.equal(variables.SERVICE_NAME, 'user_service');
    assert.equal(variables.SERVICE_URL, undefined);
    assert.equal(variables.REQUEST_TIMEOUT_MS, '10000');
    assert.equal(variables.HANDLER_CONFIG, '{}');
  });

  test('an express workflow becomes an EXPRESS state machine', () => {
    // Short steps, so the Express budget (300 s worst case) is met.
    const base = parseWorkflow(FLAGSHIP, FILE);
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
      stackFor(FLAGSHIP, { idempotencyTtl: Duration.hours(2), tableRemovalPolicy: RemovalPolicy.DESTROY }),
    );
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ IDEMPOTENCY_TTL_SECONDS: '7200' }) },
    });
  });

  test("an environment over Lambda's 4 KB limit stops synth naming the function", () => {
    const yaml = edited(WELCOME_CONFIG, `${WELCOME_CONFIG}      note: ${'x'.repeat(5000)}\n`);
    assert.throws(
      () => stackFor(yaml),
      /^Error: function send_welcome_sequence: its environment is \d+ bytes, over Lambda's 4 KB limit/,
    );
  });

  test('a workflow whose step list would crowd the 4 KB Lambda environment goes without WORKFLOW_STEPS', () => {
    const base = parseWorkflow(FLAGSHIP, FILE);
    // Without its compensation: the test is about the environment, not about 100 functions.
    const { compensate: _compensate, ...template } = base.steps[0]! as StepSpec & { compensate?: unknown };
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
