/**
 * The schema half of the hostile corpus: a valid body with one field missing, extra, of the wrong
 * type, out of its enum or over its length; each must be a 400 naming that field.
 */
import type { RawRequest } from './raw-http.ts';

/** One malformed request and what the API must say about it. */
export interface HostileCase extends RawRequest {
  readonly name: string;
  readonly status: number;
  /** Matched against the response body (message and field list). */
  readonly names: RegExp;
}

export const JSON_TYPE = ['Content-Type', 'application/json'] as const;

/** A valid body to mutate: every field of the schema present. */
export function validBody(tag = 'hostile'): Record<string, unknown> {
  return {
    user_info: {
      email: `${tag}@reliability.example.org`,
      name: 'Quillonia Hostile Vexbright',
      phone: '+1 555 0100 4242',
      plan: 'pro',
      referral_code: 'REF-1',
      company: 'Example Co',
      source: 'web',
    },
    billing_info: {
      payment_method: 'card',
      billing_address: { street: '1 Quarry Lane', city: 'Springfield', state: 'IL', zip: '62701' },
    },
    preferences: { marketing_emails: false, product_updates: true, newsletter: false },
  };
}

type Json = Record<string, unknown>;
const clone = (): Json => structuredClone(validBody());
/** `validBody()` with `edit` applied, as a JSON case expecting 400 naming `names`. */
let keys = 0;
/**
 * `validBody()` with `edit` applied, as a JSON case expecting 400 naming `names`. Each carries a
 * fresh Idempotency-Key, so a write before validation would show up in the table.
 */
const mutated = (name: string, edit: (body: Json) => void, names: RegExp): HostileCase => {
  const body = clone();
  edit(body);
  keys += 1;
  return {
    name,
    headers: [JSON_TYPE, ['Idempotency-Key', `hostile-case-${keys}`]],
    body: JSON.stringify(body),
    status: 400,
    names,
  };
};
const at = (body: Json, path: string): Json => {
  let node = body;
  for (const key of path.split('.').filter(Boolean)) node = node[key] as Json;
  return node;
};
const field = (pointer: string): RegExp => new RegExp(`"field":"${pointer.replace(/[/]/g, '\\/')}"`);
export const json = (name: string, body: string | Buffer, status: number, names: RegExp): HostileCase => ({
  name,
  headers: [JSON_TYPE],
  body,
  status,
  names,
});

const STRING_FIELDS = [
  ['user_info', 'email'],
  ['user_info', 'name'],
  ['user_info', 'phone'],
  ['user_info', 'referral_code'],
  ['user_info', 'company'],
  ['billing_info', 'payment_method'],
  ['billing_info.billing_address', 'street'],
  ['billing_info.billing_address', 'city'],
  ['billing_info.billing_address', 'state'],
  ['billing_info.billing_address', 'zip'],
] as const;
const MAX_LENGTHS: Record<string, number> = {
  email: 254,
  name: 200,
  phone: 32,
  referral_code: 64,
  company: 200,
  payment_method: 64,
  street: 200,
  city: 100,
  state: 100,
  zip: 20,
};
const pointerOf = (parent: string, key: string): string => `/${[...parent.split('.'), key].join('/')}`;

export function schemaCases(): HostileCase[] {
  const cases: HostileCase[] = [
    json('an empty object', '{}', 400, field('/user_info')),
    mutated('no user_info', (b) => delete b.user_info, field('/user_info')),
    mutated('an empty user_info', (b) => (b.user_info = {}), /\/user_info\/email.*\/user_info\/name/),
    mutated('no email', (b) => delete at(b, 'user_info').email, field('/user_info/email')),
    mutated('no name', (b) => delete at(b, 'user_info').name, field('/user_info/name')),
    mutated('an empty name', (b) => (at(b, 'user_info').name = ''), field('/user_info/name')),
  ];
  // Extra fields, including ones that would spoof state the workflow owns.
  for (const [parent, key] of [
    ['', 'admin'],
    ['', 'steps'],
    ['', 'execution_arn'],
    ['user_info', 'id'],
    ['user_info', 'status'],
    ['user_info', 'password'],
    ['billing_info', 'amount'],
    ['billing_info.billing_address', 'country'],
    ['preferences', 'theme'],
    ['', 'role'],
    ['user_info', 'is_admin'],
    ['billing_info', 'card_number'],
    ['preferences', 'dark_mode'],
    ['preferences', 'sms'],
  ] as const) {
    cases.push(
      mutated(
        `an extra field ${key} in ${parent || 'the body'}`,
        (b) => (at(b, parent)[key] = 'x'),
        field(pointerOf(parent, key).replace(/^\/\//, '/')),
      ),
    );
  }
  // Wrong types: every string field as a number, every boolean as a string, objects as arrays/null.
  for (const [parent, key] of STRING_FIELDS) {
    cases.push(
      mutated(`${key} as a number`, (b) => (at(b, parent)[key] = 42), field(pointerOf(parent, key))),
    );
  }
  for (const key of ['marketing_emails', 'product_updates', 'newsletter']) {
    cases.push(
      mutated(`${key} as "yes"`, (b) => (at(b, 'preferences')[key] = 'yes'), field(`/preferences/${key}`)),
    );
  }
  for (const key of ['user_info', 'billing_info', 'preferences']) {
    cases.push(mutated(`${key} as an array`, (b) => (b[key] = []), field(`/${key}`)));
    cases.push(mutated(`${key} as null`, (b) => (b[key] = null), field(`/${key}`)));
  }
  cases.push(
    mutated(
      'billing_address as a string',
      (b) => (at(b, 'billing_info').billing_address = '1 Main St'),
      field('/billing_info/billing_address'),
    ),
    mutated(
      'plan outside the enum',
      (b) => (at(b, 'user_info').plan = 'platinum'),
      /\/user_info\/plan.*free, pro, enterprise/,
    ),
    mutated('plan in upper case', (b) => (at(b, 'user_info').plan = 'PRO'), field('/user_info/plan')),
    mutated(
      'source outside the enum',
      (b) => (at(b, 'user_info').source = 'fax'),
      field('/user_info/source'),
    ),
    mutated('correlation_id as a number', (b) => (b.correlation_id = 7), field('/correlation_id')),
    mutated('correlation_id with a colon', (b) => (b.correlation_id = 'reg:1'), field('/correlation_id')),
    mutated(
      'correlation_id of 81 characters',
      (b) => (b.correlation_id = 'c'.repeat(81)),
      field('/correlation_id'),
    ),
    mutated(
      'correlation_id of 129 characters',
      (b) => (b.correlation_id = 'c'.repeat(129)),
      field('/correlation_id'),
    ),
  );
  for (const email of [
    'plainaddress',
    '@no-local-part.example.org',
    'no-at-sign.example.org',
    'two@@example.org',
    'spaces in@example.org',
    'trailing-at@',
    'a@b',
    '<script>alert(1)</script>@example.org',
    'user@exa mple.org',
    ' leading-space@example.org',
    `${'x'.repeat(250)}@example.org`,
  ]) {
    cases.push(
      mutated(
        `the email ${JSON.stringify(email.slice(0, 40))}`,
        (b) => (at(b, 'user_info').email = email),
        field('/user_info/email'),
      ),
    );
  }
  // Strings one over their limit, and far over.
  for (const [parent, key] of STRING_FIELDS) {
    const max = MAX_LENGTHS[key]!;
    cases.push(
      mutated(
        `${key} one character over ${max}`,
        (b) => (at(b, parent)[key] = 'a'.repeat(max + 1)),
        field(pointerOf(parent, key)),
      ),
    );
  }
  // Every user_info string as every other JSON type, and values just outside their rules.
  for (const key of ['email', 'name', 'phone', 'plan', 'referral_code', 'company', 'source']) {
    for (const wrong of [true, [], {}, null]) {
      cases.push(
        mutated(
          `${key} as ${JSON.stringify(wrong)}`,
          (b) => (at(b, 'user_info')[key] = structuredClone(wrong)),
          field(`/user_info/${key}`),
        ),
      );
    }
  }
  cases.push(
    mutated('plan as a number', (b) => (at(b, 'user_info').plan = 42), field('/user_info/plan')),
    mutated('source as a number', (b) => (at(b, 'user_info').source = 7), field('/user_info/source')),
    mutated('plan gold', (b) => (at(b, 'user_info').plan = 'gold'), field('/user_info/plan')),
    mutated('user_info as a string', (b) => (b.user_info = 'ada'), field('/user_info')),
    mutated('user_info as a number', (b) => (b.user_info = 7), field('/user_info')),
    mutated('billing_info as a string', (b) => (b.billing_info = 'visa'), field('/billing_info')),
  );
  for (const key of ['marketing_emails', 'product_updates', 'newsletter']) {
    for (const wrong of [1, null]) {
      cases.push(
        mutated(
          `${key} as ${JSON.stringify(wrong)}`,
          (b) => (at(b, 'preferences')[key] = wrong),
          field(`/preferences/${key}`),
        ),
      );
    }
  }
  for (const email of [
    '@example.com',
    'ada@',
    'ada example@example.com',
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
    cases.push(
      mutated(
        `the email ${JSON.stringify(email)}`,
        (b) => (at(b, 'user_info').email = email),
        field('/user_info/email'),
      ),
    );
  }
  cases.push(
    mutated(
      'a name of 100,000 characters',
      (b) => (at(b, 'user_info').name = 'n'.repeat(100_000)),
      field('/user_info/name'),
    ),
  );
  return cases;
}
