/**
 * The prototype half of the hostile corpus (issue 13 §5): header names, query names, JSON keys,
 * Idempotency-Keys, correlation IDs and path IDs equal to `Object.prototype` members. A server
 * that keeps request data in plain objects answers these with a 500 or reads an inherited
 * function as a value; each must instead get the 4xx the same request without those names gets.
 */
import { type HostileCase, JSON_TYPE, validBody } from './hostile-body-cases.ts';

/** Names a plain object already has (own or inherited) before anything is stored in it. */
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'toLocaleString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  '__defineGetter__',
  '__lookupGetter__',
] as const;

/** The keys the API refuses by name in a JSON body (the others are unknown fields). */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const field = (pointer: string): RegExp => new RegExp(`"field":"${escapeRegExp(pointer)}"`);

/** A body the schema refuses for one reason only: `plan` out of its enum. */
function badPlanBody(): string {
  const body = validBody();
  (body.user_info as Record<string, unknown>).plan = 'gold';
  return JSON.stringify(body);
}
const BAD_PLAN = field('/user_info/plan');

/** Header and query names, Idempotency-Keys and correlation IDs named like prototype members. */
function wireCases(): HostileCase[] {
  const body = badPlanBody();
  const cases: HostileCase[] = [];
  for (const name of PROTOTYPE_NAMES) {
    cases.push({
      name: `a header named ${name}`,
      headers: [JSON_TYPE, [name, '1']],
      body,
      status: 400,
      names: BAD_PLAN,
    });
    cases.push({
      name: `a query parameter named ${name}`,
      path: `/registrations?${encodeURIComponent(name)}=1`,
      headers: [JSON_TYPE],
      body,
      status: 400,
      names: BAD_PLAN,
    });
    cases.push({
      name: `GET an unknown ID with a query parameter named ${name} twice`,
      method: 'GET',
      path: `/registrations/proto_unknown_1?${encodeURIComponent(name)}=1&${encodeURIComponent(name)}=2`,
      headers: [[name, 'x']],
      body: '',
      status: 404,
      names: /No execution with correlation ID 'proto_unknown_1'/,
    });
    if (/^[A-Za-z0-9_.-]+$/.test(name)) {
      cases.push({
        name: `GET the ID ${name}`,
        method: 'GET',
        path: `/registrations/${name}`,
        body: '',
        status: 404,
        names: new RegExp(`No execution with correlation ID '${escapeRegExp(name)}'`),
      });
      cases.push({
        name: `an Idempotency-Key ${name} with an invalid body`,
        headers: [JSON_TYPE, ['Idempotency-Key', name]],
        body,
        status: 400,
        names: BAD_PLAN,
      });
      cases.push({
        name: `an X-Correlation-ID ${name} with an invalid body`,
        headers: [JSON_TYPE, ['X-Correlation-ID', name]],
        body,
        status: 400,
        names: BAD_PLAN,
      });
    }
  }
  cases.push({
    name: 'every prototype name as a header, each twice',
    headers: [JSON_TYPE, ...PROTOTYPE_NAMES.flatMap((name) => [[name, 'a'] as const, [name, 'b'] as const])],
    body,
    status: 400,
    names: BAD_PLAN,
  });
  cases.push({
    name: 'query parameters that address prototype paths',
    path: '/registrations?__proto__[polluted]=1&constructor[prototype][polluted]=1&toString=x&toString=y&hasOwnProperty',
    headers: [JSON_TYPE],
    body,
    status: 400,
    names: BAD_PLAN,
  });
  return cases;
}

/** JSON keys named like prototype members, at the top and in every nested object. */
function bodyCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const valid = JSON.stringify(validBody());
  const places: Array<[where: string, pointer: string, insert: (key: string) => string]> = [
    ['the body', '', (key) => valid.replace(/^\{/, `{"${key}":"x",`)],
    ['user_info', '/user_info', (key) => valid.replace('"user_info":{', `"user_info":{"${key}":"x",`)],
    [
      'billing_address',
      '/billing_info/billing_address',
      (key) => valid.replace('"billing_address":{', `"billing_address":{"${key}":"x",`),
    ],
  ];
  for (const name of PROTOTYPE_NAMES) {
    for (const [where, pointer, insert] of places) {
      if (FORBIDDEN_KEYS.has(name)) {
        // Already refused by name at the top, user_info and preferences (hostile-corpus.ts).
        if (where !== 'billing_address') continue;
        cases.push({
          name: `a key ${name} in ${where}`,
          headers: [JSON_TYPE],
          body: insert(name),
          status: 400,
          names: new RegExp(`forbidden key '${escapeRegExp(name)}'`),
        });
      } else {
        cases.push({
          name: `a key ${name} in ${where}`,
          headers: [JSON_TYPE],
          body: insert(name),
          status: 400,
          names: field(`${pointer}/${name}`),
        });
      }
    }
  }
  return cases;
}

/** Every prototype-named case, in a stable order. */
export function prototypeCases(): HostileCase[] {
  return [...wireCases(), ...bodyCases()];
}
