/**
 * Hostile input (issue 5, part 3): a corpus of malformed requests over raw HTTP, and a fast-check
 * property over the schema (a valid body with exactly one mutation), against the local API on
 * the offline runtime. Each must get the exact 4xx with a message naming the problem, start no
 * execution, write nothing to DynamoDB, and leave the server answering. The corpus includes
 * header, query, JSON and ID names equal to `Object.prototype` members (hostile-proto-cases.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import type { LocalRuntime } from '../../local/runtime/index.ts';
import { collectLogs, sharedRuntime } from '../e2e/shared-runtime.ts';
import { hostileCorpus, validBody } from './hostile-corpus.ts';
import { prototypeCases } from './hostile-proto-cases.ts';
import { sendRaw } from './raw-http.ts';
import { countExecutions, findPiiLeaks, mapLimit, waitForTerminal } from './support.ts';

const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 120);
const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 5150);

type Json = Record<string, unknown>;

/** Leaves of the schema: path in the body, JSON type, and the limit or allowed values. */
const STRINGS: Record<string, number> = {
  'user_info.email': 254,
  'user_info.name': 200,
  'user_info.phone': 32,
  'user_info.referral_code': 64,
  'user_info.company': 200,
  'billing_info.payment_method': 64,
  'billing_info.billing_address.street': 200,
  'billing_info.billing_address.city': 100,
  'billing_info.billing_address.state': 100,
  'billing_info.billing_address.zip': 20,
};
const BOOLEANS = ['preferences.marketing_emails', 'preferences.product_updates', 'preferences.newsletter'];
const ENUMS: Record<string, readonly string[]> = {
  'user_info.plan': ['free', 'pro', 'enterprise'],
  'user_info.source': ['web', 'mobile', 'api'],
};
const OBJECTS = ['user_info', 'billing_info', 'billing_info.billing_address', 'preferences'];
const SCHEMA_KEYS = new Set(
  [...Object.keys(STRINGS), ...BOOLEANS, ...Object.keys(ENUMS), ...OBJECTS, 'correlation_id'].map(
    (path) => path.split('.').pop()!,
  ),
);
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

const pointer = (path: string): string => `/${path.split('.').join('/')}`;
function setAt(body: Json, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = body;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Json;
  }
  node[keys.at(-1)!] = value;
}
function deleteAt(body: Json, path: string): void {
  const keys = path.split('.');
  let node: Json | undefined = body;
  for (const key of keys.slice(0, -1)) node = node?.[key] as Json | undefined;
  if (node) delete node[keys.at(-1)!];
}

/** A valid body: every optional part present or not, values within the schema. */
const validBodyArb = fc
  .record({
    email: fc.stringMatching(/^[a-z]{1,12}(\.[a-z0-9]{1,8})?@[a-z]{2,12}\.(org|com|net)$/),
    name: fc.string({ minLength: 1, maxLength: 60 }),
    plan: fc.constantFrom('free', 'pro', 'enterprise'),
    withBilling: fc.boolean(),
    withPreferences: fc.boolean(),
  })
  .map(({ email, name, plan, withBilling, withPreferences }) => {
    const body = validBody();
    setAt(body, 'user_info.email', email);
    setAt(body, 'user_info.name', name);
    setAt(body, 'user_info.plan', plan);
    if (!withBilling) delete body.billing_info;
    if (!withPreferences) delete body.preferences;
    return body;
  });

/** One mutation and the field the API must name for it. */
type Mutation = { describe: string; apply: (body: Json) => void; field: string };
const wrongForString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
);
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom('user_info', 'user_info.email', 'user_info.name').map((path) => ({
    describe: `remove ${path}`,
    apply: (body: Json) => deleteAt(body, path),
    field: pointer(path),
  })),
  fc
    .tuple(
      fc.constantFrom('', ...OBJECTS),
      fc
        .string({ minLength: 1, maxLength: 16 })
        .filter((key) => !SCHEMA_KEYS.has(key) && !FORBIDDEN.has(key)),
    )
    .map(([parent, key]) => ({
      describe: `add ${parent}.${key}`,
      apply: (body: Json) => setAt(body, parent ? `${parent}.${key}` : key, 'extra'),
      field: `${parent ? pointer(parent) : ''}/${key}`,
    })),
  fc.tuple(fc.constantFrom(...Object.keys(STRINGS)), wrongForString).map(([path, value]) => ({
    describe: `${path} = ${JSON.stringify(value)}`,
    apply: (body: Json) => setAt(body, path, value),
    field: pointer(path),
  })),
  fc
    .tuple(fc.constantFrom(...Object.keys(STRINGS)), fc.integer({ min: 1, max: 2000 }))
    .map(([path, extra]) => ({
      describe: `${path} ${extra} over its limit`,
      apply: (body: Json) => setAt(body, path, 'x'.repeat(STRINGS[path]! + extra)),
      field: pointer(path),
    })),
  fc
    .tuple(fc.constantFrom(...BOOLEANS), fc.oneof(fc.string(), fc.integer(), fc.constant(null)))
    .map(([path, value]) => ({
      describe: `${path} = ${JSON.stringify(value)}`,
      apply: (body: Json) => setAt(body, path, value),
      field: pointer(path),
    })),
  fc
    .tuple(fc.constantFrom(...Object.keys(ENUMS)), fc.string({ maxLength: 12 }))
    .filter(([path, value]) => !ENUMS[path]!.includes(value))
    .map(([path, value]) => ({
      describe: `${path} = ${JSON.stringify(value)}`,
      apply: (body: Json) => setAt(body, path, value),
      field: pointer(path),
    })),
  fc
    .tuple(
      fc.constantFrom(...OBJECTS),
      fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 })),
    )
    .map(([path, value]) => ({
      describe: `${path} = ${JSON.stringify(value)}`,
      apply: (body: Json) => setAt(body, path, value),
      field: pointer(path),
    })),
  fc
    .string({ maxLength: 40 })
    .filter((text) => !text.includes('@'))
    .map((email) => ({
      describe: `email ${JSON.stringify(email)}`,
      apply: (body: Json) => setAt(body, 'user_info.email', email),
      field: '/user_info/email',
    })),
);

describe('hostile input to the registration API', () => {
  let runtime: LocalRuntime;
  let stateMachineArn: string;
  let executionsBefore = 0;
  let itemsBefore = 0;
  const statuses = new Map<number, number>();
  // The lines the functions write while this file runs.
  const logLines: string[] = [];
  let stopLogs = (): void => {};
  let corpusSize = 0;
  let fuzzRuns = 0;
  let floodSize = 0;

  const tableItems = async (): Promise<number> => {
    const out = await runtime.dynamo.client.send(
      new ScanCommand({ TableName: runtime.tableName, Select: 'COUNT' }),
    );
    return out.Count ?? 0;
  };
  const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);

  before(async () => {
    stopLogs = collectLogs(logLines);
    runtime = await sharedRuntime();
    stateMachineArn = runtime.workflow('user_registration').stateMachineArn;
    executionsBefore = await countExecutions(runtime.sfnClient, stateMachineArn);
    itemsBefore = await tableItems();
  });
  after(() => stopLogs());

  test('every request of the corpus gets its 4xx, with a message naming the problem', async () => {
    const corpus = hostileCorpus();
    corpusSize = corpus.length;
    assert.ok(corpus.length >= 100, `the corpus has ${corpus.length} cases`);
    assert.equal(new Set(corpus.map((c) => c.name)).size, corpus.length, 'case names are unique');
    const wrong: string[] = [];
    for (const hostile of corpus) {
      const response = await sendRaw(runtime.apiUrl, hostile);
      count(response.status);
      if (response.timedOut) wrong.push(`${hostile.name}: no answer (the server hung)`);
      else if (response.status !== hostile.status || !hostile.names.test(response.body)) {
        wrong.push(
          `${hostile.name}: expected ${hostile.status} ${hostile.names}, got ${response.status} ${response.body.slice(0, 300)}`,
        );
      } else if (/^\s+at /m.test(response.body) || /\.ts:\d+/.test(response.body)) {
        wrong.push(`${hostile.name}: the answer carries a stack trace`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('the corpus sent 4 times over, 32 connections at once, gets the same answers and no hang', async () => {
    const corpus = hostileCorpus();
    const rounds = [...corpus, ...corpus, ...corpus, ...corpus];
    const answers = await mapLimit(rounds, 32, (hostile) => sendRaw(runtime.apiUrl, hostile));
    const wrong = answers.flatMap((answer, index) => {
      const hostile = rounds[index]!;
      count(answer.status);
      if (answer.timedOut) return [`${hostile.name}: no answer`];
      return answer.status === hostile.status && hostile.names.test(answer.body)
        ? []
        : [`${hostile.name}: ${answer.status} ${answer.body.slice(0, 200)}`];
    });
    floodSize = rounds.length;
    assert.deepEqual(wrong, []);
  });

  test('a valid body with any one mutation is refused with 400 naming the mutated field (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(validBodyArb, mutationArb, async (body, mutation) => {
        fuzzRuns += 1;
        mutation.apply(body);
        const response = await sendRaw(runtime.apiUrl, {
          headers: [
            ['Content-Type', 'application/json'],
            ['Idempotency-Key', `fuzz-${fuzzRuns}`],
          ],
          body: JSON.stringify(body),
        });
        count(response.status);
        assert.equal(
          response.status,
          400,
          `${mutation.describe}: ${response.status} ${response.body.slice(0, 300)}`,
        );
        const answer = JSON.parse(response.body) as { message: string; errors?: Array<{ field: string }> };
        const fields = (answer.errors ?? []).map((problem) => problem.field);
        assert.ok(
          fields.includes(mutation.field),
          `${mutation.describe}: expected ${mutation.field} in ${JSON.stringify(fields)}`,
        );
      }),
      { numRuns: FUZZ_RUNS, seed: FUZZ_SEED, endOnFailure: true },
    );
  });

  test('none of them started an execution or wrote to DynamoDB, and a valid request still succeeds', async () => {
    assert.equal(
      await countExecutions(runtime.sfnClient, stateMachineArn),
      executionsBefore,
      'executions started',
    );
    assert.equal(await tableItems(), itemsBefore, 'items written');
    const response = await sendRaw(runtime.apiUrl, {
      headers: [['Content-Type', 'application/json']],
      body: JSON.stringify(validBody('hostile-final')),
    });
    assert.equal(response.status, 202, response.body);
    const { execution_arn: arn } = JSON.parse(response.body) as { execution_arn: string };
    assert.equal(await waitForTerminal(runtime.sfnClient, arn, Date.now() + 60_000), 'SUCCEEDED');
    assert.equal(await countExecutions(runtime.sfnClient, stateMachineArn), executionsBefore + 1);
    // The Lambdas never saw a prototype-polluting key: nothing leaked into this process either.
    assert.equal(({} as Record<string, unknown>).polluted, undefined);

    const leaks = findPiiLeaks(logLines, [
      {
        email: 'hostile-final@reliability.example.org',
        name: 'Quillonia Hostile Vexbright',
        phone: '+1 555 0100 4242',
      },
    ]);
    const byStatus = [...statuses]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status}=${n}`)
      .join(' ');
    const fiveXx = [...statuses].filter(([status]) => status >= 500).reduce((sum, [, n]) => sum + n, 0);
    console.log(
      `PROOF hostile-input: corpus=${corpusSize} (prototype-named cases ${prototypeCases().length}) concurrent_replay=${floodSize} ` +
        `fuzz=${fuzzRuns} (seed ${FUZZ_SEED}) by status: ${byStatus}; 5xx=${fiveXx} ` +
        `executions_started=0 items_written=0 hangs=0 final_valid=202 pii_leaks=${leaks.length}`,
    );
    assert.equal(fiveXx, 0, 'answers in the 5xx range');
    assert.deepEqual(leaks.slice(0, 3), []);
  });
});
