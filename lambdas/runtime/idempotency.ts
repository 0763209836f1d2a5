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
 *
 * The result is stored as its JSON text ({@link storedResult}), not as a DynamoDB map: the SDK's
 * `marshall` reads `value.constructor` to tell a plain object from a class instance, so a result
 * holding a `constructor` key (a service's answer, echoed) could not be written, and a step whose
 * call already succeeded would fail. JSON text keeps every key a JSON document may have.
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
      if (replayed === undefined) return undefined;
      opts.onReplay?.(request);
      return resultFromStore(replayed);
    },
    after: async (request) => {
      // Powertools stores `request.response`; the handler's answer is given back unchanged.
      const response: unknown = request.response;
      request.response = storedResult(response);
      try {
        await inner.after?.(request);
      } finally {
        request.response = response;
      }
    },
    onError: async (request) => {
      if (request.error?.name === IDEMPOTENCY_IN_PROGRESS_ERROR) return;
      await inner.onError?.(request);
    },
  } as MiddlewareObj;
}

/**
 * A step result as its idempotency record keeps it: JSON text. `undefined` (a handler returning
 * nothing) stays undefined, which Powertools stores as no data.
 */
export function storedResult(result: unknown): unknown {
  return result === undefined ? undefined : JSON.stringify(result);
}

/**
 * A stored result back as the value the handler returned. Step results are objects, so a string
 * is always {@link storedResult}'s text; a record written as a map (before results were stored as
 * text, e.g. kept by `--data-dir`) is returned as it is.
 */
export function resultFromStore(stored: unknown): unknown {
  return typeof stored === 'string' ? JSON.parse(stored) : stored;
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
