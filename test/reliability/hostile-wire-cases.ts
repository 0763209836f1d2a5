/**
 * The wire half of the hostile corpus: headers (sizes, Idempotency-Key, X-Correlation-ID) and
 * routes, methods and bytes that are not HTTP.
 */
import { type HostileCase, JSON_TYPE, validBody } from './hostile-body-cases.ts';

/** Oversized headers and malformed Idempotency-Key / X-Correlation-ID values. */
export function headerCases(): HostileCase[] {
  const body = JSON.stringify(validBody());
  const withHeaders = (
    name: string,
    headers: Array<readonly [string, string | Buffer]>,
    status: number,
    names: RegExp,
  ): HostileCase => ({
    name,
    headers: [JSON_TYPE, ...headers],
    body,
    status,
    names,
  });
  const key = (value: string | Buffer) => [['Idempotency-Key', value] as const];
  const corr = (value: string | Buffer) => [['X-Correlation-ID', value] as const];
  return [
    withHeaders('a 16 KB header', [['X-Padding', 'p'.repeat(16 * 1024)]], 431, /header fields too large/i),
    withHeaders(
      '300 small headers',
      Array.from({ length: 300 }, (_, i) => [`X-H${i}`, 'v'.repeat(40)] as const),
      431,
      /header fields too large/i,
    ),
    withHeaders(
      'an 11 KB cookie',
      [['Cookie', `session=${'c'.repeat(11 * 1024)}`]],
      431,
      /header fields too large/i,
    ),
    withHeaders('an empty Idempotency-Key', key(''), 400, /Idempotency-Key header is invalid/),
    withHeaders(
      'an Idempotency-Key of 129 characters',
      key('k'.repeat(129)),
      400,
      /Idempotency-Key header is invalid/,
    ),
    withHeaders(
      'an Idempotency-Key with a space',
      key('two words'),
      400,
      /Idempotency-Key header is invalid/,
    ),
    withHeaders(
      'an Idempotency-Key with a slash',
      key('../../etc/passwd'),
      400,
      /Idempotency-Key header is invalid/,
    ),
    withHeaders(
      'an Idempotency-Key with a semicolon',
      key('k;DROP TABLE'),
      400,
      /Idempotency-Key header is invalid/,
    ),
    withHeaders(
      'an Idempotency-Key in UTF-8 Cyrillic',
      key(Buffer.from('ключ', 'utf8')),
      400,
      /Idempotency-Key header is invalid/,
    ),
    withHeaders('an Idempotency-Key with a tab', key('tab\tkey'), 400, /Idempotency-Key header is invalid/),
    withHeaders('an Idempotency-Key with braces', key('{json}'), 400, /Idempotency-Key header is invalid/),
    withHeaders('an Idempotency-Key in Latin-1', key('ümlaut'), 400, /Idempotency-Key header is invalid/),
    withHeaders(
      'two different Idempotency-Keys',
      [...key('first-key'), ...key('second-key')],
      400,
      /Idempotency-Key/,
    ),
    withHeaders(
      'an X-Correlation-ID of 81 characters',
      corr('c'.repeat(81)),
      400,
      /X-Correlation-ID header is invalid/,
    ),
    withHeaders(
      'an X-Correlation-ID with a colon',
      corr('reg:123'),
      400,
      /X-Correlation-ID header is invalid/,
    ),
    withHeaders(
      'an X-Correlation-ID with a space',
      corr('reg 123'),
      400,
      /X-Correlation-ID header is invalid/,
    ),
    withHeaders('an empty X-Correlation-ID', corr(''), 400, /X-Correlation-ID header is invalid/),
    withHeaders(
      'an X-Correlation-ID climbing paths',
      corr('../etc'),
      400,
      /X-Correlation-ID header is invalid/,
    ),
    withHeaders('an X-Correlation-ID in Latin-1', corr('ünï'), 400, /X-Correlation-ID header is invalid/),
    withHeaders(
      'an X-Correlation-ID in UTF-8',
      corr(Buffer.from('ид-1', 'utf8')),
      400,
      /X-Correlation-ID header is invalid/,
    ),
    {
      name: 'an X-Correlation-ID that disagrees with the body',
      headers: [JSON_TYPE, ['X-Correlation-ID', 'reg-header']],
      body: JSON.stringify({ ...validBody(), correlation_id: 'reg-body' }),
      status: 400,
      names: /X-Correlation-ID header and body correlation_id disagree/,
    },
  ];
}

/** Methods and paths the API does not serve, bad IDs in the path, bytes that are not HTTP. */
export function routeCases(): HostileCase[] {
  const body = JSON.stringify(validBody());
  const route = (name: string, method: string, path: string, status: number, names: RegExp): HostileCase => ({
    name,
    method,
    path,
    headers: [JSON_TYPE],
    body: method === 'GET' || method === 'DELETE' ? '' : body,
    status,
    names,
  });
  return [
    route('PUT /registrations', 'PUT', '/registrations', 403, /Missing Authentication Token/),
    route('DELETE /registrations', 'DELETE', '/registrations', 403, /Missing Authentication Token/),
    route('PATCH /registrations', 'PATCH', '/registrations', 403, /Missing Authentication Token/),
    route('POST /registrations/x', 'POST', '/registrations/x', 403, /Missing Authentication Token/),
    route(
      'POST /../registrations',
      'POST',
      '/registrations/..%2f..%2fadmin',
      403,
      /Missing Authentication Token/,
    ),
    route('GET a malformed percent-encoding', 'GET', '/registrations/%zz', 400, /malformed percent-encoding/),
    route(
      'GET an ID with a colon',
      'GET',
      '/registrations/reg:1',
      400,
      /correlation_id in the path is invalid/,
    ),
    route(
      'GET an ID of 81 characters',
      'GET',
      `/registrations/${'c'.repeat(81)}`,
      400,
      /correlation_id in the path is invalid/,
    ),
    route(
      'GET an unknown ID',
      'GET',
      '/registrations/reg_0_deadbeef',
      404,
      /No execution with correlation ID 'reg_0_deadbeef'/,
    ),
    { name: 'not HTTP at all', raw: Buffer.from('HELLO WORLD\r\n\r\n'), status: 400, names: /Bad request/ },
    {
      name: 'a NUL byte in a header',
      raw: Buffer.from(
        `POST /registrations HTTP/1.1\r\nHost: x\r\nX-Bad: a\0b\r\nContent-Length: 2\r\n\r\n{}`,
      ),
      status: 400,
      names: /Bad request/,
    },
    {
      name: 'Content-Length and chunked at once (request smuggling)',
      raw: Buffer.from(
        `POST /registrations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      ),
      status: 400,
      names: /Bad request/,
    },
  ];
}
