import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ENV } from '../contracts.ts';
import { type BodyValidator, validatorFrom } from './body-validator.ts';

export { type BodyValidator, dropEmptyOptionalObjects } from './body-validator.ts';

/** The ajv options of every body validator: compiled here and standalone at synth alike. */
export const AJV_OPTIONS = { allErrors: true, useDefaults: true, strict: false, coerceTypes: false } as const;

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
  const ajv = new Ajv({ ...AJV_OPTIONS });
  addFormats.default(ajv);
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    throw new Error(`${ENV.workflowSchema} is not a valid JSON Schema: ${(error as Error).message}`);
  }
  return validatorFrom(validate, schema);
}
