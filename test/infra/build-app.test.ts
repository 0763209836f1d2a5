import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { API_ENTRIES } from '../../infra/api.ts';
import { buildApp, REPO_ROOT } from '../../infra/build-app.ts';
import { WorkflowError } from '../../infra/workflow/index.ts';
import { HTTP_STEP_ENTRY, OPERATOR_ENV, operatorRecordKey } from '../../lambdas/contracts.ts';
import { createOperatorHandler } from '../../lambdas/runtime/await-operator.ts';
import { createWorkflowTable, startDynalite } from '../../local/dynamo.ts';
import { FAST, handlerModulesOf, stubProject } from './stack-fixture.ts';

/**
 * A throwaway project: three workflow files (the real one and two plain Tasker templates) and a
 * stub module for every handler, so buildApp can be exercised on several workflows at once.
 */
const root = mkdtempSync(join(tmpdir(), 'build-app-'));
after(() => rmSync(root, { recursive: true, force: true }));
const configDir = join(root, 'config');
mkdirSync(configDir);
copyFileSync(join(REPO_ROOT, 'config', 'user_registration.yaml'), join(configDir, 'user_registration.yaml'));
for (const name of ['tasker-order-processing.yaml', 'tasker-integration-example.yaml']) {
  copyFileSync(join(REPO_ROOT, 'test', 'fixtures', 'workflows', 'valid', name), join(configDir, name));
}
writeFileSync(join(root, 'package-lock.json'), '{}');
const stub = (entry: string) => {
  mkdirSync(dirname(join(root, entry)), { recursive: true });
  writeFileSync(join(root, entry), 'export const handler = async (event: unknown) => event;\n');
};
for (const entry of Object.values(API_ENTRIES)) stub(entry);
// Steps' and compensations' modules.
const stepEntries = handlerModulesOf(configDir);
for (const entry of stepEntries) stub(entry);

describe('buildApp', () => {
  test('builds one stack per workflow file, named after the workflow', () => {
    const { stacks } = buildApp({ rootDir: root, configDir, ...FAST });
    assert.deepEqual(stacks.map((stack) => stack.stackName).sort(), [
      'ApiTaskIntegrationYamlExampleWorkflow',
      'ProcessOrderWorkflow',
      'UserRegistrationWorkflow',
    ]);
  });

  test('without bundling runs no esbuild, yet every function keeps its entry metadata and environment', () => {
    const { app, stacks } = buildApp({ rootDir: root, configDir, ...FAST });
    const order = stacks.find((stack) => stack.stackName === 'ProcessOrderWorkflow')!;
    const template = Template.fromStack(order);
    const assembly = app.synth();
    assert.deepEqual(
      readdirSync(assembly.directory).filter((name) => name.startsWith('asset.')),
      [],
      'no bundled asset directory',
    );
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    const entries = functions.map((fn) => fn.Metadata['Stepflow:Entry']).sort();
    assert.deepEqual(
      entries,
      [...order.spec.steps.map((step) => step.handlerPath), ...Object.values(API_ENTRIES)].sort(),
    );
    for (const fn of functions) {
      assert.equal(fn.Properties.Handler, 'index.handler');
      assert.ok(fn.Properties.Environment.Variables.TABLE_NAME, 'full environment');
    }
  });

  test('reads the workflow folder from WORKFLOW_CONFIG_DIR when none is given', () => {
    const single = join(root, 'single');
    mkdirSync(single);
    copyFileSync(join(configDir, 'tasker-order-processing.yaml'), join(single, 'order.yaml'));
    process.env.WORKFLOW_CONFIG_DIR = single;
    try {
      const { stacks } = buildApp({ rootDir: root, ...FAST });
      assert.deepEqual(
        stacks.map((stack) => stack.stackName),
        ['ProcessOrderWorkflow'],
      );
    } finally {
      delete process.env.WORKFLOW_CONFIG_DIR;
    }
  });

  test('reports every missing handler module of every file at its step line in one WorkflowError', () => {
    const bare = mkdtempSync(join(tmpdir(), 'build-app-bare-'));
    try {
      writeFileSync(join(bare, 'package-lock.json'), '{}');
      assert.throws(
        () => buildApp({ rootDir: bare, configDir, ...FAST }),
        (error: unknown) => {
          assert.ok(error instanceof WorkflowError);
          assert.equal(error.diagnostics.length, stepEntries.length);
          const validateCart = error.diagnostics.find((d) => d.message.includes("'validate_cart'"));
          assert.equal(validateCart?.file, join(configDir, 'tasker-order-processing.yaml'));
          assert.equal(validateCart?.line, 44);
          return true;
        },
      );
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  /** A project with `present` modules only: buildApp names the first built-in one missing. */
  const assertMissingModule = (present: readonly string[], missing: string) => {
    const partial = mkdtempSync(join(tmpdir(), 'build-app-partial-'));
    try {
      writeFileSync(join(partial, 'package-lock.json'), '{}');
      for (const entry of present) {
        mkdirSync(dirname(join(partial, entry)), { recursive: true });
        writeFileSync(join(partial, entry), 'export const handler = async () => ({});\n');
      }
      assert.throws(() => buildApp({ rootDir: partial, configDir, ...FAST }), {
        message: `built-in handler module ${missing} not found under ${partial}`,
      });
    } finally {
      rmSync(partial, { recursive: true, force: true });
    }
  };

  test('names a missing API module', () => {
    assertMissingModule(stepEntries, 'lambdas/api/start-execution.ts');
  });

  test('names a missing operations module: the operator routes are part of every API', () => {
    assertMissingModule(
      [...stepEntries, API_ENTRIES.start, API_ENTRIES.status],
      'lambdas/api/operate-execution.ts',
    );
  });

  test('the operator function keeps a task token as long as the longest operator wait', async () => {
    // Two await_operator steps: 3600 s (the fixture's) and 7200 s.
    const yaml = readFileSync(
      join(REPO_ROOT, 'test/fixtures/workflows/valid/operated-orders.yaml'),
      'utf8',
    ).replace(
      /( {2}- name: notify_customer\n {4}depends_on_step: charge_card\n)/,
      '$1    on_failure: await_operator\n    operator_timeout_seconds: 7200\n',
    );
    assert.match(yaml, /operator_timeout_seconds: 7200/);
    const project = stubProject({ 'orders.yaml': yaml });
    const dynamo = await startDynalite();
    try {
      const [stack] = buildApp({ ...FAST, rootDir: project.rootDir, configDir: project.configDir }).stacks;
      const operators = Object.values(
        Template.fromStack(stack!).findResources('AWS::Lambda::Function'),
      ).filter((fn) => fn.Metadata['Stepflow:Entry'] === 'lambdas/runtime/await-operator.ts');
      assert.equal(operators.length, 1);
      const variables = operators[0]!.Properties.Environment.Variables as Record<string, unknown>;
      assert.equal(variables[OPERATOR_ENV.timeoutSeconds], '7200');

      // The function's record expires after that many seconds.
      await createWorkflowTable(dynamo.client, 'orders');
      const now = 1_800_000_000_500;
      const handler = createOperatorHandler({
        env: {
          TABLE_NAME: 'orders',
          POWERTOOLS_LOG_LEVEL: 'ERROR',
          [OPERATOR_ENV.timeoutSeconds]: String(variables[OPERATOR_ENV.timeoutSeconds]),
        },
        dynamodb: dynamo.client,
        now: () => now,
      });
      await handler({
        workflow: 'operated_orders',
        step: 'charge_card',
        correlation_id: 'ord-1',
        task_token: 'token-1',
        error: { Error: 'PermanentError' },
        execution_id: 'arn:aws:states:us-east-1:000000000000:execution:operated_orders:ord-1',
      });
      const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
      const key = operatorRecordKey('ord-1', 'charge_card');
      const { Item } = await dynamo.client.send(
        new GetItemCommand({ TableName: 'orders', Key: { pk: { S: key.pk }, sk: { S: key.sk } } }),
      );
      assert.equal(Item?.expires_at?.N, String(Math.ceil(now / 1000) + 7200));
    } finally {
      await dynamo.close();
      rmSync(project.rootDir, { recursive: true, force: true });
    }
  });

  test('names the built-in HTTP step module when a workflow has HTTP steps and the module is missing', () => {
    const http = mkdtempSync(join(tmpdir(), 'build-app-http-'));
    try {
      writeFileSync(join(http, 'package-lock.json'), '{}');
      for (const entry of Object.values(API_ENTRIES)) {
        mkdirSync(dirname(join(http, entry)), { recursive: true });
        writeFileSync(join(http, entry), 'export const handler = async () => ({});\n');
      }
      const httpConfig = join(http, 'config');
      mkdirSync(httpConfig);
      copyFileSync(
        join(REPO_ROOT, 'test/fixtures/workflows/valid/http-environments.yaml'),
        join(httpConfig, 'orders.yaml'),
      );
      assert.throws(() => buildApp({ rootDir: http, configDir: httpConfig, ...FAST }), {
        message: `built-in handler module ${HTTP_STEP_ENTRY} not found under ${http}`,
      });
    } finally {
      rmSync(http, { recursive: true, force: true });
    }
  });

  test('stays environment-agnostic unless a region or account is given', (t) => {
    // The CDK CLI exports these from the AWS configuration; a plain test run has none.
    for (const key of ['CDK_DEFAULT_REGION', 'CDK_DEFAULT_ACCOUNT']) {
      const saved = process.env[key];
      delete process.env[key];
      t.after(() => {
        if (saved !== undefined) process.env[key] = saved;
      });
    }
    const agnostic = buildApp({ rootDir: root, configDir, ...FAST }).stacks[0]!;
    assert.ok(Token.isUnresolved(agnostic.region), 'region is the AWS::Region pseudo parameter');
    assert.ok(Token.isUnresolved(agnostic.account), 'account is the AWS::AccountId pseudo parameter');
    const pinned = buildApp({ rootDir: root, configDir, ...FAST, context: { region: 'eu-west-1' } })
      .stacks[0]!;
    assert.equal(pinned.region, 'eu-west-1');
  });
});
