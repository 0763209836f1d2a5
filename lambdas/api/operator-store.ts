import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { operatorRecordKey } from '../contracts.ts';

/** What the operator routes need of a step's task token record. */
export interface AwaitingStep {
  readonly taskToken: string;
  /** `$$.Execution.Id` of the wait: the execution the token belongs to. */
  readonly executionId: string;
  readonly error: { readonly Error?: string; readonly Cause?: string };
}

/** The record the operator function (OPERATOR_ENTRY) writes: its key is the contract's. */
export const operatorKeyOf = operatorRecordKey;

/** The task token records of steps awaiting an operator: read one, delete it once settled. */
export class OperatorStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(doc: DynamoDBDocumentClient, tableName: string) {
    this.#doc = doc;
    this.#table = tableName;
  }

  /** The step's record, or undefined when there is none (or it expired: TTL deletes lazily). */
  async get(correlationId: string, step: string): Promise<AwaitingStep | undefined> {
    const { Item } = await this.#doc.send(
      new GetCommand({
        TableName: this.#table,
        Key: operatorKeyOf(correlationId, step),
        ConsistentRead: true,
      }),
    );
    if (!Item || typeof Item.task_token !== 'string') return undefined;
    if (typeof Item.expires_at === 'number' && Item.expires_at < Date.now() / 1000) return undefined;
    const error = typeof Item.error === 'object' && Item.error !== null ? Item.error : {};
    return {
      taskToken: Item.task_token,
      executionId: typeof Item.execution_id === 'string' ? Item.execution_id : '',
      error: error as AwaitingStep['error'],
    };
  }

  /**
   * Deletes the record if it still holds `taskToken`: a redriven wait that stored a newer token
   * in the meantime keeps its record.
   */
  async delete(correlationId: string, step: string, taskToken: string): Promise<void> {
    try {
      await this.#doc.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: operatorKeyOf(correlationId, step),
          ConditionExpression: 'task_token = :token',
          ExpressionAttributeValues: { ':token': taskToken },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
