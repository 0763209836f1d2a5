/**
 * The start form's first input: the schema's own `examples[0]` when it has one, else the
 * smallest input the schema accepts that can be built from it (required fields only, with
 * defaults, first enum values and placeholder strings for known formats).
 */

const FORMAT_EXAMPLES: Readonly<Record<string, string>> = {
  email: 'ada@example.com',
  uri: 'https://example.com/',
  'date-time': '2026-01-01T00:00:00Z',
  date: '2026-01-01',
  uuid: '00000000-0000-4000-8000-000000000000',
};

/** Nesting followed at most: schemas can be recursive. */
const MAX_DEPTH = 8;

/** The example input for `schema`. */
export function exampleInput(schema: Record<string, unknown>): unknown {
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  return fromSchema(schema, 0) ?? {};
}

function fromSchema(schema: unknown, depth: number): unknown {
  if (typeof schema !== 'object' || schema === null || depth > MAX_DEPTH) return undefined;
  const s = schema as Record<string, unknown>;
  if (s.default !== undefined) return s.default;
  if (Array.isArray(s.enum)) return s.enum[0];
  if (s.const !== undefined) return s.const;
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const required = Array.isArray(s.required)
        ? s.required.filter((k): k is string => typeof k === 'string')
        : [];
      return Object.fromEntries(required.map((key) => [key, fromSchema(properties[key], depth + 1) ?? null]));
    }
    case 'array':
      return [];
    case 'string':
      return FORMAT_EXAMPLES[String(s.format)] ?? 'example';
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 0;
    case 'boolean':
      return false;
    default:
      return undefined;
  }
}
