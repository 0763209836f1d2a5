import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  analyzeWorkflow,
  deepMerge,
  parseWorkflow,
  type WorkflowSpec,
} from '../../../infra/workflow/index.ts';
import { diagnosticsOf } from './diagnostics-of.ts';

const YAML = `name: env_test
step_templates:
  - name: charge
    handler_config:
      service: payments
      url: https://payments.example.com
      retry_budget: { attempts: 3, codes: [500, 502] }
      request:
        method: POST
        path: /charges
environments:
  development:
    step_templates:
      - name: charge
        handler_config:
          url: http://127.0.0.1:4010
          retry_budget: { codes: [503] }
  staging:
    step_templates:
      - name: charge
        handler_config:
          request: { path: /sandbox/charges }
`;

const load = (environment?: string): WorkflowSpec =>
  parseWorkflow(YAML, 'env.yaml', environment === undefined ? {} : { environment });

describe('Tasker environments', () => {
  test('deepMerge merges mappings key by key; lists, text and null replace', () => {
    assert.deepEqual(
      deepMerge(
        { a: { b: 1, c: [1, 2], d: { e: 1 } }, f: 'x', g: 1 },
        { a: { c: [3], d: null }, f: 'y', h: true },
      ),
      { a: { b: 1, c: [3], d: null }, f: 'y', g: 1, h: true },
    );
  });

  test('no environment: the base values; an environment: its overrides merged in', () => {
    const base = load().steps[0]!;
    assert.equal(base.serviceUrl, 'https://payments.example.com');
    assert.deepEqual(base.handlerConfig.retry_budget, { attempts: 3, codes: [500, 502] });
    const development = load('development');
    assert.equal(development.environment, 'development');
    assert.deepEqual(development.environments, ['development', 'staging']);
    const step = development.steps[0]!;
    assert.equal(step.serviceUrl, 'http://127.0.0.1:4010');
    assert.deepEqual(step.handlerConfig.retry_budget, { attempts: 3, codes: [503] });
    assert.deepEqual(load('staging').steps[0]?.request, { method: 'POST', path: '/sandbox/charges' });
    assert.deepEqual(load('qa').steps[0]?.handlerConfig, base.handlerConfig);
  });

  test("a merged field's line is where its value was written", () => {
    assert.equal(load().steps[0]?.lines['handler_config.url'], 6);
    assert.equal(load('development').steps[0]?.lines['handler_config.url'], 16);
    // A mapping the override merges into is placed at the override, which changed it.
    assert.equal(load('staging').steps[0]?.lines['handler_config.request'], 22);
    assert.equal(load('development').steps[0]?.lines['handler_config.request'], 8);
  });

  test('every environment is checked whichever is chosen, each problem once and where it was written', () => {
    const yaml = YAML.replace('url: http://127.0.0.1:4010', 'url: 4010').replace(
      '      retry_budget: { attempts: 3, codes: [500, 502] }\n',
      '      memory_mb: 1\n',
    );
    const expected = [
      "env.yaml:7: step 'charge': handler_config.memory_mb must be an integer from 128 to 10240 (Lambda's limits), got 1",
      "env.yaml:16: step 'charge' in environment 'development': handler_config.url must be a string, got 4010",
    ];
    assert.deepEqual(
      diagnosticsOf(() => parseWorkflow(yaml, 'env.yaml')),
      expected,
    );
    assert.deepEqual(
      diagnosticsOf(() => parseWorkflow(yaml, 'env.yaml', { environment: 'staging' })),
      expected,
    );
  });

  test('a problem only the merge creates is reported for that environment, at the base line', () => {
    // The module step gets a request in staging only: its base url text must then be a real URL.
    const yaml = `name: env_test
step_templates:
  - name: notify
    handler_config:
      url: notifications
environments:
  staging:
    step_templates:
      - name: notify
        handler_config:
          request: { method: POST, path: /messages }
`;
    assert.deepEqual(
      diagnosticsOf(() => parseWorkflow(yaml, 'env.yaml')),
      [
        "env.yaml:5: step 'notify' in environment 'staging': handler_config.url must be the service's base URL, e.g. https://payments.example.com, got 'notifications'",
      ],
    );
  });

  test('the checks stage runs on the chosen environment: a URL only development has', () => {
    const yaml = `name: env_test
step_templates:
  - name: charge
    handler_config:
      request: { method: POST, path: /charges }
environments:
  development:
    step_templates:
      - name: charge
        handler_config: { url: "http://127.0.0.1:4010" }
`;
    assert.deepEqual(
      diagnosticsOf(() => analyzeWorkflow(parseWorkflow(yaml, 'env.yaml'))),
      [
        "env.yaml:5: step 'charge' is a declarative HTTP step with no service to call: set handler_config.url to the service's base URL (e.g. url: https://payments.example.com)",
      ],
    );
    const development = analyzeWorkflow(parseWorkflow(yaml, 'env.yaml', { environment: 'development' }));
    assert.equal(development.spec.steps[0]?.service, '127.0.0.1:4010');
    assert.deepEqual(development.warnings, []);
  });

  test('an HTTP step with a service but no URL is a warning: only the offline runtime can serve it', () => {
    const yaml = `name: env_test
default_dependent_system: payments
step_templates:
  - name: charge
    handler_config:
      request: { method: POST, path: /charges }
`;
    assert.deepEqual(
      analyzeWorkflow(parseWorkflow(yaml, 'env.yaml', { environment: 'development' })).warnings,
      [
        "env.yaml:6: warning: step 'charge' has no handler_config.url in environment 'development': it can only call service 'payments' where the offline runtime provides it (set url for a deployment)",
      ],
    );
  });
});
