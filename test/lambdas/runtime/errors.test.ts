import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyRetryPolicy,
  normalizeStepError,
  PermanentError,
  RetryableError,
} from '../../../lambdas/runtime/errors.ts';

const honor = { attempt: 0, retryLimit: 5, honorRetryAfter: true, maxRetryAfterSeconds: 60 };

describe('step errors', () => {
  test('carry stable names and the error code in the message', () => {
    const permanent = new PermanentError('USER_CONFLICT', 'email taken');
    assert.equal(permanent.name, 'PermanentError');
    assert.equal(permanent.errorCode, 'USER_CONFLICT');
    assert.equal(permanent.message, 'USER_CONFLICT: email taken');
    assert.equal(new RetryableError('x', { retryAfterSeconds: 2 }).retryAfterSeconds, 2);
  });

  test('normalizeStepError keeps contract names and maps the rest', () => {
    const inProgress = Object.assign(new Error('busy'), { name: 'IdempotencyAlreadyInProgressError' });
    assert.equal(normalizeStepError(inProgress), inProgress);
    assert.equal(normalizeStepError(new TypeError('boom')).name, 'RetryableError');
    assert.equal(normalizeStepError(new TypeError('boom')).message, 'TypeError: boom');
    const persistence = Object.assign(new Error('Failed to save'), {
      name: 'IdempotencyPersistenceLayerError',
      cause: new Error('ECONNREFUSED'),
    });
    assert.match(normalizeStepError(persistence).message, /Failed to save \(ECONNREFUSED\)/);
    const invalid = Object.assign(new Error('payload changed'), { name: 'IdempotencyValidationError' });
    assert.equal(normalizeStepError(invalid).name, 'PermanentError');
    assert.equal(normalizeStepError('a string').name, 'RetryableError');
  });
});

describe('applyRetryPolicy', () => {
  test('leaves errors alone for steps without honor_retry_after', () => {
    const error = new RetryableError('x', { retryAfterSeconds: 3 });
    assert.equal(applyRetryPolicy(error, { ...honor, honorRetryAfter: false, attempt: 99 }), error);
  });

  test('renames Retry-After to the bucket at or above the delay', () => {
    const cases: Array<[number, string]> = [
      [0, 'RetryAfter.1s'],
      [1, 'RetryAfter.1s'],
      [1.2, 'RetryAfter.2s'],
      [7, 'RetryAfter.8s'],
      [60, 'RetryAfter.60s'],
    ];
    for (const [seconds, name] of cases) {
      assert.equal(
        applyRetryPolicy(new RetryableError('slow down', { retryAfterSeconds: seconds }), honor).name,
        name,
      );
    }
  });

  test('a delay above the maximum is RetryAfterTooLong', () => {
    const error = applyRetryPolicy(new RetryableError('slow down', { retryAfterSeconds: 90 }), honor);
    assert.equal(error.name, 'RetryAfterTooLong');
    assert.match(error.message, /90s, more than the step's maximum of 60s: slow down/);
  });

  test('from the retry limit on, retryable failures are RetriesExhausted with the cause kept', () => {
    const error = applyRetryPolicy(new RetryableError('answered 503', { retryAfterSeconds: 1 }), {
      ...honor,
      attempt: 5,
    });
    assert.equal(error.name, 'RetriesExhausted');
    assert.equal(error.message, 'gave up after 6 attempts: answered 503');
    const plain = applyRetryPolicy(new RetryableError('answered 500'), { ...honor, attempt: 4 });
    assert.equal(plain.name, 'RetryableError');
  });

  test('never touches permanent errors', () => {
    const error = new PermanentError('NOT_FOUND', 'x');
    assert.equal(applyRetryPolicy(error, { ...honor, attempt: 9 }), error);
  });
});
