/**
 * The ajv-free half of body validation: what a compiled ajv function's result means for the
 * client (the problems listed in a 400) and the empty-object rule. Both the validator compiled on
 * the first request (schema-validator.ts) and the standalone module generated at synth
 * (standalone-validator.ts) go through {@link validatorFrom}, so they answer the same errors.
 */
import type { FieldProblem } from './http.ts';

/** Validates a parsed body in place (applying the schema's defaults) and lists every problem. */
export type BodyValidator = (body: unknown) => readonly FieldProblem[];

/** The error objects ajv reports (the fields this module reads), compiled or standalone. */
export interface AjvErrorLike {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
}

/** An ajv validate function, compiled (`ajv.compile`) or imported from a standalone module. */
export interface AjvValidateLike {
  (data: unknown): boolean;
  errors?: readonly AjvErrorLike[] | null;
}

/** The body validator around an ajv function of `schema`: normalization, then the listed problems. */
export function validatorFrom(
  validate: AjvValidateLike,
  schema: Readonly<Record<string, unknown>>,
): BodyValidator {
  return (body) => {
    dropEmptyOptionalObjects(body, schema);
    return validate(body) ? [] : (validate.errors ?? []).map(describeError);
  };
}

/**
 * The one rule for "empty" versus "absent" (docs/operations-api.md): an empty object `{}` sent
 * for an object property (`type: object`) its schema does not require is the same as leaving the
 * property out, so it is
 * removed before validation and defaults, innermost first (so `{"a": {"b": {}}}` loses `a` too
 * when neither is required). `{"preferences": {}}` and `{}` then start the same
 * input, hash the same for Idempotency-Key and correlation ID, and never differ by a defaults
 * object one of them got. A required property keeps its `{}` (and is validated as sent). The
 * walk follows `properties` only; under combinators (`allOf`, `$ref`, ...) values stay as sent.
 */
export function dropEmptyOptionalObjects(value: unknown, schema: Readonly<Record<string, unknown>>): void {
  if (!isPlainObject(value)) return;
  const properties = schema.properties;
  if (!isPlainObject(properties)) return;
  const required = Array.isArray(schema.required) ? schema.required : [];
  for (const key of Object.keys(properties)) {
    if (!Object.hasOwn(value, key)) continue;
    const child = value[key];
    const childSchema = properties[key];
    if (!isPlainObject(childSchema)) continue;
    // Children first: an object left empty by the rule is empty too.
    dropEmptyOptionalObjects(child, childSchema);
    if (
      isPlainObject(child) &&
      Object.keys(child).length === 0 &&
      !required.includes(key) &&
      declaresObject(childSchema)
    ) {
      delete value[key];
    }
  }
}

/**
 * Only a property declared as an object (`type: object`, or `properties`) is normalized: `{}` sent
 * for a string or an untyped property is kept, so validation still refuses or accepts it as sent.
 */
function declaresObject(schema: Readonly<Record<string, unknown>>): boolean {
  const type = schema.type;
  return type === 'object' || (type === undefined && isPlainObject(schema.properties));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeError(error: AjvErrorLike): FieldProblem {
  const at = error.instancePath;
  switch (error.keyword) {
    case 'required':
      return { field: `${at}/${String(error.params.missingProperty)}`, problem: 'is required' };
    case 'additionalProperties':
      return {
        field: `${at}/${String(error.params.additionalProperty)}`,
        problem: 'is not an allowed field',
      };
    case 'enum':
      return {
        field: at || '/',
        problem: `must be one of: ${(error.params.allowedValues as unknown[]).map(String).join(', ')}`,
      };
    default:
      return { field: at || '/', problem: error.message ?? `fails '${error.keyword}'` };
  }
}
