import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { KEY_PREFIX } from '../contracts.ts';

/** The stored answer to a request, replayed verbatim for a repeated Idempotency-Key. */
export interface StoredResponse {
  readonly statusCode: number;
  readonly body: string;
}

/** Where a start request holding an Idempotency-Key is. */
export type IdempotencyStatus = 'IN_PROGRESS' | 'COMPLETED';

/** `IDEMPOTENCY#<key>` / `REQUEST`: which request a key was first used for, and its answer. */
export interface IdempotencyRecord {
  readonly requestHash: string;
  readonly correlationId: string;
  readonly status: IdempotencyStatus;
  /** Epoch ms after which a request still IN_PROGRESS is presumed dead and may be taken over. */
  readonly leaseUntil: number;
  readonly response: StoredResponse | undefined;
}

/** What {@link ExecutionStore.updateIdempotencyRecord} changes; absent fields are left as they are. */
export interface IdempotencyChange {
  readonly status?: IdempotencyStatus;
  readonly leaseUntil?: number;
  readonly response?: StoredResponse;
  /** Epoch seconds; a past value makes the key absent at once (how a refused request is forgotten). */
  readonly expiresAt?: number;
}

/** The condition of an update: the record must still be in this state. */
export interface IdempotencyExpectation {
  readonly status: IdempotencyStatus;
  /** Only when the record still names this correlation ID. @default any */
  readonly correlationId?: string;
}

/** `CORRELATION#<id>` / `EXECUTION`: the execution a correlation ID names, and who may read it. */
export interface CorrelationRecord {
  readonly correlationId: string;
  readonly executionArn: string;
  /** sha256 of the canonical execution input: what "the same request" means for this ID. */
  readonly requestHash: string;
  /** IAM principal (`requestContext.identity.userArn`) that started it; null without IAM. */
  readonly owner: string | null;
  /** sha256 (hex) of the status token of `status_url`; '' on records older than tokens (never matches). */
  readonly statusTokenHash: string;
  /**
   * The random key the status token is derived from (status-access.ts): a replay of the
   * identical request recomputes the same token, so the token itself is never stored.
   */
  readonly statusTokenKey: string;
}

/**
 * The API's records in the workflow table, and nothing but their I/O: get, put-if-absent and
 * update-if. What the records mean and in which order they are written is the start protocol's
 * (start-protocol.ts), as Powertools' persistence layer leaves the idempotency logic to its base.
 *
 * Every write is conditional, never a transaction: dynalite, the local DynamoDB, has no
 * TransactWriteItems. "Absent" includes an expired item, since DynamoDB deletes them lazily.
 */
export class ExecutionStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(doc: DynamoDBDocumentClient, tableName: string) {
    this.#doc = doc;
    this.#table = tableName;
  }

  async getIdempotencyRecord(key: string): Promise<IdempotencyRecord | undefined> {
    const item = await this.#get(idempotencyKeyOf(key));
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

  /** Writes the record unless the key holds a live one; false when it does. */
  async putIdempotencyRecord(key: string, record: IdempotencyRecord, expiresAt: number): Promise<boolean> {
    return this.#putIfAbsent({
      ...idempotencyKeyOf(key),
      request_hash: record.requestHash,
      correlation_id: record.correlationId,
      status: record.status,
      lease_until: record.leaseUntil,
      ...(record.response === undefined
        ? {}
        : { response_status: record.response.statusCode, response_body: record.response.body }),
      created_at: new Date().toISOString(),
      expires_at: expiresAt,
    });
  }

  /** Applies `change` if the record is as `expected`; false when it is not (or is gone). */
  async updateIdempotencyRecord(
    key: string,
    expected: IdempotencyExpectation,
    change: IdempotencyChange,
  ): Promise<boolean> {
    const assignments: Array<readonly [attribute: string, placeholder: string, value: unknown]> = [];
    if (change.status !== undefined) assignments.push(['#status', ':status', change.status]);
    if (change.leaseUntil !== undefined) assignments.push(['lease_until', ':leaseUntil', change.leaseUntil]);
    if (change.expiresAt !== undefined) assignments.push(['expires_at', ':expiresAt', change.expiresAt]);
    if (change.response !== undefined) {
      assignments.push(['response_status', ':responseStatus', change.response.statusCode]);
      assignments.push(['response_body', ':responseBody', change.response.body]);
    }
    const values: Record<string, unknown> = { ':expectedStatus': expected.status };
    for (const [, placeholder, value] of assignments) values[placeholder] = value;
    let condition = '#status = :expectedStatus';
    if (expected.correlationId !== undefined) {
      condition += ' AND correlation_id = :expectedCorrelationId';
      values[':expectedCorrelationId'] = expected.correlationId;
    }
    return this.#updateIf({
      Key: idempotencyKeyOf(key),
      UpdateExpression: `SET ${assignments.map(([attribute, placeholder]) => `${attribute} = ${placeholder}`).join(', ')}`,
      ConditionExpression: condition,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: values,
    });
  }

  async getCorrelation(correlationId: string): Promise<CorrelationRecord | undefined> {
    const item = await this.#get(correlationKeyOf(correlationId));
    if (!item) return undefined;
    return {
      correlationId: String(item.correlation_id),
      executionArn: String(item.execution_arn),
      requestHash: String(item.request_hash),
      owner: typeof item.owner === 'string' ? item.owner : null,
      statusTokenHash: typeof item.status_token_hash === 'string' ? item.status_token_hash : '',
      statusTokenKey: typeof item.status_token_key === 'string' ? item.status_token_key : '',
    };
  }

  /** Writes correlation ID -> execution unless the ID is taken; false when it is. */
  async putCorrelation(record: CorrelationRecord, expiresAt: number): Promise<boolean> {
    return this.#putIfAbsent({
      ...correlationKeyOf(record.correlationId),
      correlation_id: record.correlationId,
      execution_arn: record.executionArn,
      request_hash: record.requestHash,
      ...(record.owner === null ? {} : { owner: record.owner }),
      status_token_hash: record.statusTokenHash,
      status_token_key: record.statusTokenKey,
      created_at: new Date().toISOString(),
      expires_at: expiresAt,
    });
  }

  async #putIfAbsent(item: Record<string, unknown>): Promise<boolean> {
    return this.#conditional(
      new PutCommand({
        TableName: this.#table,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now',
        ExpressionAttributeValues: { ':now': Math.floor(Date.now() / 1000) },
      }),
    );
  }

  async #updateIf(
    input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>,
  ): Promise<boolean> {
    return this.#conditional(new UpdateCommand({ TableName: this.#table, ...input }));
  }

  /** Sends a conditional write: true when it was applied, false when its condition failed. */
  async #conditional(command: PutCommand | UpdateCommand): Promise<boolean> {
    try {
      await this.#doc.send(command as PutCommand);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async #get(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
    );
    // An expired item may linger until DynamoDB's TTL sweep: treat it as gone.
    if (!Item || (typeof Item.expires_at === 'number' && Item.expires_at < Date.now() / 1000))
      return undefined;
    return Item;
  }
}

function idempotencyKeyOf(key: string): { pk: string; sk: string } {
  return { pk: `${KEY_PREFIX.idempotency}${key}`, sk: 'REQUEST' };
}

function correlationKeyOf(correlationId: string): { pk: string; sk: string } {
  return { pk: `${KEY_PREFIX.correlation}${correlationId}`, sk: 'EXECUTION' };
}
