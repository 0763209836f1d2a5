import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULTS } from '../../../lambdas/contracts.ts';
import { readStepConfig } from '../../../lambdas/runtime/config.ts';

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
});
