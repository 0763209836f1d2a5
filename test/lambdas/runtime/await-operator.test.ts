import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  DEFAULTS,
  ENV,
  OPERATOR_ENV,
  type OperatorPayload,
  operatorRecordKey,
  PERMANENT_ERROR,
} from '../../../lambdas/contracts.ts';
import { createOperatorHandler } from '../../../lambdas/runtime/await-operator.ts';
import { newCorrelationId, type RuntimeHarness, rejection, startRuntimeHarness } from '../step-harness.ts';

let h: RuntimeHarness;

const NOW = Date.UTC(2026, 11, 2, 8, 0, 0);

function payload(overrides: Partial<OperatorPayload> = {}): OperatorPayload {
  return {
    workflow: 'user_registration',
    step: 'setup_billing_profile',
    correlation_id: newCorrelationId(),
    task_token: `token-${Math.random().toString(36).slice(2)}`,
    error: {
      Error: PERMANENT_ERROR,
      Cause: '{"errorMessage":"SERVICE_VALIDATION_FAILED: jane@example.com"}',
    },
    execution_id: 'arn:aws:states:us-east-1:123456789012:execution:user-registration:abc',
    ...overrides,
  };
}

async function stored(correlationId: string, step: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await h.dynamo.client.send(
    new GetItemCommand({
      TableName: h.tableName,
      Key: {
        pk: { S: operatorRecordKey(correlationId, step).pk },
        sk: { S: operatorRecordKey(correlationId, step).sk },
      },
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? undefined : unmarshall(Item);
}

const handlerWith = (env: Record<string, string | undefined> = {}) =>
  createOperatorHandler({
    env: { [ENV.tableName]: h.tableName, ...env },
    dynamodb: h.dynamo.client,
    now: () => NOW,
  });

describe('await_operator function', () => {
  before(async () => {
    h = await startRuntimeHarness();
  });
  after(() => h.close());

  test('stores the task token, error, workflow, step and execution under OPERATOR#<id> / STEP#<step>, and returns nothing', async () => {
    const event = payload();
    const result = await handlerWith()(event);
    assert.equal(result, undefined);
    const item = await stored(event.correlation_id, event.step);
    assert.deepEqual(item, {
      pk: `OPERATOR#${event.correlation_id}`,
      sk: 'STEP#setup_billing_profile',
      task_token: event.task_token,
      error: event.error,
      workflow: 'user_registration',
      step: 'setup_billing_profile',
      execution_id: event.execution_id,
      created_at: NOW,
      expires_at: NOW / 1000 + DEFAULTS.operatorTimeoutSeconds,
    });
  });

  test('keeps the record for OPERATOR_TIMEOUT_SECONDS when set', async () => {
    const event = payload();
    await handlerWith({ [OPERATOR_ENV.timeoutSeconds]: '3600' })(event);
    assert.equal((await stored(event.correlation_id, event.step))?.expires_at, NOW / 1000 + 3600);
  });

  test('a later wait of the same step (a redrive) replaces the token', async () => {
    const first = payload();
    await handlerWith()(first);
    await handlerWith()({ ...first, task_token: 'the-redriven-token' });
    assert.equal((await stored(first.correlation_id, first.step))?.task_token, 'the-redriven-token');
  });

  test('two steps of one execution keep two records', async () => {
    const correlationId = newCorrelationId();
    await handlerWith()(payload({ correlation_id: correlationId, step: 'a', task_token: 'ta' }));
    await handlerWith()(payload({ correlation_id: correlationId, step: 'b', task_token: 'tb' }));
    assert.equal((await stored(correlationId, 'a'))?.task_token, 'ta');
    assert.equal((await stored(correlationId, 'b'))?.task_token, 'tb');
  });

  test('a payload without a task token or correlation ID is INVALID_INPUT and stores nothing', async () => {
    const event = payload();
    const { task_token: _token, ...noToken } = event;
    const error = await rejection(handlerWith()(noToken));
    assert.equal(error.name, PERMANENT_ERROR);
    assert.match(error.message, /^INVALID_INPUT: task_token: /);
    assert.equal(await stored(event.correlation_id, event.step), undefined);
    const noId = await rejection(handlerWith()({ ...event, correlation_id: undefined }));
    assert.match(noId.message, /^INVALID_INPUT: correlation_id: /);
  });

  test('a missing TABLE_NAME or a bad timeout is a named CONFIGURATION_ERROR', async () => {
    const noTable = await rejection(handlerWith({ [ENV.tableName]: undefined })(payload()));
    assert.match(noTable.message, /^CONFIGURATION_ERROR: TABLE_NAME is not set$/);
    const bad = await rejection(handlerWith({ [OPERATOR_ENV.timeoutSeconds]: 'soon' })(payload()));
    assert.match(
      bad.message,
      /^CONFIGURATION_ERROR: OPERATOR_TIMEOUT_SECONDS must be a positive whole number/,
    );
  });

  test('logs the wait with the error name, never the cause', async () => {
    const event = payload();
    const before = h.lines.length;
    await handlerWith()(event);
    const lines = h.lines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    const waiting = lines.find((line) => line.message === 'step awaiting operator');
    assert.equal(waiting?.error_name, PERMANENT_ERROR);
    assert.equal(waiting?.correlation_id, event.correlation_id);
    assert.doesNotMatch(h.lines.slice(before).join('\n'), /jane|SERVICE_VALIDATION_FAILED|token-/);
  });
});
