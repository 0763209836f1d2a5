/**
 * The status and operator routes on a definition the compiler emitted, not a hand-written one.
 * fixtures/saga.asl.json is the compiler's rendering (w3-compiler bcb3d5a,
 * test/infra/workflow/engine-run.ts `renderFull`) of:
 *
 *   account -> (billing | preferences: on_failure continue) -> welcome -> status: await_operator
 *
 * with compensations on account, billing, preferences and welcome, each with default_retry_limit 1.
 * It has the merged Parallel, the `(failed)` Passes, the `(undo?)` Choices, the undo Tasks and
 * `Failed after compensation`, so the state names and event chains are the compiler's own.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { createGetExecutionHandler } from '../../../lambdas/api/get-execution.ts';
import { createOperateExecutionHandler } from '../../../lambdas/api/operate-execution.ts';
import { OperatorStore, operatorKeyOf } from '../../../lambdas/api/operator-store.ts';
import { compileBodyValidator } from '../../../lambdas/api/schema-validator.ts';
import { createStartExecutionHandler } from '../../../lambdas/api/start-execution.ts';
import {
  OPERATION_PATHS,
  type OperatorPayload,
  PERMANENT_ERROR,
  RETRYABLE_ERROR,
  type StepPayload,
} from '../../../lambdas/contracts.ts';
import { machineArn, startLocalSfn } from './local-sfn.ts';
import { postEvent, startTable } from './support.ts';

const definition = JSON.parse(readFileSync(new URL('fixtures/saga.asl.json', import.meta.url), 'utf8'));
const STEPS = ['account', 'billing', 'preferences', 'welcome', 'status'];

describe('status and operator routes on the compiled saga definition', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  let local: Awaited<ReturnType<typeof startLocalSfn>>;
  let operators: OperatorStore;
  /** Per execution, per payload step (`x` or `x:undo`): the error names its next calls throw. */
  const failures: Record<string, Record<string, string[]>> = {};

  before(async () => {
    table = await startTable('compiled');
    const doc = DynamoDBDocumentClient.from(table.dynamo.client);
    operators = new OperatorStore(doc, 'compiled');
    const invoke = async (fn: string, payload: unknown) => {
      if (fn.endsWith(':saga-operator')) {
        const p = payload as OperatorPayload;
        await doc.send(
          new PutCommand({
            TableName: 'compiled',
            Item: {
              ...operatorKeyOf(p.correlation_id, p.step),
              task_token: p.task_token,
              error: p.error,
              execution_id: p.execution_id,
              expires_at: Math.floor(Date.now() / 1000) + 3600,
            },
          }),
        );
        return {};
      }
      const p = payload as StepPayload<{ correlation_id: string }>;
      const name = failures[p.state.correlation_id]?.[p.step]?.shift();
      if (name === PERMANENT_ERROR) throw Object.assign(new Error(`BAD_THING: ${p.step} refused`), { name });
      if (name) throw Object.assign(new Error(`${p.step} answered 503`), { name });
      return { ok: p.step };
    };
    local = await startLocalSfn([{ name: 'saga', definition, invoke, timeScale: 200 }]);
  });
  after(async () => {
    await local.close();
    await table.close();
  });

  const handlers = () => ({
    start: createStartExecutionHandler({
      store: table.store,
      sfn: local.sfn,
      stateMachineArn: machineArn('saga'),
      resource: 'sagas',
      validate: compileBodyValidator({ type: 'object' }),
      idempotencyTtlSeconds: 3600,
    }),
    status: createGetExecutionHandler({ store: table.store, sfn: local.sfn, stepNames: STEPS }),
    operate: createOperateExecutionHandler({
      store: table.store,
      operators,
      sfn: local.sfn,
      stateMachineArn: machineArn('saga'),
      resource: 'sagas',
    }),
  });
  const execution = (id: string) => local.endpoint.executions().find((e) => e.name === id)!;

  /** Starts `id`; waits until it closes, or until `awaiting` has stored its task token. */
  const run = async (id: string, plan: Record<string, string[]>, awaiting?: string) => {
    failures[id] = plan;
    const started = await handlers().start(
      postEvent('{}', { 'Content-Type': 'application/json', 'X-Correlation-ID': id }),
    );
    assert.equal(started.statusCode, 202, started.body);
    if (awaiting === undefined) return execution(id).done;
    for (let i = 0; i < 500 && !(await operators.get(id, awaiting)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(await operators.get(id, awaiting), `${id}: ${awaiting} never awaited an operator`);
  };

  /** `STATUS/outcome: step=status[error code] ...`, one line per document. */
  const summary = async (id: string) => {
    const result = await handlers().status({
      ...postEvent(null, {}),
      httpMethod: 'GET',
      resource: '/sagas/{correlation_id}',
      pathParameters: { correlation_id: id },
    });
    assert.equal(result.statusCode, 200, result.body);
    const doc = JSON.parse(result.body) as {
      status: string;
      outcome: string;
      steps: Array<{
        name: string;
        status: string;
        resolved_manually?: true;
        error?: { error: string; code?: string };
      }>;
    };
    const steps = doc.steps.map((s) => {
      const error = s.error ? `[${[s.error.error, s.error.code].filter(Boolean).join(' ')}]` : '';
      return `${s.name}=${s.status}${s.resolved_manually ? '(manual)' : ''}${error}`;
    });
    return `${doc.status}/${doc.outcome}: ${steps.join(' ')}`;
  };

  const operate = (
    route: keyof typeof OPERATION_PATHS,
    id: string,
    body?: unknown,
  ): Promise<APIGatewayProxyResult> =>
    handlers().operate({
      ...postEvent(body === undefined ? null : JSON.stringify(body)),
      resource: `/sagas/${OPERATION_PATHS[route]}`,
      pathParameters: { correlation_id: id, step: 'status' },
    });

  test('a permanent failure inside the Parallel: the completed steps are compensated, the rest pending', async () => {
    await run('saga-billing', { billing: [PERMANENT_ERROR] });
    assert.equal(
      await summary('saga-billing'),
      'FAILED/compensated: account=compensated billing=failed[PermanentError BAD_THING] preferences=compensated welcome=pending status=pending',
    );
    const redrive = await operate('redrive', 'saga-billing');
    assert.equal(redrive.statusCode, 409);
    assert.equal(JSON.parse(redrive.body).reason, 'compensated');
  });

  test('await_operator: awaiting with the error, then failed by the operator, and everything before it is undone', async () => {
    await run('saga-fail', { status: [PERMANENT_ERROR] }, 'status');
    assert.equal(
      await summary('saga-fail'),
      'RUNNING/running: account=succeeded billing=succeeded preferences=succeeded welcome=succeeded status=awaiting_operator[PermanentError BAD_THING]',
    );
    const failed = await operate('fail', 'saga-fail', { error: 'RejectedByOperator', cause: 'not eligible' });
    assert.equal(failed.statusCode, 200, failed.body);
    await execution('saga-fail').done;
    assert.equal(
      await summary('saga-fail'),
      'FAILED/compensated: account=compensated billing=compensated preferences=compensated welcome=compensated status=failed[RejectedByOperator]',
    );
  });

  test('await_operator resolved: the execution succeeds and the step shows it was resolved by hand', async () => {
    await run('saga-resolve', { status: [PERMANENT_ERROR] }, 'status');
    const resolved = await operate('resolve', 'saga-resolve', { result: { approved: true } });
    assert.equal(resolved.statusCode, 200, resolved.body);
    await execution('saga-resolve').done;
    assert.equal(
      await summary('saga-resolve'),
      'SUCCEEDED/succeeded: account=succeeded billing=succeeded preferences=succeeded welcome=succeeded status=succeeded(manual)',
    );
  });

  test('a fallback step is fallback; nothing is compensated when the execution succeeds', async () => {
    await run('saga-fallback', { preferences: [PERMANENT_ERROR] });
    assert.equal(
      await summary('saga-fallback'),
      'SUCCEEDED/succeeded: account=succeeded billing=succeeded preferences=fallback[PermanentError BAD_THING] welcome=succeeded status=succeeded',
    );
  });

  test('an exhausted retryable failure is held for redrive, and the redrive finishes it', async () => {
    await run('saga-held', { billing: [RETRYABLE_ERROR, RETRYABLE_ERROR] });
    assert.equal(
      await summary('saga-held'),
      'FAILED/held_for_redrive: account=succeeded billing=failed[RetryableError] preferences=succeeded welcome=pending status=pending',
    );
    const redriven = await operate('redrive', 'saga-held');
    assert.equal(redriven.statusCode, 200, redriven.body);
    await execution('saga-held').done;
    assert.equal(
      await summary('saga-held'),
      'SUCCEEDED/succeeded: account=succeeded billing=succeeded preferences=succeeded welcome=succeeded status=succeeded',
    );
  });

  test('a compensation that keeps failing is compensation_failed; the others still run', async () => {
    await run('saga-undo-fails', {
      welcome: [PERMANENT_ERROR],
      'account:undo': [RETRYABLE_ERROR, RETRYABLE_ERROR, RETRYABLE_ERROR, RETRYABLE_ERROR, RETRYABLE_ERROR],
    });
    assert.equal(
      await summary('saga-undo-fails'),
      'FAILED/compensated: account=compensation_failed billing=compensated preferences=compensated welcome=failed[PermanentError BAD_THING] status=pending',
    );
  });
});
