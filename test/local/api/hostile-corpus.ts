/**
 * The hostile-input corpus: malformed registration requests, each with the status the API must
 * answer and a pattern its body must contain (the problem named: a field pointer or the rule).
 */
export interface HostileCase {
  readonly name: string;
  readonly body: string | Buffer;
  readonly headers: Record<string, string>;
  readonly status: number;
  readonly names: RegExp;
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };
const valid = () => ({
  user_info: { email: 'ada@example.com', name: 'Ada', plan: 'pro' },
  billing_info: { payment_method: 'card', billing_address: { city: 'London' } },
  preferences: { newsletter: true },
});
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function bodyCase(name: string, body: unknown, status: number, names: RegExp): HostileCase {
  return { name, body: JSON.stringify(body), headers: JSON_HEADERS, status, names };
}

/** Sets `path` (dot-separated) in a fresh valid body; `undefined` deletes it. */
function mutate(path: string, value: unknown): Record<string, unknown> {
  const body = valid() as Record<string, unknown>;
  const keys = path.split('.');
  let target = body;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  const last = keys.at(-1) as string;
  if (value === undefined) delete target[last];
  else target[last] = value;
  return body;
}

export function hostileCorpus(): HostileCase[] {
  const cases: HostileCase[] = [];
  const add = (c: HostileCase) => cases.push(c);

  // Missing fields.
  add(bodyCase('empty object', {}, 400, /"\/user_info","problem":"is required"/));
  for (const field of ['email', 'name']) {
    add(
      bodyCase(
        `missing ${field}`,
        mutate(`user_info.${field}`, undefined),
        400,
        new RegExp(`/user_info/${field}","problem":"is required`),
      ),
    );
  }
  add(
    bodyCase('missing user_info', mutate('user_info', undefined), 400, /\/user_info","problem":"is required/),
  );
  add(bodyCase('user_info null', mutate('user_info', null), 400, /\/user_info","problem":"must be object/));

  // Extra fields at every level.
  for (const [path, key] of [
    ['', 'admin'],
    ['', 'role'],
    ['user_info', 'is_admin'],
    ['user_info', 'password'],
    ['billing_info', 'card_number'],
    ['billing_info.billing_address', 'country'],
    ['preferences', 'dark_mode'],
    ['preferences', 'sms'],
  ] as const) {
    const body = valid() as Record<string, unknown>;
    let target = body;
    for (const part of path ? path.split('.') : []) target = target[part] as Record<string, unknown>;
    target[key] = 'x';
    const pointer = `${path ? `/${path.replaceAll('.', '/')}` : ''}/${key}`;
    add(
      bodyCase(
        `extra field ${pointer}`,
        body,
        400,
        new RegExp(`"${escapeRegExp(pointer)}","problem":"is not an allowed field`),
      ),
    );
  }

  // Wrong types.
  const stringFields = ['email', 'name', 'phone', 'plan', 'referral_code', 'company', 'source'];
  for (const field of stringFields) {
    for (const wrong of [42, true, [], {}, null]) {
      add(
        bodyCase(
          `${field} as ${JSON.stringify(wrong)}`,
          mutate(`user_info.${field}`, wrong),
          400,
          new RegExp(`/user_info/${field}"`),
        ),
      );
    }
  }
  for (const field of ['marketing_emails', 'product_updates', 'newsletter']) {
    for (const wrong of ['yes', 1, null]) {
      add(
        bodyCase(
          `${field} as ${JSON.stringify(wrong)}`,
          mutate(`preferences.${field}`, wrong),
          400,
          new RegExp(`/preferences/${field}","problem":"must be boolean`),
        ),
      );
    }
  }
  for (const wrong of ['ada', [1], 7]) {
    add(
      bodyCase(
        `user_info as ${JSON.stringify(wrong)}`,
        mutate('user_info', wrong),
        400,
        /\/user_info","problem":"must be object/,
      ),
    );
  }
  add(
    bodyCase(
      'billing_info as a string',
      mutate('billing_info', 'visa'),
      400,
      /\/billing_info","problem":"must be object/,
    ),
  );

  // Invalid emails.
  for (const email of [
    'plainaddress',
    '@example.com',
    'ada@',
    'ada@@example.com',
    'ada example@example.com',
    'ada@exa mple.com',
    'ada@example..com',
    '.ada@example.com',
    'ada.@example.com',
    'ada@-example.com',
    'ada@example.com.',
    'a"b@example.com',
    'ada@[300.1.1.1]',
    '',
    'ada@example,com',
  ]) {
    add(
      bodyCase(
        `invalid email ${JSON.stringify(email)}`,
        mutate('user_info.email', email),
        400,
        /\/user_info\/email","problem":"must (match format \\"email\\"|NOT have more than)/,
      ),
    );
  }

  // Enormous or empty strings, enum violations.
  for (const [path, length] of [
    ['user_info.name', 201],
    ['user_info.name', 100_000],
    ['user_info.phone', 33],
    ['user_info.company', 201],
    ['user_info.referral_code', 65],
    ['billing_info.payment_method', 65],
    ['billing_info.billing_address.street', 201],
    ['billing_info.billing_address.zip', 21],
  ] as const) {
    const pointer = `/${path.replaceAll('.', '/')}`;
    add(
      bodyCase(
        `${pointer} of ${length} characters`,
        mutate(path, 'x'.repeat(length)),
        400,
        new RegExp(`${escapeRegExp(pointer)}","problem":"must NOT have more than`),
      ),
    );
  }
  add(
    bodyCase(
      'email of 300 characters',
      mutate('user_info.email', `${'a'.repeat(290)}@example.com`),
      400,
      /\/user_info\/email/,
    ),
  );
  add(
    bodyCase(
      'empty name',
      mutate('user_info.name', ''),
      400,
      /\/user_info\/name","problem":"must NOT have fewer than 1/,
    ),
  );
  for (const [field, value] of [
    ['plan', 'gold'],
    ['plan', 'PRO'],
    ['source', 'fax'],
  ]) {
    add(
      bodyCase(
        `${field} ${value}`,
        mutate(`user_info.${field}`, value),
        400,
        new RegExp(`/user_info/${field}","problem":"must be one of`),
      ),
    );
  }

  // Size limits: Step Functions' 256 KB input limit (413 from the Lambda), API Gateway's 10 MB.
  add({
    ...bodyCase(
      'body over 256 KB',
      mutate('user_info.name', 'x'.repeat(300_000)),
      413,
      /limit is 262144 bytes/,
    ),
  });
  add({
    name: 'body over 10 MB',
    body: Buffer.alloc(11 * 1024 * 1024, 0x20),
    headers: JSON_HEADERS,
    status: 413,
    names: /exceeds the 10485760-byte limit/,
  });

  // Deep nesting.
  for (const depth of [40, 1_000, 100_000]) {
    const body = `{"user_info":{"email":"a@b.co","name":"A"},"preferences":{"newsletter":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    add({
      name: `nesting ${depth} deep`,
      body,
      headers: JSON_HEADERS,
      status: 400,
      names: /levels deep; the limit is 32/,
    });
  }

  // Prototype pollution keys.
  for (const [label, text, key] of [
    [
      'top-level __proto__',
      '{"__proto__":{"polluted":true},"user_info":{"email":"a@b.co","name":"A"}}',
      '__proto__',
    ],
    ['nested __proto__', '{"user_info":{"email":"a@b.co","name":"A","__proto__":{"x":1}}}', '__proto__'],
    [
      'constructor',
      '{"constructor":{"prototype":{"x":1}},"user_info":{"email":"a@b.co","name":"A"}}',
      'constructor',
    ],
    ['prototype', '{"user_info":{"email":"a@b.co","name":"A"},"preferences":{"prototype":{}}}', 'prototype'],
  ] as const) {
    add({
      name: label,
      body: text,
      headers: JSON_HEADERS,
      status: 400,
      names: new RegExp(`forbidden key '${key}'`),
    });
  }

  // Invalid UTF-8.
  for (const [label, bytes] of [
    ['lone continuation byte', [0x80]],
    ['overlong encoding', [0xc0, 0xaf]],
    ['truncated sequence', [0xe2, 0x82]],
    ['surrogate half', [0xed, 0xa0, 0x80]],
  ] as const) {
    const body = Buffer.concat([
      Buffer.from('{"user_info":{"email":"a@b.co","name":"'),
      Buffer.from(bytes),
      Buffer.from('"}}'),
    ]);
    add({
      name: `invalid UTF-8: ${label}`,
      body,
      headers: JSON_HEADERS,
      status: 400,
      names: /not valid UTF-8/,
    });
  }

  // Not JSON, or JSON that is not an object.
  for (const text of ['hello', '{', '{"a":}', 'NaN', "{'user_info':1}", '<xml/>', '{"a":1}}', '\u0000']) {
    add({
      name: `non-JSON ${JSON.stringify(text)}`,
      body: text,
      headers: JSON_HEADERS,
      status: 400,
      names: /not valid JSON/,
    });
  }
  add({ name: 'empty body', body: '', headers: JSON_HEADERS, status: 400, names: /body is empty/ });
  for (const text of ['null', '"str"', '123', '[]', 'true']) {
    add({
      name: `JSON ${text}`,
      body: text,
      headers: JSON_HEADERS,
      status: 400,
      names: /"field":"\/","problem":"must be object/,
    });
  }

  // Wrong content types.
  const json = JSON.stringify(valid());
  for (const type of [
    'text/plain',
    'application/xml',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/jsonx',
  ]) {
    add({
      name: `content type ${type}`,
      body: json,
      headers: { 'Content-Type': type },
      status: 415,
      names: /is not supported: send application\/json/,
    });
  }
  add({
    name: 'no content type',
    body: json,
    headers: {},
    status: 415,
    names: /Content-Type header is missing/,
  });
  add({
    name: 'UTF-16 charset',
    body: json,
    headers: { 'Content-Type': 'application/json; charset=utf-16' },
    status: 415,
    names: /charset 'utf-16'/,
  });

  // Headers: oversized, bad Idempotency-Key, bad X-Correlation-ID.
  add({
    name: 'oversized header',
    body: json,
    headers: { ...JSON_HEADERS, 'X-Padding': 'p'.repeat(12_000) },
    status: 431,
    names: /header fields too large/i,
  });
  for (const key of ['k'.repeat(129), 'has space', 'slash/key', 'ümlaut', '{json}', 'semi;colon']) {
    add({
      name: `Idempotency-Key ${key.slice(0, 20)}`,
      body: json,
      headers: { ...JSON_HEADERS, 'Idempotency-Key': key },
      status: 400,
      names: /Idempotency-Key header is invalid/,
    });
  }
  for (const id of ['a:b', 'c'.repeat(81), 'with space', 'ünï', '../etc']) {
    add({
      name: `X-Correlation-ID ${id.slice(0, 20)}`,
      body: json,
      headers: { ...JSON_HEADERS, 'X-Correlation-ID': id },
      status: 400,
      names: /X-Correlation-ID header is invalid/,
    });
  }
  add(
    bodyCase(
      'body correlation_id with a colon',
      { ...valid(), correlation_id: 'a:b' },
      400,
      /\/correlation_id/,
    ),
  );
  return cases;
}
