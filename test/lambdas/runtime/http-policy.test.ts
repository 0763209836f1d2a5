import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PERMANENT_ERROR, RETRYABLE_ERROR } from '../../../lambdas/contracts.ts';
import { classifyStatus, errorForStatus, parseRetryAfter } from '../../../lambdas/runtime/http-policy.ts';

describe('classifyStatus', () => {
  const table: Array<[number, string]> = [
    [200, 'success'],
    [201, 'success'],
    [202, 'success'],
    [204, 'success'],
    [409, 'conflict'],
    [400, 'permanent'],
    [422, 'permanent'],
    [401, 'permanent'],
    [403, 'permanent'],
    [404, 'permanent'],
    [408, 'retryable'],
    [429, 'retryable'],
    [500, 'retryable'],
    [503, 'retryable'],
    [599, 'retryable'],
    [302, 'retryable'],
    [405, 'retryable'],
    [410, 'retryable'],
  ];
  for (const [status, expected] of table) {
    test(`${status} is ${expected}`, () => assert.equal(classifyStatus(status), expected));
  }
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  test('reads delta-seconds', () => {
    assert.equal(parseRetryAfter('2', now), 2);
    assert.equal(parseRetryAfter(' 120 ', now), 120);
    assert.equal(parseRetryAfter('1.5', now), 1.5);
  });
  test('reads an HTTP date as the seconds until then, rounded up', () => {
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now + 500), 5);
  });
  test('a date in the past means now', () => {
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now), 0);
  });
  test('absent or unparseable gives undefined (the step backoff applies)', () => {
    assert.equal(parseRetryAfter(null, now), undefined);
    assert.equal(parseRetryAfter('', now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter('-3', now), undefined);
  });
});

describe('errorForStatus', () => {
  const call = { method: 'POST', path: '/profiles' };
  test('names the call, the status and the service code', () => {
    const error = errorForStatus({ ...call, status: 422, serviceCode: 'PLAN_NOT_BILLABLE' });
    assert.equal(error.name, PERMANENT_ERROR);
    assert.equal(error.message, 'SERVICE_VALIDATION_FAILED: POST /profiles answered 422 PLAN_NOT_BILLABLE');
  });
  test('auth, not found and an unresolved conflict are permanent with their codes', () => {
    assert.match(errorForStatus({ ...call, status: 403 }).message, /^SERVICE_AUTH_FAILED: /);
    assert.match(errorForStatus({ ...call, status: 404 }).message, /^NOT_FOUND: /);
    assert.match(errorForStatus({ ...call, status: 409 }).message, /^CONFLICT: /);
  });
  test('429 and 503 carry Retry-After; other statuses ignore it', () => {
    const throttled = errorForStatus({ ...call, status: 429, retryAfterHeader: '3' });
    assert.equal(throttled.name, RETRYABLE_ERROR);
    assert.equal('retryAfterSeconds' in throttled && throttled.retryAfterSeconds, 3);
    const unavailable = errorForStatus({ ...call, status: 503, retryAfterHeader: '7' });
    assert.equal('retryAfterSeconds' in unavailable && unavailable.retryAfterSeconds, 7);
    const failed = errorForStatus({ ...call, status: 500, retryAfterHeader: '7' });
    assert.equal('retryAfterSeconds' in failed && failed.retryAfterSeconds, undefined);
  });
});
