/**
 * `POST /<resource>`, the start function's source entry (`Stepflow:Entry`; the offline runtime
 * runs it): the logic is start-handler.ts, the validator the one the configuration asks for. The
 * deployed bundle is built from the entry generated at synth instead (`writeStartEntry` in
 * standalone-validator.ts), which imports the generated validator and no ajv.
 */
import type { ApiConfig } from './api-config.ts';
import type { BodyValidator } from './body-validator.ts';
import { createStartLambda } from './start-handler.ts';

export {
  createStartExecutionHandler,
  generateCorrelationId,
  type StartExecutionDeps,
} from './start-handler.ts';

/**
 * The body validator the configuration asks for: the module generated at synth when
 * `WORKFLOW_VALIDATOR_MODULE` names one (no ajv compile on the cold path), else the schema compiled
 * with ajv. Both are imported on demand, so a bundle can leave out the one it does not use.
 */
export async function bodyValidatorFor(
  config: Pick<ApiConfig, 'schema' | 'validatorModule'>,
): Promise<BodyValidator> {
  if (config.validatorModule !== undefined) {
    const { loadValidatorModule } = await import('./standalone-validator-loader.ts');
    return loadValidatorModule(config.validatorModule, config.schema);
  }
  const { compileBodyValidator } = await import('./schema-validator.ts');
  return compileBodyValidator(config.schema);
}

/** The Lambda entry point: configuration, clients and the validator are built on the first invocation. */
export const handler = createStartLambda(bodyValidatorFor);
