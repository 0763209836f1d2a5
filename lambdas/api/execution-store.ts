import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULTS } from '../contracts.ts';

/** The stored answer to a request, replayed verbatim for a repeated Idempotency-Key. */
export interface StoredResponse {
  readonly statusCode: number;
  readonly body: string;
}

/** `IDEMPOTENCY#<key>` / `REQUEST`: which request a key was first used for, and its answer. */
export interface IdempotencyRecord {
  readonly requestHash: string;
  readonly correlationId: string;
  readonly status: 'IN_PROGRESS' | 'COMPLETED';
  /** Epoch ms after which a request still IN_PROGRESS is presumed dead and may be taken over. */
  readonly leaseUntil: number;
  readonly response: StoredResponse | undefined;
}

/** `CORRELATION#<id>` / `EXECUTION`: the execution a correlation ID names. */
export interface CorrelationRecord {
  readonly correlationId: string;
  readonly executionArn: string;
  readonly requestHash: string;
}

/**
 * The API's records in the workflow table. Every write is a conditional put (`attribute_not_exists`
 * or an expired TTL, since DynamoDB deletes expired items lazily), never a transaction: dynalite,
 * the local DynamoDB, has no TransactWriteItems.
 */
export class ExecutionStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(doc: DynamoDBDocumentClient, tableName: string) {
    this.#doc = doc;
    this.#table = tableName;
  }

  /** Claims `key` for this request; returns the existing record when another request holds it. */
  async claimIdempotencyKey(
    key: string,
    claim: { requestHash: string; correlationId: string; ttlSeconds: number; leaseMs: number },
    attemptsLeft = 3,
  ): Promise<'claimed' | IdempotencyRecord> {
    const now = Date.now();
    const claimed = await this.#putIfAbsent({
      pk: idempotencyPk(key),
      sk: 'REQUEST',
      request_hash: claim.requestHash,
      correlation_id: claim.correlationId,
      status: 'IN_PROGRESS',
      lease_until: now + claim.leaseMs,
      created_at: new Date(now).toISOString(),
      expires_at: Math.floor(now / 1000) + claim.ttlSeconds,
    });
    if (claimed) return 'claimed';
    const existing = await this.getIdempotencyRecord(key);
    if (existing) return existing;
    // Released between our put and get (the holder's start failed): claim it again, boundedly.
    if (attemptsLeft <= 1) throw new Error(`Idempotency key record kept changing; retry the request`);
    return this.claimIdempotencyKey(key, claim, attemptsLeft - 1);
  }

  async getIdempotencyRecord(key: string): Promise<IdempotencyRecord | undefined> {
    const item = await this.#get(idempotencyPk(key), 'REQUEST');
    if (!item) return undefined;
    const response =
      typeof item.response_body === 'string'
        ? { statusCode: Number(item.response_status), body: item.response_body }
        : undefined;
    return {
      requestHash: String(item.request_hash),
      correlationId: String(item.correlation_id),
      status: item.status === 'COMPLETED' ? 'COMPLETED' : 'IN_PROGRESS',
      leaseUntil: Number(item.lease_until ?? 0),
      response,
    };
  }

  /** Stores the answer; false when another request completed the key first (replay theirs). */
  async completeIdempotencyKey(key: string, response: StoredResponse): Promise<boolean> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: idempotencyPk(key), sk: 'REQUEST' },
          UpdateExpression: 'SET #status = :completed, response_status = :code, response_body = :body',
          ConditionExpression: '#status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':completed': 'COMPLETED',
            ':inProgress': 'IN_PROGRESS',
            ':code': response.statusCode,
            ':body': response.body,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Ends the lease of a key whose request failed before answering, so a retry with the same key
   * takes over at once instead of waiting (an update, not a delete: the start function needs no
   * DeleteItem permission).
   */
  async releaseIdempotencyKey(key: string, correlationId: string): Promise<void> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: idempotencyPk(key), sk: 'REQUEST' },
          UpdateExpression: 'SET lease_until = :zero',
          ConditionExpression: '#status = :inProgress AND correlation_id = :cid',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':zero': 0, ':inProgress': 'IN_PROGRESS', ':cid': correlationId },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Records correlation ID -> execution; returns the existing record when the ID is taken. */
  async claimCorrelation(record: CorrelationRecord): Promise<'claimed' | CorrelationRecord> {
    const now = Date.now();
    const claimed = await this.#putIfAbsent({
      pk: correlationPk(record.correlationId),
      sk: 'EXECUTION',
      correlation_id: record.correlationId,
      execution_arn: record.executionArn,
      request_hash: record.requestHash,
      created_at: new Date(now).toISOString(),
      // Correlation records must outlive the execution history they point at (90 days).
      expires_at: Math.floor(now / 1000) + DEFAULTS.correlationTtlSeconds,
    });
    if (claimed) return 'claimed';
    const existing = await this.getCorrelation(record.correlationId);
    if (existing) return existing;
    throw new Error('Correlation record vanished after a failed conditional put; retry the request');
  }

  async getCorrelation(correlationId: string): Promise<CorrelationRecord | undefined> {
    const item = await this.#get(correlationPk(correlationId), 'EXECUTION');
    if (!item) return undefined;
    return {
      correlationId: String(item.correlation_id),
      executionArn: String(item.execution_arn),
      requestHash: String(item.request_hash),
    };
  }

  async #putIfAbsent(item: Record<string, unknown>): Promise<boolean> {
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now',
          ExpressionAttributeValues: { ':now': Math.floor(Date.now() / 1000) },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async #get(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: { pk, sk }, ConsistentRead: true }),
    );
    // An expired item may linger until DynamoDB's TTL sweep: treat it as gone.
    if (!Item || (typeof Item.expires_at === 'number' && Item.expires_at < Date.now() / 1000))
      return undefined;
    return Item;
  }
}

function idempotencyPk(key: string): string {
  return `IDEMPOTENCY#${key}`;
}

function correlationPk(correlationId: string): string {
  return `CORRELATION#${correlationId}`;
}
