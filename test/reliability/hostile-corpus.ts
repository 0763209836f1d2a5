/**
 * The hostile request corpus for POST /registrations (and its neighbours): each case is bytes on
 * the wire, the exact status the API must answer, and a pattern the answer's message (or its
 * list of invalid fields) must match, so "rejected" always means "rejected for the right reason".
 */
import { type HostileCase, JSON_TYPE, json, schemaCases, validBody } from './hostile-body-cases.ts';

export { type HostileCase, validBody } from './hostile-body-cases.ts';

function envelopeCases(): HostileCase[] {
  const body = JSON.stringify(validBody());
  const overLimit = 'n'.repeat(300 * 1024);
  const deep = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const withName = (name: string) => body.replace('Quillonia Hostile Vexbright', name);
  const proto = (where: string, text: string) =>
    json(`a prototype key ${where}`, text, 400, /forbidden key '(__proto__|constructor|prototype)'/);
  const userInfo = JSON.stringify(validBody().user_info);
  const invalidUtf8 = (label: string, bytes: number[]) => {
    const [head, tail] = body.split('Quillonia');
    return json(
      `invalid UTF-8 (${label}) in the name`,
      Buffer.concat([Buffer.from(head!), Buffer.from(bytes), Buffer.from(`Quillonia${tail!}`)]),
      400,
      /not valid UTF-8/,
    );
  };
  return [
    // Over the Step Functions input limit: refused before parsing, by size.
    json('a 300 KB name (body over 256 KB)', withName(overLimit), 413, /limit is 262144 bytes/),
    json(
      'a valid body padded with 300 KB of spaces',
      `${body}${' '.repeat(300 * 1024)}`,
      413,
      /limit is 262144 bytes/,
    ),
    json(
      'a body over the 10 MB API limit',
      Buffer.alloc(10 * 1024 * 1024 + 16, 0x20),
      413,
      /exceeds the 10485760-byte limit/,
    ),
    // Deep nesting
    json(
      'preferences nested 33 deep',
      body.replace('"preferences":{', `"preferences":{"x":${deep(33)},`),
      400,
      /nested \d+ levels deep; the limit is 32/,
    ),
    json(
      'an array nested 100,000 deep',
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      400,
      /nested 100000 levels deep/,
    ),
    json('an object nested 5,000 deep', deep(5000), 400, /nested 5000 levels deep/),
    // Prototype pollution
    proto('__proto__ at the top', `{"__proto__":{"polluted":true},"user_info":${userInfo}}`),
    proto(
      '__proto__ in user_info',
      `{"user_info":${userInfo.replace('{', '{"__proto__":{"isAdmin":true},')}}`,
    ),
    proto(
      'constructor.prototype at the top',
      `{"constructor":{"prototype":{"polluted":true}},"user_info":${userInfo}}`,
    ),
    proto(
      '__proto__ in preferences',
      `{"user_info":${userInfo},"preferences":{"__proto__":{"newsletter":true}}}`,
    ),
    proto(
      'prototype in billing_address',
      `{"user_info":${userInfo},"billing_info":{"billing_address":{"prototype":{"x":1}}}}`,
    ),
    proto(
      'constructor in preferences',
      `{"user_info":${userInfo},"preferences":{"constructor":{"name":"x"}}}`,
    ),
    // Invalid UTF-8 (sent as raw bytes; the API must not guess an encoding)
    invalidUtf8('0xff', [0xff]),
    invalidUtf8('overlong slash', [0xc0, 0xaf]),
    invalidUtf8('truncated euro sign', [0xe2, 0x82]),
    invalidUtf8('encoded surrogate', [0xed, 0xa0, 0x80]),
    invalidUtf8('code point over U+10FFFF', [0xf4, 0x90, 0x80, 0x80]),
    // Not JSON, or not a JSON object
    json('an empty body', '', 400, /body is empty/),
    json('plain text', 'hello', 400, /not valid JSON/),
    json('an unterminated object', '{', 400, /not valid JSON/),
    json('a missing value', '{"user_info": }', 400, /not valid JSON/),
    json('single-quoted keys', "{'user_info': {}}", 400, /not valid JSON/),
    json('a trailing comma', body.replace(/}$/, ',}'), 400, /not valid JSON/),
    json('NaN', '{"user_info": NaN}', 400, /not valid JSON/),
    json('a comment', `/* hi */ ${body}`, 400, /not valid JSON/),
    json('two documents', `${body}${body}`, 400, /not valid JSON/),
    json('trailing garbage', `${body}x`, 400, /not valid JSON/),
    json('an XML document', '<registration><email>a@b.c</email></registration>', 400, /not valid JSON/),
    json('JSON null', 'null', 400, /"field":"\/"/),
    json('a JSON array', `[${body}]`, 400, /"field":"\/"/),
    json('a JSON string', '"user_info"', 400, /"field":"\/"/),
    json('a JSON number', '42', 400, /"field":"\/"/),
    json('JSON true', 'true', 400, /"field":"\/"/),
    // Content type
    { name: 'no Content-Type', body, status: 415, names: /Content-Type header is missing/ },
    {
      name: 'text/plain',
      headers: [['Content-Type', 'text/plain']],
      body,
      status: 415,
      names: /'text\/plain' is not supported/,
    },
    {
      name: 'a form body',
      headers: [['Content-Type', 'application/x-www-form-urlencoded']],
      body: 'user_info=1',
      status: 415,
      names: /is not supported: send application\/json/,
    },
    {
      name: 'multipart',
      headers: [['Content-Type', 'multipart/form-data; boundary=x']],
      body: `--x\r\n\r\n${body}\r\n--x--`,
      status: 415,
      names: /multipart\/form-data/,
    },
    {
      name: 'application/xml',
      headers: [['Content-Type', 'application/xml']],
      body,
      status: 415,
      names: /application\/xml/,
    },
    { name: 'text/json', headers: [['Content-Type', 'text/json']], body, status: 415, names: /text\/json/ },
    {
      name: 'a Latin-1 charset',
      headers: [['Content-Type', 'application/json; charset=iso-8859-1']],
      body,
      status: 415,
      names: /charset 'iso-8859-1'/,
    },
    {
      name: 'application/jsonp',
      headers: [['Content-Type', 'application/jsonp']],
      body,
      status: 415,
      names: /application\/jsonp/,
    },
  ];
}

function headerCases(): HostileCase[] {
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

function routeCases(): HostileCase[] {
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

/** Every hostile case, in a stable order. */
export function hostileCorpus(): HostileCase[] {
  return [...schemaCases(), ...envelopeCases(), ...headerCases(), ...routeCases()];
}
