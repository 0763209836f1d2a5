import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exampleInput } from '../../../local/console/example-input.ts';

test("the schema's first example wins", () => {
  assert.deepEqual(exampleInput({ type: 'object', examples: [{ a: 1 }, { a: 2 }] }), { a: 1 });
});

test('otherwise required fields only, from defaults, enums and formats', () => {
  const schema = {
    type: 'object',
    required: ['user', 'count', 'tags'],
    properties: {
      user: {
        type: 'object',
        required: ['email', 'plan', 'name'],
        properties: {
          email: { type: 'string', format: 'email' },
          plan: { type: 'string', enum: ['free', 'pro'] },
          name: { type: 'string' },
          nickname: { type: 'string' },
        },
      },
      count: { type: 'integer', minimum: 1, default: 3 },
      tags: { type: 'array' },
      note: { type: 'string' },
    },
  };
  assert.deepEqual(exampleInput(schema), {
    user: { email: 'ada@example.com', plan: 'free', name: 'example' },
    count: 3,
    tags: [],
  });
  assert.deepEqual(exampleInput({}), {});
});
