import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { readableCause, summarizeSteps } from '../../../lambdas/api/execution-steps.ts';
import { PERMANENT_ERROR, RETRYABLE_ERROR, STATE_SUFFIX, undoStepId } from '../../../lambdas/contracts.ts';

/** Builds AWS-shaped history: each event chained to `prev` as Step Functions chains a branch. */
function history() {
  const events: HistoryEvent[] = [];
  const add = (type: string, prev: number, second: number, details: Partial<HistoryEvent> = {}) => {
    const id = events.length + 1;
    events.push({
      id,
      previousEventId: prev,
      type,
      timestamp: new Date(1_000_000 + second * 1000),
      ...details,
    } as HistoryEvent);
    return id;
  };
  const entered = (name: string, prev: number, s: number) =>
    add('TaskStateEntered', prev, s, { stateEnteredEventDetails: { name } });
  const scheduled = (step: string, prev: number, s: number) =>
    add('LambdaFunctionScheduled', prev, s, {
      lambdaFunctionScheduledEventDetails: { resource: 'arn', input: JSON.stringify({ step }) },
    });
  const failed = (prev: number, s: number, error: string, message: string) =>
    add('LambdaFunctionFailed', prev, s, {
      lambdaFunctionFailedEventDetails: {
        error,
        cause: JSON.stringify({ errorType: error, errorMessage: message, trace: ['at x'] }),
      },
    });
  return { events, add, entered, scheduled, failed };
}

test('attributes retries, fallbacks and failures to their steps across parallel branches', () => {
  const h = history();
  const start = h.add('ExecutionStarted', 0, 0);
  let e = h.entered('create_user_account', start, 0);
  e = h.scheduled('create_user_account', e, 0);
  e = h.add('LambdaFunctionStarted', e, 0);
  e = h.add('LambdaFunctionSucceeded', e, 1);
  e = h.add('TaskStateExited', e, 1, { stateExitedEventDetails: { name: 'create_user_account' } });
  const parallel = h.add('ParallelStateEntered', e, 1, { stateEnteredEventDetails: { name: 'Parallel' } });
  // Branches interleave: billing fails twice (retried), preferences fails and falls back.
  const billing = h.entered('setup_billing_profile', parallel, 1);
  const prefs = h.entered('initialize_preferences', parallel, 1);
  let b = h.scheduled('setup_billing_profile', billing, 1);
  let p = h.scheduled('initialize_preferences', prefs, 1);
  b = h.failed(h.add('LambdaFunctionStarted', b, 1), 2, RETRYABLE_ERROR, 'billing answered 503');
  p = h.failed(h.add('LambdaFunctionStarted', p, 1), 2, RETRYABLE_ERROR, 'preferences down');
  b = h.scheduled('setup_billing_profile', b, 3);
  b = h.failed(h.add('LambdaFunctionStarted', b, 3), 4, PERMANENT_ERROR, 'billing answered 422 INVALID_CARD');
  h.add('PassStateEntered', p, 4, {
    stateEnteredEventDetails: { name: 'initialize_preferences (fallback)' },
  });

  const running = summarizeSteps(
    h.events,
    { running: true, stoppedAt: undefined, now: new Date(1_005_000) },
    ['create_user_account', 'setup_billing_profile', 'initialize_preferences', 'send_welcome_sequence'],
  );
  assert.deepEqual(
    running.map((s) => [s.name, s.status, s.attempts]),
    [
      ['create_user_account', 'succeeded', 1],
      ['setup_billing_profile', 'retrying', 2],
      ['initialize_preferences', 'fallback', 1],
      ['send_welcome_sequence', 'pending', 0],
    ],
  );
  assert.equal(running[0]?.duration_ms, 1000);
  assert.deepEqual(running[2]?.error, { error: RETRYABLE_ERROR, cause: 'preferences down' });

  // Read without execution data (no payloads): the previousEventId chains alone give the same.
  const withoutData = h.events.map((event) =>
    event.lambdaFunctionScheduledEventDetails
      ? { ...event, lambdaFunctionScheduledEventDetails: { resource: 'arn' } }
      : event,
  );
  assert.deepEqual(
    summarizeSteps(withoutData, { running: true, stoppedAt: undefined, now: new Date(1_005_000) }, [
      'create_user_account',
      'setup_billing_profile',
      'initialize_preferences',
      'send_welcome_sequence',
    ]),
    running,
  );

  const failedRun = summarizeSteps(h.events, { running: false, stoppedAt: new Date(1_004_000) });
  const billingStep = failedRun.find((s) => s.name === 'setup_billing_profile');
  assert.equal(billingStep?.status, 'failed');
  assert.deepEqual(billingStep?.error, {
    error: PERMANENT_ERROR,
    cause: 'billing answered 422 INVALID_CARD',
  });
  assert.equal(billingStep?.duration_ms, 3000);
});

test('a step still in flight when the execution closed is cancelled, not failed', () => {
  const h = history();
  const e = h.entered('initialize_preferences', 0, 0);
  h.scheduled('initialize_preferences', e, 0);
  const [step] = summarizeSteps(h.events, { running: false, stoppedAt: new Date(1_002_000) });
  assert.equal(step?.status, 'cancelled');
  assert.equal(step?.error, undefined);
});

test('shows the Lambda error message, never its stack trace', () => {
  assert.equal(
    readableCause(JSON.stringify({ errorType: 'E', errorMessage: 'boom', trace: ['at a'] })),
    'boom',
  );
  assert.equal(readableCause('States.Timeout after 30 s'), 'States.Timeout after 30 s');
});

test('a failure left through a Catch is failed at once while the compensation chain runs; undo events belong to their step', () => {
  const h = history();
  let e = h.entered('create_user_account', 0, 0);
  e = h.scheduled('create_user_account', e, 0);
  e = h.add('LambdaFunctionSucceeded', h.add('LambdaFunctionStarted', e, 0), 1);
  e = h.add('TaskStateExited', e, 1, { stateExitedEventDetails: { name: 'create_user_account' } });
  e = h.entered('setup_billing_profile', e, 1);
  e = h.scheduled('setup_billing_profile', e, 1);
  e = h.failed(
    h.add('LambdaFunctionStarted', e, 1),
    2,
    PERMANENT_ERROR,
    'INVALID_CARD: declined for ada@example.com',
  );
  e = h.add('TaskStateExited', e, 2, { stateExitedEventDetails: { name: 'setup_billing_profile' } });
  e = h.entered(`create_user_account${STATE_SUFFIX.undo}`, e, 2);
  e = h.scheduled(undoStepId('create_user_account'), e, 2);
  h.add('LambdaFunctionStarted', e, 2);

  const steps = summarizeSteps(h.events, { running: true, stoppedAt: undefined, now: new Date(1_003_000) });
  assert.deepEqual(
    steps.map((s) => [s.name, s.status, s.attempts]),
    [
      ['create_user_account', 'succeeded', 1],
      ['setup_billing_profile', 'failed', 1],
    ],
    'no phantom step for the undo state or its payload',
  );
  assert.deepEqual(steps[0]?.compensation, { attempts: 1 });
  assert.deepEqual(steps[1]?.error, {
    error: PERMANENT_ERROR,
    code: 'INVALID_CARD',
    cause: 'INVALID_CARD: declined for a***@***',
  });
  assert.equal(steps[1]?.duration_ms, 1000);
});

test('a step still awaiting an operator when the execution was stopped is failed with its own error', () => {
  const h = history();
  let e = h.entered('review', 0, 0);
  e = h.scheduled('review', e, 0);
  e = h.failed(h.add('LambdaFunctionStarted', e, 0), 1, PERMANENT_ERROR, 'REVIEW_REQUIRED: manual check');
  e = h.add('TaskStateExited', e, 1, { stateExitedEventDetails: { name: 'review' } });
  e = h.entered(`review${STATE_SUFFIX.operator}`, e, 1);
  e = h.add('TaskScheduled', e, 1);
  h.add('TaskSubmitted', h.add('TaskStarted', e, 1), 1);
  const running = summarizeSteps(h.events, { running: true, stoppedAt: undefined, now: new Date(1_009_000) });
  assert.deepEqual(
    running.map((s) => [s.name, s.status, s.attempts, s.error?.code]),
    [['review', 'awaiting_operator', 1, 'REVIEW_REQUIRED']],
  );
  assert.equal(running[0]?.duration_ms, 9000, 'the wait counts until now');
  const stopped = summarizeSteps(h.events, { running: false, stoppedAt: new Date(1_005_000) });
  assert.deepEqual(
    stopped.map((s) => [s.name, s.status, s.error?.code]),
    [['review', 'failed', 'REVIEW_REQUIRED']],
  );
});
