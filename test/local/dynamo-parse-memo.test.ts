import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { createWorkflowTable, startDynalite } from '../../local/dynamo.ts';
import { memoizeDynaliteParsers, setParseMemoEnabled } from '../../local/dynamo-parse-memo.ts';

type AttributeValue = Record<string, unknown>;
interface Request {
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
  UpdateExpression?: string;
  ConditionExpression?: string;
  KeyConditionExpression?: string;
  FilterExpression?: string;
  ProjectionExpression?: string;
}

const require = createRequire(import.meta.url);
const validations = require('dynalite/validations/index.js') as {
  validateExpressions(data: Request): string | undefined;
  convertKeyCondition(expression: unknown): unknown;
};
const stats = memoizeDynaliteParsers();
const PARSED = ['_updates', '_condition', '_keyCondition', '_filter', '_projection'] as const;

/** dynalite's verdict on a request and what its parses left on it (KeyConditions as a query converts them). */
function validate(request: Request): Record<string, unknown> {
  const data = structuredClone(request) as Request & Record<string, unknown>;
  const verdict = validations.validateExpressions(data);
  const parsed: Record<string, unknown> = { verdict };
  for (const field of PARSED) if (field in data) parsed[field] = data[field];
  const keyCondition = data._keyCondition as { expression?: unknown } | undefined;
  if (verdict === undefined && keyCondition)
    parsed.keyConditions = validations.convertKeyCondition(keyCondition.expression);
  return parsed;
}

function unmemoized(request: Request): Record<string, unknown> {
  setParseMemoEnabled(false);
  try {
    return validate(request);
  } finally {
    setParseMemoEnabled(true);
  }
}

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: string): AttributeValue => ({ N: n });

/** Valid and invalid requests, the kinds of error each parser reports, and names or values left unused. */
const CASES: ReadonlyArray<readonly [string, Request]> = [
  [
    'a SET with names and values',
    {
      UpdateExpression: 'SET #s = :s, expires_at = :e',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': S('DONE'), ':e': N('1700000000') },
    },
  ],
  [
    'an update and a condition sharing names and values',
    {
      UpdateExpression: 'SET #v = :v ADD waits :one',
      ConditionExpression: '#v = :expected',
      ExpressionAttributeNames: { '#v': 'version' },
      ExpressionAttributeValues: { ':v': N('2'), ':one': N('1'), ':expected': N('1') },
    },
  ],
  [
    'the same condition after another update',
    {
      UpdateExpression: 'SET other = :expected',
      ConditionExpression: '#v = :expected',
      ExpressionAttributeNames: { '#v': 'version' },
      ExpressionAttributeValues: { ':expected': N('1') },
    },
  ],
  [
    'a name used only by the condition',
    {
      UpdateExpression: 'SET a = :a',
      ConditionExpression: 'attribute_exists(#b)',
      ExpressionAttributeNames: { '#b': 'b' },
      ExpressionAttributeValues: { ':a': S('x') },
    },
  ],
  [
    'a conditional put',
    {
      ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now',
      ExpressionAttributeValues: { ':now': N('1700000000') },
    },
  ],
  [
    'an unused name',
    { ConditionExpression: 'attribute_not_exists(pk)', ExpressionAttributeNames: { '#x': 'x' } },
  ],
  [
    'an unused value',
    { ConditionExpression: 'a = :a', ExpressionAttributeValues: { ':a': S('1'), ':b': S('2') } },
  ],
  [
    'an unused value left by the update, used by nothing',
    {
      UpdateExpression: 'SET a = :a',
      ConditionExpression: 'b = :b',
      ExpressionAttributeValues: { ':a': S('1'), ':b': S('2'), ':c': S('3') },
    },
  ],
  [
    'an undefined name',
    { UpdateExpression: 'SET #missing = :a', ExpressionAttributeValues: { ':a': S('x') } },
  ],
  [
    'an undefined value',
    { UpdateExpression: 'SET a = :missing', ExpressionAttributeValues: { ':a': S('x') } },
  ],
  [
    'a wrong operand type for ADD',
    { UpdateExpression: 'ADD counter :s', ExpressionAttributeValues: { ':s': S('x') } },
  ],
  [
    'the same ADD with a number',
    { UpdateExpression: 'ADD counter :s', ExpressionAttributeValues: { ':s': N('1') } },
  ],
  [
    'a wrong operand type for begins_with',
    { ConditionExpression: 'begins_with(a, :n)', ExpressionAttributeValues: { ':n': N('1') } },
  ],
  ['an update syntax error', { UpdateExpression: 'SET = :a', ExpressionAttributeValues: { ':a': S('x') } }],
  ['a condition syntax error', { ConditionExpression: 'attribute_not_exists(' }],
  ['a reserved word', { UpdateExpression: 'SET status = :s', ExpressionAttributeValues: { ':s': S('x') } }],
  [
    'redundant parentheses',
    { ConditionExpression: '((a = :a))', ExpressionAttributeValues: { ':a': S('x') } },
  ],
  ['an unknown function', { ConditionExpression: 'nope(a)' }],
  [
    'IN with values',
    { FilterExpression: 'a IN (:x, :y)', ExpressionAttributeValues: { ':x': S('1'), ':y': S('2') } },
  ],
  [
    'size in a filter',
    {
      FilterExpression: 'size(#l) > :n',
      ExpressionAttributeNames: { '#l': 'list' },
      ExpressionAttributeValues: { ':n': N('3') },
    },
  ],
  [
    'a key condition with swapped operands',
    {
      KeyConditionExpression: ':p = pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':p': S('a'), ':prefix': S('b') },
    },
  ],
  [
    'BETWEEN with bounds in order',
    {
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :a AND :b',
      ExpressionAttributeValues: { ':p': S('p'), ':a': S('a'), ':b': S('b') },
    },
  ],
  [
    'BETWEEN with bounds reversed',
    {
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :a AND :b',
      ExpressionAttributeValues: { ':p': S('p'), ':a': S('b'), ':b': S('a') },
    },
  ],
  [
    'attribute_type with a type name',
    { ConditionExpression: 'attribute_type(a, :t)', ExpressionAttributeValues: { ':t': S('S') } },
  ],
  [
    'attribute_type with a bad type name',
    { ConditionExpression: 'attribute_type(a, :t)', ExpressionAttributeValues: { ':t': S('X') } },
  ],
  [
    'a projection with a name',
    { ProjectionExpression: '#a, b.c[0]', ExpressionAttributeNames: { '#a': 'a' } },
  ],
  [
    'a projection with an undefined name',
    { ProjectionExpression: '#a, #b', ExpressionAttributeNames: { '#a': 'a' } },
  ],
  ['an empty expression', { ConditionExpression: '' }],
];

test('memoized parses give dynalite its own results and errors, on a miss and on a hit', () => {
  for (const [name, request] of CASES) {
    const expected = unmemoized(request);
    assert.deepEqual(validate(request), expected, `${name} (first)`);
    assert.deepEqual(validate(request), expected, `${name} (again)`);
  }
  assert.match(
    String(unmemoized(CASES[5]![1]).verdict),
    /^Value provided in ExpressionAttributeNames unused in expressions: keys: \{#x\}$/,
  );
  assert.match(
    String(unmemoized(CASES[6]![1]).verdict),
    /^Value provided in ExpressionAttributeValues unused in expressions: keys: \{:b\}$/,
  );
});

test('a hit puts the request’s own attribute values in the result, not the cached ones', () => {
  const request = (status: string): Request => ({
    UpdateExpression: 'SET #s = :s, echo_of_s = :s',
    ExpressionAttributeNames: { '#s': 'status' },
    ExpressionAttributeValues: { ':s': S(status) },
  });
  validate(request('first'));
  const hitsBefore = stats.update.hits;
  const data = structuredClone(request('second')) as Request & {
    _updates?: { sections: { val: unknown }[] };
  };
  assert.equal(validations.validateExpressions(data), undefined);
  assert.equal(stats.update.hits, hitsBefore + 1);
  const [first, second] = data._updates?.sections ?? [];
  assert.equal(first?.val, data.ExpressionAttributeValues?.[':s']);
  assert.equal(second?.val, data.ExpressionAttributeValues?.[':s']);
});

const VALUES: fc.Arbitrary<AttributeValue> = fc.oneof(
  fc.string({ maxLength: 3 }).map((s) => ({ S: s })),
  fc.integer({ min: -5, max: 5 }).map((n) => ({ N: String(n) })),
  fc.boolean().map((b) => ({ BOOL: b })),
  fc.constant({ NULL: true }),
  fc.constant({ L: [{ S: 'x' }] }),
  fc.constant({ M: { a: { N: '1' } } }),
  fc.constant({ SS: ['a', 'b'] }),
);
const EXPRESSIONS = {
  UpdateExpression: [
    'SET #a = :x',
    'SET #a = :x, #b = :y',
    'ADD #a :x',
    'DELETE #b :y',
    'SET a = list_append(a, :x)',
    'SET n = n + :x',
    'SET #a = if_not_exists(#a, :z) REMOVE #b',
    'SET #a = :q',
  ],
  ConditionExpression: [
    'attribute_not_exists(#a)',
    '#a = :x',
    '#a < :x OR #b = :y',
    'begins_with(#b, :y)',
    'size(#a) > :z',
    'contains(#a, :x) AND NOT #b <> :y',
    '#a IN (:x, :y, :z)',
    'a.#b[1] = :x',
  ],
  ProjectionExpression: ['#a', '#a, #b.c', 'a, b[0]'],
} as const;

test('memoized parses match dynalite’s own on generated requests (names, values and types vary)', () => {
  const names = fc.dictionary(fc.constantFrom('#a', '#b', '#c'), fc.constantFrom('a', 'b', 'status', 'x.y'), {
    maxKeys: 3,
  });
  const values = fc.dictionary(fc.constantFrom(':x', ':y', ':z'), VALUES, { maxKeys: 3 });
  const request = fc.record(
    {
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      UpdateExpression: fc.constantFrom(...EXPRESSIONS.UpdateExpression),
      ConditionExpression: fc.constantFrom(...EXPRESSIONS.ConditionExpression),
      ProjectionExpression: fc.constantFrom(...EXPRESSIONS.ProjectionExpression),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(request, (generated) => {
      const r: Request = { ...generated };
      // dynalite rejects an empty map before parsing; keep the requests that reach the parsers.
      if (r.ExpressionAttributeNames && Object.keys(r.ExpressionAttributeNames).length === 0)
        delete r.ExpressionAttributeNames;
      if (r.ExpressionAttributeValues && Object.keys(r.ExpressionAttributeValues).length === 0)
        delete r.ExpressionAttributeValues;
      assert.deepEqual(validate(r), unmemoized(r));
    }),
    { seed: 14, numRuns: 600 },
  );
  assert.ok(
    stats.update.hits + stats.condition.hits + stats.projection.hits > 0,
    'the generated requests hit the memo',
  );
});

test('through dynalite: a hit writes the new request’s values and repeats the same errors', async () => {
  const dynamo = await startDynalite();
  try {
    await createWorkflowTable(dynamo.client, 'memo-table');
    const Key = { pk: { S: 'p' }, sk: { S: 's' } };
    await dynamo.client.send(
      new PutItemCommand({ TableName: 'memo-table', Item: { ...Key, n: { N: '0' } } }),
    );
    const update = (value: string) =>
      dynamo.client.send(
        new UpdateItemCommand({
          TableName: 'memo-table',
          Key,
          UpdateExpression: 'SET #v = :v ADD n :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#v': 'value' },
          ExpressionAttributeValues: { ':v': { S: value }, ':one': { N: '1' } },
        }),
      );
    await update('first');
    const hitsBefore = stats.update.hits;
    await update('second');
    assert.equal(stats.update.hits, hitsBefore + 1);
    const { Item } = await dynamo.client.send(
      new GetItemCommand({ TableName: 'memo-table', Key, ConsistentRead: true }),
    );
    assert.deepEqual(Item, { ...Key, n: { N: '2' }, value: { S: 'second' } });

    const unused = () =>
      dynamo.client.send(
        new UpdateItemCommand({
          TableName: 'memo-table',
          Key,
          UpdateExpression: 'SET a = :a',
          ExpressionAttributeNames: { '#unused': 'x' },
          ExpressionAttributeValues: { ':a': { S: 'x' } },
        }),
      );
    const message = 'Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}';
    for (let i = 0; i < 2; i++) {
      await assert.rejects(unused(), (error: Error) => {
        assert.equal(error.name, 'ValidationException');
        assert.equal(error.message, message);
        return true;
      });
    }
  } finally {
    await dynamo.close();
  }
});
