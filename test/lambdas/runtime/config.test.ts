import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULTS } from '../../../lambdas/contracts.ts';
import { readStepConfig } from '../../../lambdas/runtime/config.ts';

// The one place the variable names are written out by hand, on purpose: these tests pin the names
// the stack and the Lambda runtime really set, so a rename in contracts.ts alone fails here.

describe('readStepConfig', () => {
  test('reads the stack environment', () => {
    const config = readStepConfig('x', {
      TABLE_NAME: 't',
      WORKFLOW_NAME: 'user_registration',
      STEP_NAME: 'send_welcome_sequence',
      SERVICE_NAME: 'notification',
      SERVICE_URL: 'http://127.0.0.1:1',
      REQUEST_TIMEOUT_MS: '2500',
      RETRY_LIMIT: '5',
      HONOR_RETRY_AFTER: 'true',
      MAX_RETRY_AFTER_SECONDS: '60',
      CUSTOM_EVENTS: '["service_call_started"]',
      IDEMPOTENCY_TTL_SECONDS: '600',
    });
    assert.equal(config.step, 'send_welcome_sequence');
    assert.equal(config.requestTimeoutMs, 2500);
    assert.equal(config.honorRetryAfter, true);
    assert.deepEqual(config.customEvents, ['service_call_started']);
    assert.equal(config.idempotencyTtlSeconds, 600);
  });

  test('falls back to HANDLER_CONFIG and defaults', () => {
    const config = readStepConfig('create_user_account', {
      HANDLER_CONFIG: JSON.stringify({
        service: 'user',
        url: 'https://users.example',
        request_timeout_seconds: 10,
      }),
    });
    assert.equal(config.service, 'user');
    assert.equal(config.serviceUrl, 'https://users.example');
    assert.equal(config.requestTimeoutMs, 10_000);
    assert.equal(config.step, 'create_user_account');
    assert.equal(config.tableName, undefined);
    assert.equal(config.idempotencyTtlSeconds, DEFAULTS.idempotencyTtlSeconds);
    assert.deepEqual(config.customEvents, [], 'no custom events unless the YAML declares some');
    assert.deepEqual(config.circuitBreaker, DEFAULTS.circuitBreaker);
  });

  test('reads CIRCUIT_BREAKER: off, or JSON settings over the defaults', () => {
    const base = { SERVICE_NAME: 'user', SERVICE_URL: 'http://x' };
    assert.equal(readStepConfig('s', { ...base, CIRCUIT_BREAKER: 'off' }).circuitBreaker, 'off');
    assert.deepEqual(
      readStepConfig('s', { ...base, CIRCUIT_BREAKER: '{"failure_threshold":2,"window_seconds":10}' })
        .circuitBreaker,
      { ...DEFAULTS.circuitBreaker, failureThreshold: 2, windowSeconds: 10 },
    );
    assert.throws(
      () => readStepConfig('s', { ...base, CIRCUIT_BREAKER: 'on' }),
      /CONFIGURATION_ERROR: CIRCUIT_BREAKER must be 'off' or JSON/,
    );
  });

  test('names the variable that is wrong', () => {
    const base = { SERVICE_NAME: 'user', SERVICE_URL: 'http://x' };
    assert.throws(
      () => readStepConfig('s', { ...base, RETRY_LIMIT: 'three' }),
      /RETRY_LIMIT must be a non-negative number, got 'three'/,
    );
    assert.throws(
      () => readStepConfig('s', { ...base, CUSTOM_EVENTS: '[' }),
      /CUSTOM_EVENTS is not valid JSON/,
    );
    assert.throws(() => readStepConfig('s', {}), /SERVICE_NAME is not set/);
  });

  test('reads the Powertools and Lambda variables, with the contract defaults', () => {
    const base = { SERVICE_NAME: 'user', SERVICE_URL: 'http://x' };
    const set = readStepConfig('s', {
      ...base,
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      POWERTOOLS_METRICS_NAMESPACE: 'Orders',
      AWS_LAMBDA_FUNCTION_NAME: 'orders-charge',
      AWS_REGION: 'eu-west-1',
    });
    assert.deepEqual(
      [set.logLevel, set.metricsNamespace, set.functionName, set.region],
      ['DEBUG', 'Orders', 'orders-charge', 'eu-west-1'],
    );
    const unset = readStepConfig('s', { ...base, AWS_DEFAULT_REGION: 'ap-south-1' });
    assert.deepEqual(
      [unset.logLevel, unset.metricsNamespace, unset.functionName, unset.region],
      [DEFAULTS.logLevel, DEFAULTS.metricsNamespace, undefined, 'ap-south-1'],
    );
  });

  test('a handler shared by many steps (no step of its own) needs STEP_NAME', () => {
    const base = { SERVICE_NAME: 'payments', SERVICE_URL: 'http://x' };
    assert.throws(
      () => readStepConfig(undefined, base),
      /^PermanentError: CONFIGURATION_ERROR: STEP_NAME is not set$/,
    );
    assert.equal(readStepConfig(undefined, { ...base, STEP_NAME: 'charge' }).step, 'charge');
  });

  test("STEPFLOW_SERVICE_URLS wins over SERVICE_URL for the step's service only", () => {
    const overrides = JSON.stringify({ payments: 'http://127.0.0.1:4999', other: 'http://127.0.0.1:1' });
    const env = {
      SERVICE_NAME: 'payments',
      SERVICE_URL: 'https://payments.example.com',
      STEPFLOW_SERVICE_URLS: overrides,
    };
    assert.equal(readStepConfig('s', env).serviceUrl, 'http://127.0.0.1:4999');
    assert.equal(
      readStepConfig('s', { ...env, SERVICE_NAME: 'mail' }).serviceUrl,
      'https://payments.example.com',
    );
  });
});
