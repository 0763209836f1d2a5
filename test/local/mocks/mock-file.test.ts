import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowError } from '../../../infra/workflow/diagnostics.ts';
import { parseMockFile } from '../../../local/mocks/mock-file.ts';

/** The diagnostics of a broken mock file, one line each. */
function diagnosticsOf(text: string): string[] {
  try {
    parseMockFile(text, 'config/orders.mocks.yaml');
  } catch (error) {
    assert.ok(error instanceof WorkflowError, `not a WorkflowError: ${String(error)}`);
    return error.message.split('\n');
  }
  return assert.fail('the file was accepted');
}

const F = 'config/orders.mocks.yaml';

describe('mock file format', () => {
  test('reads services, routes, answers, required fields and the simulators module', () => {
    const file = parseMockFile(
      `simulators: local/simulators/x/index.ts
services:
  payments:
    latency_ms: 15
    routes:
      POST /charges:
        required: [body.order_id]
        answers:
          - when: { body.amount_cents: 0 }
            status: 400
            body: { error: ZERO_AMOUNT }
          - status: 201
            headers: { Location: "/charges/{{seq}}" }
            body: { charge_id: "ch_{{seq}}", order_id: "{{body.order_id}}" }
      GET /charges/{id}:
      DELETE /charges/{id}:
        status: 204
        body: null
        write: false
`,
      F,
    );
    assert.deepEqual(file.simulators, { module: 'local/simulators/x/index.ts', line: 1 });
    const [payments] = file.services;
    assert.equal(payments?.name, 'payments');
    assert.equal(payments?.latencyMs, 15);
    assert.deepEqual(
      payments?.routes.map((route) => [route.key, route.line, route.required, route.write]),
      [
        ['POST /charges', 6, ['body.order_id'], undefined],
        ['GET /charges/{id}', 15, [], undefined],
        ['DELETE /charges/{id}', 16, [], false],
      ],
    );
    const charges = payments!.routes[0]!;
    assert.deepEqual(charges.answers[0], {
      when: [['body.amount_cents', 0]],
      status: 400,
      headers: {},
      body: { error: 'ZERO_AMOUNT' },
    });
    assert.deepEqual(charges.answers[1]?.headers, { location: '/charges/{{seq}}' });
    assert.deepEqual(payments!.routes[1]!.answers, [{ when: [], status: 200, headers: {}, body: {} }]);
    assert.equal(payments!.routes[2]!.answers[0]?.body, null);
  });

  const broken: Array<[string, string, string[]]> = [
    [
      'an unknown top-level field',
      'servces:\n  a: {}\n',
      [`${F}:1: unknown field 'servces' (did you mean 'services'?)`],
    ],
    ['not a mapping', '42\n', [`${F}:1: a mock file is a mapping with 'services:' (and/or 'simulators:')`]],
    [
      'neither services nor simulators',
      'simulators:\n',
      [`${F}:1: 'simulators' must be the path of a .ts/.mjs/.js module, relative to the project root`],
    ],
    [
      'bad route keys',
      'services:\n  pay:\n    routes:\n      FETCH /x: {}\n      POST charges: {}\n      POST /a/{id}/{id}: {}\n      GET /a b: {}\n',
      [
        `${F}:4: service 'pay': route 'FETCH /x': method 'FETCH' is not one of GET, POST, PUT, PATCH, DELETE, HEAD`,
        `${F}:5: service 'pay': route 'POST charges' must be 'METHOD /path' (e.g. 'POST /orders/{id}/ship')`,
        `${F}:6: service 'pay': route 'POST /a/{id}/{id}': parameter '{id}' appears twice`,
        `${F}:7: service 'pay': route 'GET /a b' must be 'METHOD /path' (e.g. 'POST /orders/{id}/ship')`,
      ],
    ],
    [
      'bad expressions, each at its own line',
      'services:\n  pay:\n    routes:\n      POST /orders/{id}:\n        body:\n          a: "{{bdy.x}}"\n          b: "{{path.order}}"\n          c: ["{{seq.x}}"]\n          d: "x {{query.a.b}}"\n',
      [
        `${F}:6: service 'pay' route 'POST /orders/{id}' body: unknown expression 'bdy.x' (did you mean 'body.x'?); expressions start with path, query, headers, body, correlation_id, idempotency_key, seq, uuid, now`,
        `${F}:7: service 'pay' route 'POST /orders/{id}' body: 'path.order': the route has no parameter '{order}' (its parameters: {id})`,
        `${F}:8: service 'pay' route 'POST /orders/{id}' body: 'seq' takes no field ('seq.x')`,
        `${F}:9: service 'pay' route 'POST /orders/{id}' body: 'query.a.b' must name one query field, e.g. 'query.id'`,
      ],
    ],
    [
      'a bad status, latency and an unknown answer field, sorted by line',
      'services:\n  pay:\n    latency_ms: -1\n    routes:\n      GET /x:\n        bogus: 1\n        status: 99\n',
      [
        `${F}:3: service 'pay': latency_ms must be a non-negative number of milliseconds`,
        `${F}:6: service 'pay' route 'GET /x': unknown field 'bogus'`,
        `${F}:7: service 'pay' route 'GET /x': status must be an HTTP status code (100-599), got 99`,
      ],
    ],
    [
      'answers mixed with a single answer, and no default answer',
      'services:\n  pay:\n    routes:\n      POST /x:\n        status: 201\n        answers:\n          - when: { body.a: 1 }\n            status: 400\n',
      [
        `${F}:6: service 'pay' route 'POST /x': give either 'answers:' or one answer's fields (status, headers, body, when), not both`,
        `${F}:7: service 'pay' route 'POST /x': the last answer must have no 'when' (it answers every other request)`,
      ],
    ],
    [
      'required fields that are not request fields, and a when outside answers',
      'services:\n  pay:\n    routes:\n      POST /x:\n        required: [body.a, seq]\n        when: { body.a: 1 }\n',
      [
        `${F}:5: service 'pay' route 'POST /x': required names a request field (body.x, query.x or headers.x), got 'seq'`,
        `${F}:6: service 'pay' route 'POST /x': 'when' belongs to one of several 'answers:'`,
      ],
    ],
    [
      'a module outside the project',
      'simulators: ../outside.ts\n',
      [`${F}:1: 'simulators' (../outside.ts) must be a path inside the project, relative to its root`],
    ],
    [
      'a service without routes',
      'services:\n  pay:\n    latency_ms: 3\n',
      [`${F}:3: service 'pay': 'routes' must map 'METHOD /path' to an answer`],
    ],
    [
      'a YAML error',
      'services:\n  a: 1\n  a: 2\n',
      [`${F}:3:3: YAML syntax error: duplicate key 'a' (each field may appear once in a mapping)`],
    ],
  ];
  for (const [name, text, expected] of broken) {
    test(`reports ${name} as file:line diagnostics`, () => {
      assert.deepEqual(diagnosticsOf(text), expected);
    });
  }
});
