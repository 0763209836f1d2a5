/**
 * The one hostile request corpus for POST /registrations (and its neighbours), replayed by the API
 * tier (test/local/api/hostile-input.test.ts) and the whole offline runtime (hostile-input.test.ts): each case is bytes on
 * the wire, the exact status the API must answer, and a pattern the answer's message (or its
 * list of invalid fields) must match, so "rejected" always means "rejected for the right reason".
 */
import { type HostileCase, json, schemaCases, validBody } from './hostile-body-cases.ts';
import { prototypeCases } from './hostile-proto-cases.ts';
import { headerCases, routeCases } from './hostile-wire-cases.ts';

export { type HostileCase, validBody } from './hostile-body-cases.ts';

/** Content types other than JSON in UTF-8: each a 415 naming what was sent. */
function contentTypeCases(body: string): HostileCase[] {
  const types: Array<[name: string, type: string, names: RegExp, body?: string]> = [
    ['text/plain', 'text/plain', /'text\/plain' is not supported/],
    [
      'a form body',
      'application/x-www-form-urlencoded',
      /is not supported: send application\/json/,
      'user_info=1',
    ],
    ['multipart', 'multipart/form-data; boundary=x', /multipart\/form-data/, `--x\r\n\r\n${body}\r\n--x--`],
    ['application/xml', 'application/xml', /application\/xml/],
    ['text/json', 'text/json', /text\/json/],
    ['a Latin-1 charset', 'application/json; charset=iso-8859-1', /charset 'iso-8859-1'/],
    ['application/jsonx', 'application/jsonx', /is not supported: send application\/json/],
    ['a UTF-16 charset', 'application/json; charset=utf-16', /charset 'utf-16'/],
    ['application/jsonp', 'application/jsonp', /application\/jsonp/],
  ];
  return types.map(([name, type, names, text]) => ({
    name,
    headers: [['Content-Type', type]],
    body: text ?? body,
    status: 415,
    names,
  }));
}

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
    ...[40, 1000].map((depth) =>
      json(
        `a preference value nested ${depth} arrays deep`,
        `{"user_info":${JSON.stringify(validBody().user_info)},"preferences":{"newsletter":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
        400,
        /levels deep; the limit is 32/,
      ),
    ),
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
    proto('prototype in preferences', `{"user_info":${userInfo},"preferences":{"prototype":{}}}`),
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
    invalidUtf8('lone continuation byte', [0x80]),
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
    json('one closing brace too many', '{"a":1}}', 400, /not valid JSON/),
    json('a NUL character', '\u0000', 400, /not valid JSON/),
    json('an XML document', '<registration><email>a@b.c</email></registration>', 400, /not valid JSON/),
    json('JSON null', 'null', 400, /"field":"\/"/),
    json('a JSON array', `[${body}]`, 400, /"field":"\/"/),
    json('a JSON string', '"user_info"', 400, /"field":"\/"/),
    json('a JSON number', '42', 400, /"field":"\/"/),
    json('JSON true', 'true', 400, /"field":"\/"/),
    // Content type
    { name: 'no Content-Type', body, status: 415, names: /Content-Type header is missing/ },
    ...contentTypeCases(body),
  ];
}

/** Every hostile case, in a stable order. */
export function hostileCorpus(): HostileCase[] {
  return [...schemaCases(), ...envelopeCases(), ...headerCases(), ...routeCases(), ...prototypeCases()];
}
