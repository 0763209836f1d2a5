import { type JsonSchema, JsonSchemaVersion } from 'aws-cdk-lib/aws-apigateway';

/**
 * Keywords API Gateway models (JSON Schema draft 4) understand, copied as they are.
 * Sub-schemas are converted recursively; everything else is dropped (see DROPPED_KEYWORDS).
 */
const SCALAR_KEYWORDS = [
  'type',
  'title',
  'description',
  'enum',
  'multipleOf',
  'maximum',
  'minimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'maxProperties',
  'minProperties',
  'required',
] as const;

/**
 * Keywords dropped on purpose. API Gateway ignores or rejects them, and the start Lambda
 * validates the full schema (formats such as `email`, defaults) with ajv anyway, so the model
 * only has to stop the clearly malformed requests before they cost an invocation.
 */
export const DROPPED_KEYWORDS = [
  'format',
  'default',
  'examples',
  'example',
  '$schema',
  '$id',
  'id',
  '$comment',
  'readOnly',
  'writeOnly',
  'deprecated',
  'contentMediaType',
  'contentEncoding',
] as const;

/**
 * Converts a workflow's input JSON Schema (as written in the YAML, any draft) into the draft-4
 * subset an API Gateway request model accepts.
 *
 * Kept: type, enum, required, properties, additionalProperties, pattern, min/max lengths, items,
 * numeric bounds and the combinators. Converted: `const` becomes a one-value `enum`; draft-6
 * numeric `exclusiveMinimum`/`exclusiveMaximum` become draft-4's `minimum` + boolean flag.
 * Dropped: {@link DROPPED_KEYWORDS}. `$ref` is rejected because an API Gateway model can only
 * reference other models by URL, which a workflow file cannot express.
 *
 * @param schema the workflow's `schema` block
 * @param where JSON pointer of `schema` inside the workflow file, for error messages
 * @default where '#'
 * @throws Error naming the pointer of an unsupported keyword or a malformed sub-schema
 *
 * @example
 * api.addModel('ExecutionRequest', { contentType: 'application/json', schema: toApiGatewaySchema(spec.schema) });
 */
export function toApiGatewaySchema(schema: Record<string, unknown>, where = '#'): JsonSchema {
  const converted = convert(schema, where);
  return { schema: JsonSchemaVersion.DRAFT4, ...converted };
}

function convert(node: unknown, where: string): JsonSchema {
  if (!isRecord(node)) {
    throw new Error(`schema ${where}: expected a JSON Schema object, got ${JSON.stringify(node)}`);
  }
  const out: Record<string, unknown> = {};
  for (const key of SCALAR_KEYWORDS) {
    if (node[key] !== undefined) out[key] = node[key];
  }
  if ('$ref' in node) {
    throw new Error(
      `schema ${where}/$ref: references are not supported in a workflow schema (inline the schema)`,
    );
  }
  if (node.const !== undefined) out.enum = [node.const];
  for (const bound of ['Minimum', 'Maximum'] as const) {
    const exclusive = node[`exclusive${bound}`];
    if (typeof exclusive === 'number') {
      out[bound.toLowerCase()] = exclusive;
      out[`exclusive${bound}`] = true;
    } else if (typeof exclusive === 'boolean') {
      out[`exclusive${bound}`] = exclusive;
    }
  }
  for (const key of ['properties', 'patternProperties'] as const) {
    const map = node[key];
    if (map === undefined) continue;
    if (!isRecord(map)) throw new Error(`schema ${where}/${key}: expected an object of sub-schemas`);
    out[key] = Object.fromEntries(
      Object.entries(map).map(([name, sub]) => [name, convert(sub, `${where}/${key}/${name}`)]),
    );
  }
  for (const key of ['additionalProperties', 'additionalItems'] as const) {
    const value = node[key];
    if (value === undefined) continue;
    out[key] = typeof value === 'boolean' ? value : convert(value, `${where}/${key}`);
  }
  if (node.items !== undefined) {
    out.items = Array.isArray(node.items)
      ? node.items.map((sub, i) => convert(sub, `${where}/items/${i}`))
      : convert(node.items, `${where}/items`);
  }
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = node[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new Error(`schema ${where}/${key}: expected a list of sub-schemas`);
    out[key] = list.map((sub, i) => convert(sub, `${where}/${key}/${i}`));
  }
  if (node.not !== undefined) out.not = convert(node.not, `${where}/not`);
  return out as JsonSchema;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
