/**
 * Declarative HTTP steps and Tasker environments through buildApp, on the fixture
 * test/fixtures/workflows/valid/http-environments.yaml (HTTP steps only, a diamond, development
 * URLs on 127.0.0.1) in a throwaway project whose modules are stubs: the template does not depend
 * on what the modules contain.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, REPO_ROOT } from '../../infra/build-app.ts';
import { HTTP_STEP_ENTRY, stepPayloadTemplate } from '../../lambdas/contracts.ts';
import { allStates, definitionOf, FAST, resourcesOf, stepVariables, stubProject } from './stack-fixture.ts';

const FIXTURE = join(REPO_ROOT, 'test/fixtures/workflows/valid/http-environments.yaml');
const project = stubProject({ 'orders.yaml': readFileSync(FIXTURE, 'utf8') });
after(() => rmSync(project.rootDir, { recursive: true, force: true }));

function build(options: { environment?: string; context?: Record<string, unknown> } = {}) {
  const built = buildApp({ ...FAST, rootDir: project.rootDir, configDir: project.configDir, ...options });
  const [workflow] = built.workflows;
  assert.ok(workflow);
  return { built, workflow, template: Template.fromStack(workflow.stack) };
}

const PRODUCTION = {
  reserve_stock: ['inventory.example.com', 'https://inventory.example.com'],
  charge_card: ['payments', 'https://payments.example.com'],
  notify_warehouse: ['warehouse.example.com', 'https://warehouse.example.com/v2'],
  ship_order: ['shipping.example.com', 'https://shipping.example.com'],
} as const;

describe('declarative HTTP steps', () => {
  const { built, workflow, template } = build();

  test('run the built-in handler module, one function per step, with the service key and URL', () => {
    const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).filter(
      (fn) => fn.Metadata?.['Stepflow:Step'] !== undefined,
    );
    assert.deepEqual(
      functions.map((fn) => fn.Metadata?.['Stepflow:Entry']),
      Object.keys(PRODUCTION).map(() => HTTP_STEP_ENTRY),
    );
    for (const [step, [service, url]] of Object.entries(PRODUCTION)) {
      const variables = stepVariables(template, step);
      assert.deepEqual([variables.SERVICE_NAME, variables.SERVICE_URL], [service, url], step);
    }
    assert.equal(stepVariables(template, 'charge_card').REQUEST_TIMEOUT_MS, '5000');
  });

  test('send the request template as written in the Task Parameters (stepPayloadTemplate)', () => {
    const states = allStates(definitionOf(template));
    const written = readFileSync(FIXTURE, 'utf8');
    assert.match(written, /path\.\$: States\.Format\('\/orders\/\{\}\/charges', \$\.order_id\)/);
    const charge = states.get('charge_card') as { Parameters?: unknown } | undefined;
    assert.deepEqual(
      charge?.Parameters,
      stepPayloadTemplate('order_fulfillment', 'charge_card', {
        method: 'POST',
        'path.$': "States.Format('/orders/{}/charges', $.order_id)",
        headers: { 'X-Reservation.$': '$.steps.reserve_stock.body.reservation_id' },
        body: {
          'amount_cents.$': '$.amount_cents',
          lines: [{ sku: 'ABC-1', 'reservation.$': '$.steps.reserve_stock.body.reservation_id' }],
        },
      }),
    );
    const ship = states.get('ship_order') as { Parameters?: { request?: unknown } } | undefined;
    assert.deepEqual(ship?.Parameters?.request, {
      method: 'POST',
      path: '/shipments',
      'body.$': '$.steps.charge_card.body',
    });
  });

  test('buildApp lists each workflow with its resource, stack, file and services', () => {
    assert.deepEqual(
      built.workflows.map(({ stack: _stack, ...rest }) => rest),
      [
        {
          name: 'order_fulfillment',
          resource: 'orders',
          stackName: 'OrderFulfillmentWorkflow',
          file: join(project.configDir, 'orders.yaml'),
          services: Object.entries(PRODUCTION).map(([step, [service, url]]) => ({
            step,
            service,
            url,
            http: true,
          })),
        },
      ],
    );
    assert.equal(workflow.stack.stackName, 'OrderFulfillmentWorkflow');
    assert.equal(built.environment, undefined);
    assert.deepEqual(built.warnings, []);
  });
});

describe('Tasker environments', () => {
  const DEVELOPMENT = {
    reserve_stock: 'http://127.0.0.1:4011',
    charge_card: 'http://127.0.0.1:4012',
    notify_warehouse: 'http://127.0.0.1:4013/v2',
    ship_order: 'http://127.0.0.1:4014',
  } as const;

  test('without an environment the production URLs are deployed', () => {
    const { template } = build();
    for (const [step, [, url]] of Object.entries(PRODUCTION)) {
      assert.equal(stepVariables(template, step).SERVICE_URL, url, step);
      assert.doesNotMatch(String(stepVariables(template, step).HANDLER_CONFIG), /127\.0\.0\.1/);
    }
  });

  for (const [how, options] of [
    ['buildApp({ environment })', { environment: 'development' }],
    ['-c environment=development', { context: { environment: 'development' } }],
  ] as const) {
    test(`${how} deep-merges the overrides into handler_config`, () => {
      const { built, template } = build(options);
      assert.equal(built.environment, 'development');
      for (const [step, url] of Object.entries(DEVELOPMENT)) {
        assert.equal(stepVariables(template, step).SERVICE_URL, url, step);
      }
      // Mappings merge key by key: the base service and timeout stay, the request gains a query.
      const charge = JSON.parse(String(stepVariables(template, 'charge_card').HANDLER_CONFIG));
      assert.deepEqual(
        [charge.service, charge.request_timeout_seconds, charge.request.method, charge.request.query],
        ['payments', 5, 'POST', { sandbox: true }],
      );
      // Without handler_config.service, the key is the host of the resolved URL.
      assert.equal(stepVariables(template, 'reserve_stock').SERVICE_NAME, '127.0.0.1:4011');
      assert.equal(stepVariables(template, 'charge_card').SERVICE_NAME, 'payments');
    });
  }

  test('an environment the file lists without overrides keeps the base values', () => {
    const { template } = build({ environment: 'production' });
    assert.equal(stepVariables(template, 'reserve_stock').SERVICE_URL, 'https://inventory.example.com');
  });

  test('an environment no file defines is a warning naming the ones that exist', () => {
    const { built, template } = build({ environment: 'developmnt' });
    assert.deepEqual(built.warnings, [
      "warning: no workflow file defines environment 'developmnt' (did you mean 'development'?); every workflow uses its base values (defined: development, production)",
    ]);
    assert.equal(stepVariables(template, 'reserve_stock').SERVICE_URL, 'https://inventory.example.com');
  });

  test('an invalid -c environment value names the context key', () => {
    assert.throws(() => build({ context: { environment: 'dev elopment' } }), {
      message:
        'context environment="dev elopment" is not valid; use the name of an environment under environments: in the workflow files',
    });
  });
});

describe('a step with handler: and a request', () => {
  test('runs its module and still receives the request in its payload', () => {
    const yaml = readFileSync(FIXTURE, 'utf8').replace(
      '  - name: ship_order\n',
      '  - name: ship_order\n    handler: lambdas/steps/orders/ship-order.ts\n',
    );
    const own = stubProject({ 'orders.yaml': yaml });
    try {
      const { stacks } = buildApp({ ...FAST, rootDir: own.rootDir, configDir: own.configDir });
      const template = Template.fromStack(stacks[0]!);
      const ship = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).find(
        (fn) => fn.Metadata?.['Stepflow:Step'] === 'ship_order',
      );
      assert.equal(ship?.Metadata?.['Stepflow:Entry'], 'lambdas/steps/orders/ship-order.ts');
      const state = allStates(definitionOf(template)).get('ship_order') as {
        Parameters?: { request?: unknown };
      };
      assert.deepEqual(state.Parameters?.request, {
        method: 'POST',
        path: '/shipments',
        'body.$': '$.steps.charge_card.body',
      });
    } finally {
      rmSync(own.rootDir, { recursive: true, force: true });
    }
  });
});
