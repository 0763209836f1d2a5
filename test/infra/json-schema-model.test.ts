import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toApiGatewaySchema } from '../../infra/json-schema-model.ts';

describe('toApiGatewaySchema', () => {
  test('keeps the draft-4 keywords API Gateway validates and marks the schema draft 4', () => {
    const schema = toApiGatewaySchema({
      type: 'object',
      required: ['a'],
      additionalProperties: false,
      properties: {
        a: { type: 'string', minLength: 1, maxLength: 5, pattern: '^x', enum: ['x', 'xy'] },
        n: { type: 'integer', minimum: 0, maximum: 9, multipleOf: 3 },
        list: { type: 'array', items: { type: 'boolean' }, minItems: 1, maxItems: 3, uniqueItems: true },
      },
    });
    assert.deepEqual(JSON.parse(JSON.stringify(schema)), {
      schema: 'http://json-schema.org/draft-04/schema#',
      type: 'object',
      required: ['a'],
      additionalProperties: false,
      properties: {
        a: { type: 'string', minLength: 1, maxLength: 5, pattern: '^x', enum: ['x', 'xy'] },
        n: { type: 'integer', minimum: 0, maximum: 9, multipleOf: 3 },
        list: { type: 'array', items: { type: 'boolean' }, minItems: 1, maxItems: 3, uniqueItems: true },
      },
    });
  });

  test('drops format, default, examples and $schema at every depth', () => {
    const schema = toApiGatewaySchema({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        email: { type: 'string', format: 'email', default: 'a@b.c', examples: ['x@y.z'] },
        nested: { type: 'object', properties: { flag: { type: 'boolean', default: false } } },
      },
    });
    assert.deepEqual(schema.properties?.email, { type: 'string' });
    assert.deepEqual(schema.properties?.nested?.properties?.flag, { type: 'boolean' });
  });

  test('turns const into a one-value enum and numeric exclusive bounds into draft-4 form', () => {
    const schema = toApiGatewaySchema({
      properties: {
        kind: { const: 'user' },
        score: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 10 },
      },
    });
    assert.deepEqual(schema.properties?.kind, { enum: ['user'] });
    assert.deepEqual(schema.properties?.score, {
      type: 'number',
      minimum: 0,
      exclusiveMinimum: true,
      maximum: 10,
      exclusiveMaximum: true,
    });
  });

  test('converts schemas inside combinators, additionalProperties and tuple items', () => {
    const schema = toApiGatewaySchema({
      anyOf: [{ type: 'string', format: 'uri' }, { type: 'null' }],
      additionalProperties: { type: 'string', default: '' },
      items: [{ type: 'string', format: 'date' }],
      not: { type: 'number', default: 1 },
    });
    assert.deepEqual(schema.anyOf, [{ type: 'string' }, { type: 'null' }]);
    assert.deepEqual(schema.additionalProperties, { type: 'string' });
    assert.deepEqual(schema.items, [{ type: 'string' }]);
    assert.deepEqual(schema.not, { type: 'number' });
  });

  test('rejects $ref, naming where it is', () => {
    assert.throws(() => toApiGatewaySchema({ properties: { user: { $ref: '#/definitions/user' } } }), {
      message:
        'schema #/properties/user/$ref: references are not supported in a workflow schema (inline the schema)',
    });
  });

  test('rejects a sub-schema that is not an object, naming where it is', () => {
    assert.throws(() => toApiGatewaySchema({ properties: { a: 'string' } }), {
      message: 'schema #/properties/a: expected a JSON Schema object, got "string"',
    });
  });
});
