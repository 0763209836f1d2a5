import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ENV } from '../contracts.ts';
import type { FieldProblem } from './http.ts';

/** Validates a parsed body in place (applying the schema's defaults) and lists every problem. */
export type BodyValidator = (body: unknown) => readonly FieldProblem[];

/**
 * Compiles the workflow's JSON Schema (from the YAML, via `WORKFLOW_SCHEMA`) once per cold start.
 *
 * `allErrors` so a client learns every invalid field in one round trip; `useDefaults` so the
 * execution input always carries e.g. `user_info.plan` (the state document contract);
 * `additionalProperties: false` in the schema is enforced as written, never silently stripped.
 *
 * @throws Error naming `WORKFLOW_SCHEMA` when the schema itself is invalid (a deployment bug).
 */
export function compileBodyValidator(schema: Record<string, unknown>): BodyValidator {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, coerceTypes: false });
  addFormats.default(ajv);
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    throw new Error(`${ENV.workflowSchema} is not a valid JSON Schema: ${(error as Error).message}`);
  }
  return (body) => {
    dropEmptyOptionalObjects(body, schema);
    return validate(body) ? [] : (validate.errors ?? []).map(describeError);
  };
}

/**
 * The one rule for "empty" versus "absent" (docs/operations-api.md): an empty object `{}` sent
 * for a property its schema does not require is the same as leaving the property out, so it is
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
    // Children first: an object left empty by the rule is empty too.
    if (isPlainObject(childSchema)) dropEmptyOptionalObjects(child, childSchema);
    if (isPlainObject(child) && Object.keys(child).length === 0 && !required.includes(key)) delete value[key];
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeError(error: ErrorObject): FieldProblem {
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
