/**
 * The operator function (OPERATOR_ENTRY) of `on_failure: await_operator` steps. Its Task is
 * `.waitForTaskToken`: this function only stores the task token under (correlation ID, step) and
 * returns; the execution waits until an operator's `resolve` or `fail` route sends
 * SendTaskSuccess/SendTaskFailure with that token, or the Task's TimeoutSeconds runs out.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import {
  DEFAULTS,
  ENV,
  LAMBDA_ENV,
  OPERATOR_ENV,
  type OperatorPayload,
  type OperatorRecord,
  operatorRecordKey,
} from '../contracts.ts';
import type { Env } from './config.ts';
import { PermanentError, RUNTIME_ERROR_CODES } from './errors.ts';
import { createStepLogger } from './logger.ts';
import { parseInput } from './validation.ts';

const nonEmpty = z.string().check(z.minLength(1));

const operatorPayloadSchema = z.object({
  workflow: nonEmpty,
  step: nonEmpty,
  correlation_id: nonEmpty,
  task_token: nonEmpty,
  // `$.errors.<step>` as the Catch recorded it: {Error, Cause}, both optional strings.
  error: z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }),
  execution_id: nonEmpty,
});

/** Options for {@link createOperatorHandler}. */
export interface OperatorHandlerOptions {
  /**
   * Where `TABLE_NAME` and `OPERATOR_TIMEOUT_SECONDS` are read from, on the first invocation.
   * @default process.env
   */
  readonly env?: Env;
  /**
   * DynamoDB client (tests pass dynalite's).
   * @default one client per process, honouring `AWS_ENDPOINT_URL_DYNAMODB`
   */
  readonly dynamodb?: DynamoDBClient;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Builds the operator Lambda handler: validates the {@link OperatorPayload}, writes the
 * {@link OperatorRecord} and returns nothing. A later wait of the same step (after a redrive)
 * overwrites the record with its new token, which is the one Step Functions still accepts.
 *
 * @example
 * export const handler = createOperatorHandler();
 * // in a test: createOperatorHandler({ env: { TABLE_NAME: 't' }, dynamodb: dynalite.client })
 */
export function createOperatorHandler(opts: OperatorHandlerOptions = {}): (event: unknown) => Promise<void> {
  const env = opts.env ?? process.env;
  const now = opts.now ?? Date.now;
  const logger = createStepLogger({
    service: 'operator',
    logLevel: env[ENV.powertoolsLogLevel] || DEFAULTS.logLevel,
  });
  let doc: DynamoDBDocumentClient | undefined;
  return async (event) => {
    const tableName = env[ENV.tableName];
    if (!tableName) {
      throw new PermanentError(RUNTIME_ERROR_CODES.configuration, `${ENV.tableName} is not set`);
    }
    const ttlSeconds = timeoutSeconds(env);
    const payload = operatorPayload(parseInput(operatorPayloadSchema, event));
    doc ??= DynamoDBDocumentClient.from(
      opts.dynamodb ??
        new DynamoDBClient({
          region: env[LAMBDA_ENV.region] || env[LAMBDA_ENV.defaultRegion] || DEFAULTS.region,
        }),
      { marshallOptions: { removeUndefinedValues: true } },
    );
    const createdAt = now();
    const record: OperatorRecord = {
      ...operatorRecordKey(payload.correlation_id, payload.step),
      task_token: payload.task_token,
      error: payload.error,
      workflow: payload.workflow,
      step: payload.step,
      execution_id: payload.execution_id,
      created_at: createdAt,
      expires_at: Math.ceil(createdAt / 1000) + ttlSeconds,
    };
    await doc.send(new PutCommand({ TableName: tableName, Item: record }));
    // The cause may hold personal data: log the error name only.
    logger.info('step awaiting operator', {
      workflow: payload.workflow,
      step: payload.step,
      correlation_id: payload.correlation_id,
      error_name: payload.error.Error,
    });
  };
}

/** The parsed payload without the keys zod leaves as `undefined` (exact optional properties). */
function operatorPayload(parsed: z.infer<typeof operatorPayloadSchema>): OperatorPayload {
  const { Error: name, Cause: cause } = parsed.error;
  return {
    ...parsed,
    error: {
      ...(name === undefined ? {} : { Error: name }),
      ...(cause === undefined ? {} : { Cause: cause }),
    },
  };
}

function timeoutSeconds(env: Env): number {
  const raw = env[OPERATOR_ENV.timeoutSeconds];
  if (raw === undefined || raw === '') return DEFAULTS.operatorTimeoutSeconds;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new PermanentError(
      RUNTIME_ERROR_CODES.configuration,
      `${OPERATOR_ENV.timeoutSeconds} must be a positive whole number of seconds, got '${raw}'`,
    );
  }
  return value;
}

/** The Lambda entry point (template metadata `Stepflow:Handler`) of the operator function. */
export const handler = createOperatorHandler();
