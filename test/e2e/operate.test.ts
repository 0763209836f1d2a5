/**
 * Issue 12 "Done when", offline, through the stepflow CLI in its own process (the bin that
 * `npx stepflow` runs, as a user runs it; see support.ts `stepflow`) against the local stack `npm start` runs (in-process here, published for the CLI as `npm start`
 * publishes it):
 * - billing answers 503 past its retries and the execution ends FAILED (held for redrive); the
 *   fault is cleared and `npx stepflow redrive` makes it SUCCEEDED on the same execution ARN,
 *   with the user service's create counter still at 1;
 * - a step with `on_failure: await_operator` that gets a permanent 422 shows `awaiting_operator`,
 *   and `npx stepflow resolve` with a result makes the execution SUCCEEDED, the later step seeing
 *   that result marked `resolved_manually: true`;
 * - and the other operator commands on the same stack: `fail-step`, `stop`, `list --status`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { RESOLVED_MANUALLY } from '../../lambdas/contracts.ts';
import { removeRuntimeInfo, writeRuntimeInfo } from '../../local/cli/local-target.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime/index.ts';
import { simulatorsOf } from '../../local/simulators/user_registration/index.ts';
import {
  copyWorkflow,
  type ProcessResult,
  pollStatus,
  REPO_ROOT,
  registrationBody,
  type StatusBody,
  stepflow,
} from './support.ts';

const REVIEW = join(REPO_ROOT, 'test/e2e/fixtures/address_review/address_review.yaml');
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/** The 202 `npx stepflow start` printed. */
function startedOf(result: ProcessResult): { correlation_id: string; execution_arn: string } {
  assert.equal(result.code, 0, `npx stepflow start exited ${result.code}: ${result.stderr}${result.stdout}`);
  return JSON.parse(result.stdout) as { correlation_id: string; execution_arn: string };
}

const stepOf = (doc: StatusBody, name: string) => doc.steps.find((step) => step.name === name);

describe('operating executions with npx stepflow on the local stack', () => {
  let runtime: LocalRuntime;
  let api: string[];
  const scratch = mkdtempSync(join(tmpdir(), 'stepflow-operate-'));

  before(async () => {
    const configDir = join(scratch, 'config');
    mkdirSync(configDir);
    copyWorkflow(join(REPO_ROOT, 'config', 'user_registration.yaml'), configDir);
    copyWorkflow(REVIEW, configDir);
    runtime = await startLocalRuntime({ configDir, timeScale: 50 });
    api = ['--api', runtime.apiUrl];
    writeRuntimeInfo(runtime);
  });
  after(async () => {
    if (runtime) {
      removeRuntimeInfo(runtime.apiUrl);
      await runtime.close();
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  const describeExecution = (executionArn: string) =>
    runtime.sfnClient.send(new DescribeExecutionCommand({ executionArn }));
  const reviews = () => runtime.workflow('address_review');
  /** Starts an address review through the CLI and waits until its check awaits an operator. */
  const awaitingReview = async (orderId: string) => {
    const started = startedOf(
      await stepflow([
        'start',
        '--workflow',
        'address_review',
        '--input',
        JSON.stringify({ order_id: orderId, address: '1 Nowhere Lane' }),
        ...api,
      ]),
    );
    const doc = await pollStatus(
      reviews().resourceUrl,
      started.correlation_id,
      (d) => stepOf(d, 'verify_address')?.status === 'awaiting_operator' || TERMINAL.has(d.status),
    );
    assert.equal(stepOf(doc, 'verify_address')?.status, 'awaiting_operator', JSON.stringify(doc));
    return { started, doc };
  };

  test('billing 503 past its retries fails it; fault cleared, `npx stepflow redrive` succeeds on the same ARN, the user created once', async () => {
    const sims = simulatorsOf(runtime);
    sims.faults.set('billing', 'POST /profiles', { kind: 'status', status: 503 });
    const started = startedOf(
      await stepflow([
        'start',
        '--workflow',
        'user_registration',
        '--input',
        JSON.stringify(registrationBody('pro', 'operate-redrive')),
        ...api,
      ]),
    );
    const id = started.correlation_id;
    const resource = runtime.workflow('user_registration').resourceUrl;
    const failed = await pollStatus(resource, id, (doc) => TERMINAL.has(doc.status));
    assert.equal(failed.status, 'FAILED', JSON.stringify(failed));
    assert.equal(stepOf(failed, 'setup_billing_profile')?.status, 'failed');
    assert.equal(stepOf(failed, 'setup_billing_profile')?.attempts, 4, 'default_retry_limit 3 + 1');
    assert.equal(failed.outcome, 'held_for_redrive', 'a retryable failure is held, not compensated');
    const billingCalls = sims.counters.requests({ correlationId: id, service: 'billing' });

    sims.faults.clear();
    const redrive = await stepflow(['redrive', id, '--workflow', 'user_registration', ...api]);
    assert.equal(redrive.code, 0, `npx stepflow redrive exited ${redrive.code}: ${redrive.stderr}`);
    const done = await pollStatus(resource, id, (doc) => TERMINAL.has(doc.status));
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    const described = await describeExecution(started.execution_arn);
    assert.equal(described.executionArn, started.execution_arn);
    assert.equal(described.status, 'SUCCEEDED');
    assert.equal(described.redriveCount, 1);
    const creates = sims.counters.requests({ correlationId: id, service: 'user', route: 'POST /users' });
    const activations = sims.counters.requests({
      correlationId: id,
      service: 'user',
      route: 'PATCH /users/{id}/status',
    });
    console.log(
      `PROOF operate-redrive: billing 503 x${billingCalls} -> FAILED (outcome ${failed.outcome}); ` +
        `npx stepflow redrive -> ${described.status} on the same ARN (redriveCount=${described.redriveCount}); ` +
        `user creates=${creates} activations=${activations} duplicates=${sims.counters.duplicates().length}`,
    );
    assert.equal(creates, 1, 'the user service create counter stays at 1');
    assert.equal(activations, 1);
    assert.deepEqual(sims.counters.duplicates(), []);
  });

  test('a 422 on an await_operator step shows awaiting_operator; `npx stepflow resolve` succeeds and the next step sees the result', async () => {
    const { started, doc } = await awaitingReview('ord-resolve-1');
    const id = started.correlation_id;
    assert.equal(doc.status, 'RUNNING');
    assert.match(JSON.stringify(stepOf(doc, 'verify_address')?.error), /PermanentError/);
    // What the operator sees through the CLI: the raw status document.
    const shown = await stepflow([
      'status',
      id,
      '--no-follow',
      '--json',
      '--workflow',
      'address_review',
      ...api,
    ]);
    assert.equal(shown.code, 0, `npx stepflow status exited ${shown.code}: ${shown.stderr}`);
    assert.equal(
      stepOf(JSON.parse(shown.stdout) as StatusBody, 'verify_address')?.status,
      'awaiting_operator',
    );
    const result = { body: { address: '1 Verified Way', verified_by: 'phone' } };
    const resolved = await stepflow([
      'resolve',
      id,
      'verify_address',
      '--result',
      JSON.stringify(result),
      '--workflow',
      'address_review',
      ...api,
    ]);
    assert.equal(resolved.code, 0, `npx stepflow resolve exited ${resolved.code}: ${resolved.stderr}`);
    const done = await pollStatus(reviews().resourceUrl, id, (d) => TERMINAL.has(d.status));
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    const described = await describeExecution(started.execution_arn);
    const output = JSON.parse(described.output ?? '{}') as {
      steps?: { ship_order?: { body?: { verification?: unknown } } };
    };
    const seen = output.steps?.ship_order?.body?.verification;
    const mocks = reviews().services!;
    const checks = mocks.counters.requests({ correlationId: id, service: 'addresses' });
    const shipments = mocks.counters.requests({ correlationId: id, service: 'shipping' });
    console.log(
      `PROOF operate-resolve: 422 -> ${stepOf(doc, 'verify_address')?.status}; npx stepflow resolve -> ${done.status}; ` +
        `ship_order saw ${JSON.stringify(seen)}; address checks=${checks} shipments=${shipments}`,
    );
    assert.deepEqual(seen, { ...result, [RESOLVED_MANUALLY]: true });
    assert.equal(checks, 1, 'a permanent 422 is not retried');
    assert.equal(shipments, 1);
  });

  test('`npx stepflow fail-step` fails a waiting step with the given error; `list --status FAILED` finds it', async () => {
    const { started } = await awaitingReview('ord-fail-1');
    const id = started.correlation_id;
    const failStep = await stepflow([
      'fail-step',
      id,
      'verify_address',
      '--error',
      'AddressRejected',
      '--cause',
      'no such street',
      '--workflow',
      'address_review',
      ...api,
    ]);
    assert.equal(failStep.code, 0, `npx stepflow fail-step exited ${failStep.code}: ${failStep.stderr}`);
    const done = await pollStatus(reviews().resourceUrl, id, (d) => TERMINAL.has(d.status));
    assert.equal(done.status, 'FAILED');
    const described = await describeExecution(started.execution_arn);
    assert.equal(described.error, 'AddressRejected');
    const list = await stepflow(['list', '--status', 'FAILED', '--workflow', 'address_review', ...api]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`\\b${id}\\b.*FAILED`));
    assert.equal(reviews().services!.counters.requests({ correlationId: id, service: 'shipping' }), 0);
  });

  test('`npx stepflow stop` aborts a waiting execution with the given error and cause', async () => {
    const { started } = await awaitingReview('ord-stop-1');
    const stop = await stepflow([
      'stop',
      started.correlation_id,
      '--error',
      'DuplicateOrder',
      '--cause',
      'ord-stop-1 was placed twice',
      '--workflow',
      'address_review',
      ...api,
    ]);
    assert.equal(stop.code, 0, `npx stepflow stop exited ${stop.code}: ${stop.stderr}`);
    const done = await pollStatus(reviews().resourceUrl, started.correlation_id, (d) =>
      TERMINAL.has(d.status),
    );
    assert.equal(done.status, 'ABORTED');
    const described = await describeExecution(started.execution_arn);
    assert.deepEqual(
      [described.status, described.error, described.cause],
      ['ABORTED', 'DuplicateOrder', 'ord-stop-1 was placed twice'],
    );
  });
});
