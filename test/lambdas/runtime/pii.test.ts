import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  LAMBDA_CRASH_ERRORS,
  LAMBDA_SERVICE_ERRORS,
  LAMBDA_TIMEOUT_ERROR,
  RETRYABLE_ERROR,
  retryAfterErrorName,
  STEP_ERROR_NAMES,
} from '../../../lambdas/contracts.ts';
import { maskEmail, maskEmailsInText, maskPhone, piiReplacer } from '../../../lambdas/runtime/pii.ts';

const stringify = (value: unknown) => JSON.stringify(value, (key, v) => piiReplacer(key, v));

describe('PII masking', () => {
  test('masks emails, names and phones by key, at any depth', () => {
    const out = stringify({
      user_info: { email: 'jane.doe@example.com', name: 'Jane Doe', phone: '+1 555 010 4477' },
      recipient: { full_name: 'Jane Q. Doe', phone_number: '5550104477' },
    });
    for (const secret of ['jane.doe@example.com', 'Jane Doe', '555 010', 'Jane Q. Doe', '5550104477']) {
      assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
    }
    assert.match(out, /"email":"j\*\*\*@\*\*\*"/);
    assert.match(out, /"phone":"\*\*\*77"/);
  });

  test('masks email addresses inside free text, also URL-encoded', () => {
    assert.equal(maskEmailsInText('no user for jane@example.com here'), 'no user for j***@*** here');
    assert.equal(maskEmailsInText('/users?email=jane%40example.com'), '/users?email=***');
    assert.equal(stringify({ message: 'conflict for a.b+c@x.co.uk' }), '{"message":"conflict for a***@***"}');
  });

  test("keeps error class names under 'name' but masks people's names", () => {
    assert.equal(stringify({ name: RETRYABLE_ERROR }), JSON.stringify({ name: RETRYABLE_ERROR }));
    assert.equal(
      stringify({ name: retryAfterErrorName(5) }),
      JSON.stringify({ name: retryAfterErrorName(5) }),
    );
    assert.equal(stringify({ name: 'Jane' }), '{"name":"J***"}');
  });

  test("keeps every error name of the contract under 'name', States.* included", () => {
    const names = [
      ...STEP_ERROR_NAMES,
      ...LAMBDA_SERVICE_ERRORS,
      ...LAMBDA_CRASH_ERRORS,
      LAMBDA_TIMEOUT_ERROR,
      'States.Timeout',
    ];
    for (const name of names) assert.equal(stringify({ name }), JSON.stringify({ name }), name);
  });

  test('in a path or a query only the address is masked, not the segments around it', () => {
    assert.equal(
      maskEmailsInText('/customers/ada.lovelace@example.com/orders'),
      '/customers/a***@***/orders',
    );
    assert.equal(maskEmailsInText('/users?email=jane@example.com&x=1'), '/users?email=j***@***&x=1');
  });

  test('helpers', () => {
    assert.equal(maskEmail('x@y.z'), 'x***@***');
    assert.equal(maskPhone('(555) 010-4477'), '***77');
  });
});
