/**
 * Loads the validator module generated at synth (standalone-validator.ts). Kept apart from the
 * generator so the start function's bundle needs no ajv compiler when it uses the module.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { API_ENV } from '../contracts.ts';
import { type AjvValidateLike, type BodyValidator, validatorFrom } from './body-validator.ts';

/**
 * The body validator of a generated module (`WORKFLOW_VALIDATOR_MODULE`, resolved against the
 * working directory: `/var/task` in Lambda). `schema` is still the workflow's, for the
 * empty-object rule.
 *
 * @throws Error naming the variable when the module has no validate function
 */
export async function loadValidatorModule(
  path: string,
  schema: Readonly<Record<string, unknown>>,
): Promise<BodyValidator> {
  const loaded = (await import(pathToFileURL(resolve(path)).href)) as {
    validate?: unknown;
    default?: unknown;
  };
  const validate = loaded.validate ?? loaded.default;
  if (typeof validate !== 'function') {
    throw new Error(`${API_ENV.validatorModule} '${path}' exports no validate function`);
  }
  return validatorFrom(validate as AjvValidateLike, schema);
}
