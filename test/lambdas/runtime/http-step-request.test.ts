import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PERMANENT_ERROR } from '../../../lambdas/contracts.ts';
import { checkHttpStepRequest } from '../../../lambdas/runtime/http-step-request.ts';
import { rejection } from '../step-harness.ts';
import { useHttpStepSuite } from './http-step-support.ts';

const s = useHttpStepSuite();

/** Invokes the step with `request` and returns the INVALID_REQUEST message; the service must see nothing. */
async function refused(request: unknown): Promise<string> {
  const error = await rejection(s.invoke(request));
  assert.equal(error.name, PERMANENT_ERROR);
  assert.equal(s.service.received.length, 0, 'a refused request reached the service');
  const prefix = 'INVALID_REQUEST: ';
  assert.ok(error.message.startsWith(prefix), error.message);
  return error.message.slice(prefix.length);
}

describe('HTTP step: the path may not leave the service base URL', () => {
  const escapes: ReadonlyArray<readonly [string, string]> = [
    ['charges', `request.path: must start with '/' (a path under the service's base URL, not a URL)`],
    [
      'https://evil.example/x',
      `request.path: must start with '/' (a path under the service's base URL, not a URL)`,
    ],
    ['//evil.example/x', `request.path: must not start with '//' (that names another host)`],
    ['/\\evil.example/x', `request.path: must not contain '\\'`],
    [
      '/orders/../../admin',
      `request.path: must not contain '.' or '..' segments (it may not leave the base URL)`,
    ],
    ['/%2e%2e/admin', `request.path: must not contain '.' or '..' segments (it may not leave the base URL)`],
    ['/orders/%2E/x', `request.path: must not contain '.' or '..' segments (it may not leave the base URL)`],
    ['/orders/..', `request.path: must not contain '.' or '..' segments (it may not leave the base URL)`],
    ['/search?q=x', `request.path: must not contain '?' or '#' (put parameters in request.query)`],
    ['/orders#top', `request.path: must not contain '?' or '#' (put parameters in request.query)`],
    ['/orders/\n1', 'request.path: must not contain control characters'],
  ];
  for (const [path, message] of escapes) {
    test(`${JSON.stringify(path)} is refused`, async () => {
      assert.equal(await refused({ method: 'POST', path }), message);
    });
  }

  test('dots inside a segment and encoded slashes stay under the base URL and are sent as written', async () => {
    await s.invoke({ method: 'GET', path: '/files/v1..2/a%2Fb' });
    assert.equal(s.service.received[0]?.url, '/files/v1..2/a%2Fb');
  });
});

describe('HTTP step: headers the runtime owns cannot be overridden', () => {
  const reserved: ReadonlyArray<readonly [string, string]> = [
    ['X-Correlation-ID', 'set by the step runtime (the execution correlation ID); remove it'],
    ['idempotency-key', 'set by the step runtime (derived from the correlation ID and the step); remove it'],
    ['Host', 'set by the HTTP client, not the request; remove it'],
    ['Content-Length', 'set by the HTTP client, not the request; remove it'],
    ['Transfer-Encoding', 'set by the HTTP client, not the request; remove it'],
    ['Connection', 'set by the HTTP client, not the request; remove it'],
  ];
  for (const [name, reason] of reserved) {
    test(`${name} is refused`, async () => {
      const message = await refused({ method: 'POST', path: '/charges', headers: { [name]: 'mine' } });
      assert.equal(message, `request.headers.${name}: ${reason}`);
    });
  }

  test('every problem is listed at once, by field', async () => {
    const message = await refused({
      method: 'GET',
      path: '//x',
      headers: { 'Bad Name': 'v', 'X-Trace': 'a\r\nInjected: 1', 'x-dup': '1', 'X-Dup': '2' },
      body: {},
    });
    assert.equal(
      message,
      [
        `request.path: must not start with '//' (that names another host)`,
        'request.headers.Bad Name: not a valid header name',
        'request.headers.X-Trace: the value must not contain control characters',
        'request.headers.X-Dup: given twice (header names ignore case)',
        'request.body: a GET request cannot have a body',
      ].join('; '),
    );
  });
});

describe('HTTP step: a malformed request names the field', () => {
  test('no request at all', async () => {
    assert.equal(
      await refused(undefined),
      'request: missing (a declarative HTTP step needs handler_config.request)',
    );
  });

  test('an unknown method', async () => {
    assert.match(await refused({ method: 'FETCH', path: '/x' }), /^request\.method: /);
  });

  test('a path that is not a string', async () => {
    assert.match(await refused({ method: 'POST', path: 42 }), /^request\.path: /);
  });

  test('a query value that is an object', async () => {
    assert.match(
      await refused({ method: 'POST', path: '/x', query: { filter: { a: 1 } } }),
      /^request\.query\.filter: /,
    );
  });

  test('a header value that is an object', async () => {
    assert.match(
      await refused({ method: 'POST', path: '/x', headers: { 'X-A': { a: 1 } } }),
      /^request\.headers\.X-A: /,
    );
  });

  test('a misspelt field', async () => {
    assert.match(await refused({ method: 'POST', path: '/x', bdy: {} }), /^request: .*bdy/);
  });

  test('the message never quotes a value', async () => {
    const message = await refused({ method: 'jane@example.com', path: 'secret-path-value' });
    assert.doesNotMatch(message, /jane@example\.com|secret-path-value/);
  });
});

describe('checkHttpStepRequest', () => {
  test('normalizes the method and turns every query and header value into strings', () => {
    assert.deepEqual(
      checkHttpStepRequest({
        method: 'patch',
        path: '/a',
        query: { n: 1, flags: [true, 'x'] },
        headers: { 'X-N': 2 },
        body: null,
      }),
      {
        method: 'PATCH',
        path: '/a',
        query: { n: ['1'], flags: ['true', 'x'] },
        headers: { 'X-N': '2' },
        body: null,
      },
    );
  });
});
