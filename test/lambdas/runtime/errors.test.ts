import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  IDEMPOTENCY_IN_PROGRESS_ERROR,
  PERMANENT_ERROR,
  RETRIES_EXHAUSTED_ERROR,
  RETRY_AFTER_BUCKETS_SECONDS,
  RETRY_AFTER_TOO_LONG_ERROR,
  RETRYABLE_ERROR,
  retryAfterErrorName,
  retryAfterSecondsOf,
} from '../../../lambdas/contracts.ts';
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
    assert.equal(permanent.name, PERMANENT_ERROR);
    assert.equal(permanent.errorCode, 'USER_CONFLICT');
    assert.equal(permanent.message, 'USER_CONFLICT: email taken');
    assert.equal(new RetryableError('x', { retryAfterSeconds: 2 }).retryAfterSeconds, 2);
  });

  test('normalizeStepError keeps contract names and maps the rest', () => {
    const inProgress = Object.assign(new Error('busy'), { name: IDEMPOTENCY_IN_PROGRESS_ERROR });
    assert.equal(normalizeStepError(inProgress), inProgress);
    assert.equal(normalizeStepError(new TypeError('boom')).name, RETRYABLE_ERROR);
    assert.equal(normalizeStepError(new TypeError('boom')).message, 'TypeError: boom');
    const persistence = Object.assign(new Error('Failed to save'), {
      name: 'IdempotencyPersistenceLayerError',
      cause: new Error('ECONNREFUSED'),
    });
    assert.match(normalizeStepError(persistence).message, /Failed to save \(ECONNREFUSED\)/);
    const invalid = Object.assign(new Error('payload changed'), { name: 'IdempotencyValidationError' });
    assert.equal(normalizeStepError(invalid).name, PERMANENT_ERROR);
    assert.equal(normalizeStepError('a string').name, RETRYABLE_ERROR);
  });

  test('normalizeStepError keeps RetryAfter.<n>s names and nothing that only looks like one', () => {
    const delayed = Object.assign(new Error('slow down'), { name: retryAfterErrorName(8) });
    assert.equal(normalizeStepError(delayed), delayed);
    for (const name of ['RetryAfter.soon', 'RetryAfter.0s', 'RetryAfter.5', 'XRetryAfter.5s']) {
      const lookalike = Object.assign(new Error('x'), { name });
      assert.equal(normalizeStepError(lookalike).name, RETRYABLE_ERROR, name);
    }
  });

  test('retryAfterSecondsOf reads back every bucket name the compiler emits', () => {
    for (const bucket of RETRY_AFTER_BUCKETS_SECONDS) {
      assert.equal(retryAfterSecondsOf(retryAfterErrorName(bucket)), bucket);
    }
    assert.equal(retryAfterSecondsOf(RETRYABLE_ERROR), undefined);
  });
});

describe('applyRetryPolicy', () => {
  test('leaves errors alone for steps without honor_retry_after', () => {
    const error = new RetryableError('x', { retryAfterSeconds: 3 });
    assert.equal(applyRetryPolicy(error, { ...honor, honorRetryAfter: false, attempt: 99 }), error);
  });

  test('renames Retry-After to the bucket at or above the delay', () => {
    const cases: Array<[number, string]> = [
      [0, retryAfterErrorName(1)],
      [1, retryAfterErrorName(1)],
      [1.2, retryAfterErrorName(2)],
      [7, retryAfterErrorName(8)],
      [60, retryAfterErrorName(60)],
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
    assert.equal(error.name, RETRY_AFTER_TOO_LONG_ERROR);
    assert.match(error.message, /90s, more than the step's maximum of 60s: slow down/);
  });

  test('from the retry limit on, retryable failures are RetriesExhausted with the cause kept', () => {
    const error = applyRetryPolicy(new RetryableError('answered 503', { retryAfterSeconds: 1 }), {
      ...honor,
      attempt: 5,
    });
    assert.equal(error.name, RETRIES_EXHAUSTED_ERROR);
    assert.equal(error.message, 'gave up after 6 attempts: answered 503');
    const plain = applyRetryPolicy(new RetryableError('answered 500'), { ...honor, attempt: 4 });
    assert.equal(plain.name, RETRYABLE_ERROR);
  });

  test('never touches permanent errors', () => {
    const error = new PermanentError('NOT_FOUND', 'x');
    assert.equal(applyRetryPolicy(error, { ...honor, attempt: 9 }), error);
  });
});
