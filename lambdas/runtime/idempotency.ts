import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { MiddlewareObj, Request } from '@middy/core';
import { IDEMPOTENCY_IN_PROGRESS_ERROR } from '../contracts.ts';
import { sharedDynamoClient } from './dynamodb.ts';

/** Options for {@link stepIdempotency}. */
export interface StepIdempotencyOptions {
  readonly tableName: string;
  /** Seconds a completed step's record (and so its stored result) is kept. */
  readonly ttlSeconds: number;
  /**
   * Prefix of the idempotency key (the record's `pk` is `idempotency#<prefix>`).
   * @default AWS_LAMBDA_FUNCTION_NAME, as Powertools does
   */
  readonly keyPrefix?: string;
  /**
   * DynamoDB client; the default honours `AWS_ENDPOINT_URL_DYNAMODB`, which the offline runtime
   * points at dynalite. Tests pass dynalite's client.
   * @default a client shared by every step in the process, in `region`
   */
  readonly client?: DynamoDBClient;
  /** Region of the default client (the step configuration's). */
  readonly region: string;
  /**
   * Called when a completed step's stored result is returned instead of running the handler
   * (middy's early return, which skips every `after`).
   * @default nothing
   */
  readonly onReplay?: (request: Request) => void;
}

/**
 * The JMESPath of the key: one record per (correlation ID, step). `attempt` and `execution_id`
 * are left out on purpose, so a retry or a redelivered invocation finds the first one's record.
 */
export const STEP_IDEMPOTENCY_KEY_PATH = '[state.correlation_id, step]';

/**
 * Powertools Idempotency for a step, over the project's table (`pk`/`sk`/`expires_at`).
 *
 * One change to the stock middleware: when `before` fails because another invocation holds the
 * key (IdempotencyAlreadyInProgressError), the stock `onError` deletes the record — the *other*
 * invocation's in-progress record — which would let a third duplicate call the service while the
 * first still runs. Here that error leaves the record alone; every other error still deletes it,
 * so a failed attempt can be retried.
 *
 * A replayed result is reported through `onReplay` from this middleware's own `before`, which
 * sees the value the stock `before` returns for middy's early return; Powertools' own hook for it
 * (`cleanupMiddlewares` reading `request.internal[LOGGER_KEY]`) is an internal of its packages.
 */
export function stepIdempotency(opts: StepIdempotencyOptions): MiddlewareObj {
  const persistenceStore = persistenceLayer(opts);
  const config = new IdempotencyConfig({
    eventKeyJmesPath: STEP_IDEMPOTENCY_KEY_PATH,
    expiresAfterSeconds: opts.ttlSeconds,
    throwOnNoIdempotencyKey: true,
  });
  const inner = makeHandlerIdempotent({
    persistenceStore,
    config,
    ...(opts.keyPrefix === undefined ? {} : { keyPrefix: opts.keyPrefix }),
  });
  return {
    before: async (request) => {
      const replayed: unknown = await inner.before?.(request);
      if (replayed !== undefined) opts.onReplay?.(request);
      return replayed;
    },
    after: inner.after,
    onError: async (request) => {
      if (request.error?.name === IDEMPOTENCY_IN_PROGRESS_ERROR) return;
      await inner.onError?.(request);
    },
  } as MiddlewareObj;
}

/**
 * The persistence layer over the project's table. One per handler: the configuration is read once
 * per cold start, and Powertools configures a layer once and then ignores changes.
 */
function persistenceLayer(opts: StepIdempotencyOptions): DynamoDBPersistenceLayer {
  const client = opts.client ?? sharedDynamoClient(opts.region);
  return new DynamoDBPersistenceLayer({
    tableName: opts.tableName,
    keyAttr: 'pk',
    sortKeyAttr: 'sk',
    expiryAttr: 'expires_at',
    awsSdkV3Client: client,
  });
}
