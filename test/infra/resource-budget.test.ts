/**
 * Past 110 steps (issue 14 §4): declarative HTTP steps share one function when a function per
 * step would pass CloudFormation's 500 resources, with the right timeouts and grants and each
 * step's variables in its payload; a workflow that still cannot fit gets a `file:line` diagnostic
 * with the numbers instead of CDK's synth-time error.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/build-app.ts';
import { MAX_STACK_RESOURCES } from '../../infra/resource-budget.ts';
import { stepPayloadConfig } from '../../infra/step-environment.ts';
import {
  HTTP_STEP_ENTRY,
  SHARED_HTTP_STEPS_ENV,
  sharedStepPayloadTemplate,
} from '../../lambdas/contracts.ts';
import { FAST, functionIdOf, resourcesOf, stubProject, versionIdOf } from './stack-fixture.ts';
import { diagnosticsOf } from './workflow/diagnostics-of.ts';

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A chain of `count` steps; HTTP steps call one of three services, step 2 waits 90 s. */
function chain(count: number, kind: 'http' | 'module'): string {
  const steps = Array.from({ length: count }, (_, index) => {
    const name = `step_${index + 1}`;
    const after = index === 0 ? '' : `    depends_on_step: step_${index}\n`;
    const timeout = index === 1 ? '    timeout_seconds: 90\n' : '';
    const config =
      kind === 'http'
        ? `    handler_config:\n      service: svc${index % 3}\n      url: "https://svc${index % 3}.example.com"\n      request: { method: POST, path: /things/${index + 1} }\n`
        : '';
    return `  - name: ${name}\n${after}${timeout}${config}`;
  });
  return `name: big_${kind}\nversion: 1.0.0\nstep_templates:\n${steps.join('')}`;
}

function build(yaml: string, context: Record<string, unknown> = {}) {
  const project = stubProject({ 'big.yaml': yaml });
  roots.push(project.rootDir);
  return buildApp({ ...FAST, rootDir: project.rootDir, configDir: project.configDir, context });
}

describe('a 300-step HTTP workflow', () => {
  const { stacks } = build(chain(300, 'http'));
  const stack = stacks[0]!;
  const template = Template.fromStack(stack);
  const resources = Object.keys(template.toJSON().Resources);

  test(`synthesizes under ${MAX_STACK_RESOURCES} resources, with one function for all HTTP steps`, () => {
    assert.ok(resources.length < MAX_STACK_RESOURCES, `${resources.length} resources`);
    const http = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).filter(
      (fn) => fn.Metadata?.['Stepflow:Entry'] === HTTP_STEP_ENTRY,
    );
    assert.equal(http.length, 1);
    console.log(`# 300 HTTP steps: ${resources.length} resources`);
  });

  test("the shared function's timeout is the longest step's, each Task keeps its own TimeoutSeconds", () => {
    const shared = functionIdOf(template, (metadata) => metadata['Stepflow:Entry'] === HTTP_STEP_ENTRY);
    const fn = resourcesOf(template, 'AWS::Lambda::Function')[shared]!;
    assert.equal(fn.Properties.Timeout, 90);
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    assert.equal(variables[SHARED_HTTP_STEPS_ENV], 'true');
    assert.equal(variables.SERVICE_URL, undefined, 'no one step owns the environment');
    assert.equal(variables.STEP_NAME, undefined);
  });

  test('may touch its own records and the breaker records of the three services it calls, nothing else', () => {
    const shared = functionIdOf(template, (metadata) => metadata['Stepflow:Entry'] === HTTP_STEP_ENTRY);
    const roleId = (
      resourcesOf(template, 'AWS::Lambda::Function')[shared]!.Properties.Role as { 'Fn::GetAtt': [string] }
    )['Fn::GetAtt'][0];
    const statements = Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
      .filter((policy) =>
        (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId),
      )
      .flatMap(
        (policy) =>
          (policy.Properties.PolicyDocument as { Statement: Array<{ Action: unknown; Condition?: unknown }> })
            .Statement,
      );
    const table = statements.filter((statement) => JSON.stringify(statement.Action).includes('dynamodb:'));
    assert.equal(table.length, 1);
    assert.deepEqual(table[0]?.Condition, {
      'ForAllValues:StringLike': {
        'dynamodb:LeadingKeys': [
          { 'Fn::Join': ['', ['idempotency#', { Ref: shared }]] },
          'BREAKER#svc0',
          'BREAKER#svc1',
          'BREAKER#svc2',
        ],
      },
    });
  });

  test("every Task invokes the shared function's version, and the compiler is offered each step's variables", () => {
    const shared = functionIdOf(template, (metadata) => metadata['Stepflow:Entry'] === HTTP_STEP_ENTRY);
    const version = versionIdOf(template, shared);
    const step = stack.spec.steps[1]!;
    assert.deepEqual(stack.resolve(stack.functions.stepVersions.get(step.name)?.functionArn), {
      Ref: version,
    });
    const config = stack.functions.stepConfigFor(step);
    assert.deepEqual(config, stepPayloadConfig(stack.spec, step));
    assert.equal(config?.STEP_NAME, 'step_2');
    assert.equal(config?.SERVICE_URL, 'https://svc1.example.com');
    assert.equal(config?.SERVICE_NAME, 'svc1');
    assert.deepEqual(
      sharedStepPayloadTemplate('big_http', 'step_2', step.request, config ?? {}).config,
      config,
    );
  });

  test('-c shareHttpSteps=never gives every step its function back, and the limit then says so at the file', () => {
    const diagnostics = diagnosticsOf(() => build(chain(300, 'http'), { shareHttpSteps: 'never' }));
    assert.equal(diagnostics.length, 1);
    assert.match(
      diagnostics[0]!,
      /^.*big\.yaml:1: the stack would have \d+ CloudFormation resources, over the limit of 500 \(30\d functions at 6 resources each: 0 of the 300 steps run a handler module and need a function of their own; largest: /,
    );
  });
});

describe('small workflows', () => {
  test('keep a function per HTTP step (auto), unless -c shareHttpSteps=always', () => {
    const own = Template.fromStack(build(chain(3, 'http')).stacks[0]!);
    const count = (template: Template) =>
      Object.values(resourcesOf(template, 'AWS::Lambda::Function')).filter(
        (fn) => fn.Metadata?.['Stepflow:Entry'] === HTTP_STEP_ENTRY,
      ).length;
    assert.equal(count(own), 3);
    assert.equal(
      count(Template.fromStack(build(chain(3, 'http'), { shareHttpSteps: 'always' }).stacks[0]!)),
      1,
    );
  });
});

describe('a workflow that cannot fit', () => {
  test("300 module steps: a file:line diagnostic with the numbers, not CDK's synth error", () => {
    const diagnostics = diagnosticsOf(() => build(chain(300, 'module')));
    assert.equal(diagnostics.length, 1);
    assert.match(
      diagnostics[0]!,
      /big\.yaml:1: the stack would have 18\d\d CloudFormation resources, over the limit of 500 \(303 functions at 6 resources each: 300 of the 300 steps run a handler module and need a function of their own; largest: AWS::IAM::Policy 604, AWS::Logs::LogGroup 305, AWS::IAM::Role 304, AWS::Lambda::Function 303\); split the workflow, or turn module steps into declarative HTTP steps$/,
    );
  });
});
