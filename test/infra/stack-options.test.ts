import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { CONTEXT_KEYS, contextEnvironment, contextOptions } from '../../infra/stack-options.ts';

const optionsFor = (context: Record<string, unknown>) => contextOptions(new App({ context }).node);

describe('contextOptions', () => {
  test('is empty without context, so the stack defaults apply', () => {
    assert.deepEqual(optionsFor({}), {});
  });

  test('parses command-line strings into typed props', () => {
    const options = optionsFor({
      apiAuthorization: 'none',
      apiThrottleRate: '20',
      apiThrottleBurst: '40',
      idempotencyTtlHours: '48',
      logRetentionDays: '90',
      tableRemovalPolicy: 'destroy',
      logLevel: 'debug',
    });
    assert.equal(options.apiAuthorization, 'NONE');
    assert.equal(options.throttlingRateLimit, 20);
    assert.equal(options.throttlingBurstLimit, 40);
    assert.equal(options.idempotencyTtl?.toSeconds(), Duration.hours(48).toSeconds());
    assert.equal(options.logRetention, 90);
    assert.equal(options.tableRemovalPolicy, RemovalPolicy.DESTROY);
    assert.equal(options.logLevel, 'DEBUG');
  });

  test('names the context key and the accepted values when a value is invalid', () => {
    assert.throws(() => optionsFor({ apiAuthorization: 'COGNITO' }), {
      message: 'context apiAuthorization="COGNITO" is not valid; use IAM (default) or NONE',
    });
    assert.throws(() => optionsFor({ apiThrottleRate: 'fast' }), {
      message: 'context apiThrottleRate="fast" is not valid; use a positive number',
    });
    assert.throws(
      () => optionsFor({ logRetentionDays: 10 }),
      /context logRetentionDays=10 is not valid; use 1, 3, 5/,
    );
    assert.throws(() => optionsFor({ tableRemovalPolicy: 'snapshot' }), /use retain \(default\) or destroy/);
  });
});

describe('contextEnvironment', () => {
  const environmentFor = (context: Record<string, unknown>) => contextEnvironment(new App({ context }).node);

  test('is the -c environment value, or undefined without one', () => {
    assert.equal(environmentFor({ environment: 'development' }), 'development');
    assert.equal(environmentFor({}), undefined);
    assert.match(CONTEXT_KEYS.environment, /environments\.<env> overrides/);
  });

  test('names the key when the value cannot be an environment name', () => {
    assert.throws(() => environmentFor({ environment: '' }), {
      message:
        'context environment="" is not valid; use the name of an environment under environments: in the workflow files',
    });
  });
});
