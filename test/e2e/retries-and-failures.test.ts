import assert from 'node:assert/strict';
import { afterEach, before, describe, test } from 'node:test';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { ExecutionApiClient } from '../../local/cli/api-client.ts';
import type { LocalRuntime } from '../../local/runtime/index.ts';
import { simulatorsOf } from '../../local/simulators/user_registration/index.ts';
import { executionOutput } from './execution-output.ts';
import { sharedRuntime } from './shared-runtime.ts';
import { apiClient, historyOf, register, registrationBody } from './support.ts';

describe('retries, permanent failures and fallbacks through the local API', () => {
  let runtime: LocalRuntime;
  let client: ExecutionApiClient;

  // Time runs 50x faster than the definition asks (test/e2e/shared-runtime.ts); history
  // timestamps keep the asked delays.
  before(async () => {
    runtime = await sharedRuntime();
    client = apiClient(runtime.apiUrl);
  });
  afterEach(() => simulatorsOf(runtime).faults.clear());

  /** [failedAt, nextScheduledAt] per retry of `step`, from the (virtual-time) history. */
  const retryGaps = (events: readonly HistoryEvent[], step: string): number[] => {
    const gaps: number[] = [];
    let failedAt: number | undefined;
    for (const event of events) {
      const input = event.lambdaFunctionScheduledEventDetails?.input ?? '';
      if (event.type === 'LambdaFunctionScheduled' && input.includes(`"step":"${step}"`)) {
        if (failedAt !== undefined) gaps.push(event.timestamp!.getTime() - failedAt);
        failedAt = undefined;
      }
      if (event.type === 'LambdaFunctionFailed' && stepOf(events, event) === step)
        failedAt = event.timestamp!.getTime();
    }
    return gaps;
  };

  test('503s then success are retried with exponential backoff and the registration succeeds', async () => {
    simulatorsOf(runtime).faults.set('billing', 'POST /profiles', { kind: 'status', status: 503, times: 2 });
    const { started, status } = await register(client, registrationBody('pro', 'retry-503'));
    assert.equal(status.status, 'SUCCEEDED');
    const billing = status.steps.find((step) => step.name === 'setup_billing_profile');
    assert.equal(billing?.attempts, 3);
    assert.equal(billing?.status, 'succeeded');
    const statuses = simulatorsOf(runtime)
      .counters.log({ correlationId: started.correlation_id, service: 'billing' })
      .map((r) => r.status);
    assert.deepEqual(statuses, [503, 503, 201]);
    // The definition's Retrier: 1 s doubling per retry with FULL jitter, so retry n waits a random
    // time in [0, 1 s x 2^(n-1)]: the waits the executor took must stay within those ceilings.
    const retrier = findRetrier(
      runtime.workflow('user_registration').definition,
      'setup_billing_profile',
      'RetryableError',
    );
    assert.deepEqual(
      // Fields equal to ASL's defaults (IntervalSeconds 1, BackoffRate 2) are left out.
      {
        interval: retrier?.IntervalSeconds ?? 1,
        rate: retrier?.BackoffRate ?? 2,
        jitter: retrier?.JitterStrategy,
      },
      { interval: 1, rate: 2, jitter: 'FULL' },
    );
    const waits = runtime
      .getExecution(started.execution_arn)
      ?.waits.filter((w) => w.stateName === 'setup_billing_profile');
    assert.deepEqual(
      waits?.map((w) => w.attempt),
      [1, 2],
    );
    waits?.forEach((wait, index) => {
      const ceiling = 1000 * 2 ** index;
      assert.ok(
        wait.askedMs >= 0 && wait.askedMs <= ceiling,
        `retry ${index + 1} asked ${wait.askedMs} ms > ${ceiling}`,
      );
    });
  });

  test('a 429 with Retry-After: 2 is not retried before 2 s (in the definition’s time)', async () => {
    simulatorsOf(runtime).faults.set('notification', 'POST /notifications/welcome', {
      kind: 'status',
      status: 429,
      retryAfter: 2,
      times: 1,
    });
    const { started, status } = await register(client, registrationBody('pro', 'retry-429'));
    assert.equal(status.status, 'SUCCEEDED');
    const welcome = status.steps.find((step) => step.name === 'send_welcome_sequence');
    assert.equal(welcome?.attempts, 2);
    const waits = runtime
      .getExecution(started.execution_arn)
      ?.waits.filter((w) => w.stateName === 'send_welcome_sequence');
    assert.deepEqual(
      waits?.map((w) => w.askedMs),
      [2000],
    );
    const gaps = retryGaps(
      await historyOf(runtime.sfnClient, started.execution_arn),
      'send_welcome_sequence',
    );
    assert.equal(gaps.length, 1);
    assert.ok(gaps[0]! >= 2000, `retried ${gaps[0]} ms after the 429`);
  });

  test('a permanent 422 from billing fails the execution naming setup_billing_profile and the cause', async () => {
    simulatorsOf(runtime).faults.set('billing', 'POST /profiles', {
      kind: 'status',
      status: 422,
      body: { error: 'INVALID_PAYMENT_METHOD' },
    });
    const { started, status } = await register(client, registrationBody('enterprise', 'perm-422'));
    assert.equal(status.status, 'FAILED');
    assert.deepEqual(status.failed_steps, ['setup_billing_profile']);
    assert.equal(status.error, 'PermanentError');
    assert.match(status.cause ?? '', /422/);
    const billing = status.steps.find((step) => step.name === 'setup_billing_profile');
    assert.equal(billing?.attempts, 1, 'a permanent error must not be retried');
    assert.equal(
      simulatorsOf(runtime).counters.requests({
        correlationId: started.correlation_id,
        service: 'notification',
      }),
      0,
    );
  });

  test('a preferences outage completes with the fallback', async () => {
    simulatorsOf(runtime).faults.set('preferences', '*', { kind: 'status', status: 503 });
    const { started, status } = await register(client, registrationBody('pro', 'prefs-down'));
    assert.equal(status.status, 'SUCCEEDED');
    const prefs = status.steps.find((step) => step.name === 'initialize_preferences');
    assert.equal(prefs?.status, 'fallback');
    assert.equal(prefs?.attempts, 4, 'default_retry_limit 3 = 3 retries after the first attempt');
    const output = await executionOutput(runtime.sfnClient, started.execution_arn);
    assert.equal(output.steps.initialize_preferences?.fallback_used, true);
    assert.equal(output.steps.initialize_preferences?.status, 'defaults_applied');
    assert.deepEqual(status.failed_steps, []);
  });
});

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  BackoffRate?: number;
  JitterStrategy?: string;
}

/** The Retrier of Task state `stateName` (anywhere in the definition) that matches `error`. */
function findRetrier(definition: unknown, stateName: string, error: string): Retrier | undefined {
  const states =
    (definition as { States?: Record<string, { Retry?: Retrier[]; Branches?: unknown[] }> }).States ?? {};
  for (const [name, state] of Object.entries(states)) {
    if (name === stateName) return state.Retry?.find((retrier) => retrier.ErrorEquals.includes(error));
    for (const branch of state.Branches ?? []) {
      const found = findRetrier(branch, stateName, error);
      if (found) return found;
    }
  }
  return undefined;
}

/** Follows previousEventId back to the Lambda scheduling event and reads its step. */
function stepOf(events: readonly HistoryEvent[], event: HistoryEvent): string | undefined {
  const byId = new Map(events.map((e) => [e.id, e]));
  let current: HistoryEvent | undefined = event;
  for (let hops = 0; current && hops < 10; hops++) {
    const input = current.lambdaFunctionScheduledEventDetails?.input;
    if (input) return (JSON.parse(input) as { step?: string }).step;
    current = byId.get(current.previousEventId);
  }
  return undefined;
}
