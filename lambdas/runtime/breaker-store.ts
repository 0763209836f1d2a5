import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BREAKER_STATES, type BreakerState, breakerRecordKey } from '../contracts.ts';

/** A service's breaker as stored; what the protocol (circuit-breaker.ts) decides on. */
export interface BreakerFields {
  readonly state: BreakerState;
  /** Retryable failures counted in the current window (closed state). */
  readonly failures: number;
  /** Epoch ms the current failure window started. */
  readonly windowStartedAt: number;
  /** Epoch ms the breaker last opened. */
  readonly openedAt: number;
  /** The invocation holding the half-open probe lease. */
  readonly probeId: string | undefined;
  /** Epoch ms the probe lease ends (a probe that crashed frees it then). */
  readonly probeUntil: number;
}

/** {@link BreakerFields} and the version the conditional writes compare (0: no record yet). */
export interface BreakerSnapshot extends BreakerFields {
  readonly version: number;
}

/** A service nobody has recorded a failure of. */
export const CLOSED_BREAKER: BreakerSnapshot = {
  state: 'closed',
  failures: 0,
  windowStartedAt: 0,
  openedAt: 0,
  probeId: undefined,
  probeUntil: 0,
  version: 0,
};

/**
 * The breaker's I/O, nothing else: read a service's record, and write the next one only if the
 * stored version is still the one read (compare-and-swap). What a transition means is the
 * protocol's (circuit-breaker.ts), as Powertools' persistence layers leave idempotency to its base.
 */
export interface BreakerStore {
  read(service: string): Promise<BreakerSnapshot>;
  /** `false` when another invocation wrote first (the caller re-reads and decides again). */
  write(service: string, next: BreakerFields, expectedVersion: number): Promise<boolean>;
}

/** Options for {@link dynamoBreakerStore}. */
export interface DynamoBreakerStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /**
   * How long a record outlives its last write (`expires_at`). An expired record is only ever a
   * closed breaker or one whose cool-down long passed, so losing it changes nothing.
   * @default 1 day
   */
  readonly ttlSeconds?: number;
}

/**
 * The store over the workflow table, at pk `BREAKER#<service>` sk `STATE`: a strongly consistent
 * GetItem, and a PutItem conditioned on `version` (or on the record's absence), never a
 * transaction (dynalite has none).
 */
export function dynamoBreakerStore(opts: DynamoBreakerStoreOptions): BreakerStore {
  const doc = DynamoDBDocumentClient.from(opts.client, { marshallOptions: { removeUndefinedValues: true } });
  const ttlSeconds = opts.ttlSeconds ?? 24 * 60 * 60;
  return {
    async read(service) {
      const { Item } = await doc.send(
        new GetCommand({ TableName: opts.tableName, Key: breakerRecordKey(service), ConsistentRead: true }),
      );
      return Item === undefined ? CLOSED_BREAKER : snapshotOf(Item);
    },
    async write(service, next, expectedVersion) {
      const now = Date.now();
      try {
        await doc.send(
          new PutCommand({
            TableName: opts.tableName,
            Item: {
              ...breakerRecordKey(service),
              state: next.state,
              failures: next.failures,
              window_started_at: next.windowStartedAt,
              opened_at: next.openedAt,
              probe_id: next.probeId,
              probe_until: next.probeUntil,
              version: expectedVersion + 1,
              updated_at: now,
              expires_at: Math.ceil(now / 1000) + ttlSeconds,
            },
            ...(expectedVersion === 0
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: '#version = :expected',
                  ExpressionAttributeNames: { '#version': 'version' },
                  ExpressionAttributeValues: { ':expected': expectedVersion },
                }),
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}

function snapshotOf(item: Record<string, unknown>): BreakerSnapshot {
  const state = (BREAKER_STATES as readonly unknown[]).includes(item.state)
    ? (item.state as BreakerState)
    : 'closed';
  return {
    state,
    failures: numberOr0(item.failures),
    windowStartedAt: numberOr0(item.window_started_at),
    openedAt: numberOr0(item.opened_at),
    probeId: typeof item.probe_id === 'string' ? item.probe_id : undefined,
    probeUntil: numberOr0(item.probe_until),
    version: numberOr0(item.version),
  };
}

function numberOr0(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/**
 * How many times one invocation identity (correlation ID and payload step) waited out an open
 * breaker. `$$.State.RetryCount` counts those waits too; a step with `honor_retry_after`, which
 * enforces its retry limit itself, subtracts them so an outage does not spend its own retries.
 */
export interface RetrierWaitStore {
  add(id: string): Promise<void>;
  count(id: string): Promise<number>;
}

/** Options for {@link dynamoRetrierWaits}. */
export interface DynamoRetrierWaitsOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The step's own record partition (`idempotency#<function name>`), which its role may write. */
  readonly partition: string;
  /** How long a count is kept (the step's idempotency TTL). */
  readonly ttlSeconds: number;
}

/** The counts in the step's own partition, sk `retrier_wait#<id>`: an atomic ADD, a consistent read. */
export function dynamoRetrierWaits(opts: DynamoRetrierWaitsOptions): RetrierWaitStore {
  const doc = DynamoDBDocumentClient.from(opts.client);
  const key = (id: string) => ({ pk: opts.partition, sk: `retrier_wait#${id}` });
  return {
    async add(id) {
      await doc.send(
        new UpdateCommand({
          TableName: opts.tableName,
          Key: key(id),
          UpdateExpression: 'ADD waits :one SET expires_at = :expires',
          ExpressionAttributeValues: {
            ':one': 1,
            ':expires': Math.ceil(Date.now() / 1000) + opts.ttlSeconds,
          },
        }),
      );
    },
    async count(id) {
      const { Item } = await doc.send(
        new GetCommand({ TableName: opts.tableName, Key: key(id), ConsistentRead: true }),
      );
      return numberOr0(Item?.waits);
    },
  };
}
