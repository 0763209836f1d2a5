import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stepTable, stepTransitions, summaryLine } from '../../../local/cli/step-lines.ts';
import { compact, step } from './step-views.ts';

test('prints a start line, then an end line with attempt, duration and outcome', () => {
  assert.deepEqual(compact(stepTransitions(undefined, [step('a', 'running', 1), step('b', 'pending', 0)])), [
    '▶ a attempt 1 started',
  ]);
  assert.deepEqual(compact(stepTransitions([step('a', 'running', 1)], [step('a', 'succeeded', 1)])), [
    '✔ a attempt 1 1.2 s succeeded',
  ]);
});

test('reconstructs retries skipped between two polls', () => {
  const error = { error: 'RetryableError', cause: 'billing answered 503' };
  const lines = compact(stepTransitions([step('b', 'running', 1)], [step('b', 'succeeded', 3, { error })]));
  assert.deepEqual(lines, [
    '↻ b attempt 1 failed, will retry',
    '▶ b attempt 2 started',
    '↻ b attempt 2 failed: RetryableError (billing answered 503), will retry',
    '▶ b attempt 3 started',
    '✔ b attempt 3 1.2 s succeeded',
  ]);
});

test('reports a fallback and a final failure with the cause', () => {
  const error = { error: 'PermanentError', cause: 'billing answered 422' };
  assert.deepEqual(
    compact(stepTransitions([step('p', 'retrying', 1, { error })], [step('p', 'failed', 1, { error })])),
    ['✖ p attempt 1 1.2 s failed: PermanentError (billing answered 422)'],
  );
  assert.deepEqual(compact(stepTable([step('q', 'fallback', 4, { error })])), [
    '⚑ q attempt 4 1.2 s fallback used after PermanentError (billing answered 422)',
  ]);
});

test('summarizes a failed registration with its failed steps and cause', () => {
  const line = summaryLine({
    correlation_id: 'x',
    status: 'FAILED',
    started_at: '2026-01-01T00:00:00.000Z',
    stopped_at: '2026-01-01T00:00:02.500Z',
    steps: [],
    failed_steps: ['setup_billing_profile'],
    error: 'PermanentError',
    cause: 'billing answered 422',
    console_url: '',
  });
  assert.equal(
    line,
    'FAILED in 2.5 s (failed steps: setup_billing_profile) PermanentError: billing answered 422',
  );
});

test('marks the operator and compensation statuses, with the undo error and a manual resolve', () => {
  const error = { error: 'PermanentError', cause: 'CARD_DECLINED: payments answered 422' };
  const undoError = { error: 'RetryableError', cause: 'billing answered 503' };
  assert.deepEqual(
    compact(
      stepTable([
        step('a', 'succeeded', 1, { resolved_manually: true }),
        step('b', 'awaiting_operator', 1, { error }),
        step('c', 'compensated', 1),
        step('d', 'compensation_failed', 1, { error, compensation: { attempts: 3, error: undoError } }),
      ]),
    ),
    [
      '✔ a attempt 1 1.2 s succeeded (resolved by an operator)',
      '◇ b attempt 1 1.2 s awaiting operator after PermanentError (CARD_DECLINED: payments answered 422)',
      '↶ c attempt 1 1.2 s compensated (undone)',
      '✗ d attempt 1 1.2 s compensation failed: RetryableError (billing answered 503)',
    ],
  );
  // Waiting is announced once, when it begins.
  const waiting = [step('b', 'awaiting_operator', 1, { error })];
  assert.deepEqual(compact(stepTransitions([step('b', 'running', 1)], waiting)), [
    '◇ b attempt 1 1.2 s awaiting operator after PermanentError (CARD_DECLINED: payments answered 422)',
  ]);
  assert.deepEqual(stepTransitions(waiting, waiting), []);
});

test('a succeeded step undone by the compensation chain gets a line of its own', () => {
  assert.deepEqual(compact(stepTransitions([step('a', 'succeeded', 1)], [step('a', 'compensated', 1)])), [
    '↶ a attempt 1 1.2 s compensated (undone)',
  ]);
  assert.deepEqual(stepTransitions([step('a', 'compensated', 1)], [step('a', 'compensated', 1)]), []);
});

test('the summary keeps its shape whatever the outcome (the outcome has a line of its own)', () => {
  const base = {
    correlation_id: 'x',
    status: 'FAILED',
    started_at: '2026-01-01T00:00:00.000Z',
    stopped_at: '2026-01-01T00:00:01.000Z',
    steps: [],
    failed_steps: ['b'],
    error: 'PermanentError',
  };
  assert.equal(
    summaryLine({ ...base, outcome: 'compensated' }),
    'FAILED in 1.0 s (failed steps: b) PermanentError',
  );
  assert.equal(summaryLine({ ...base, status: 'SUCCEEDED', outcome: 'succeeded' }), 'SUCCEEDED in 1.0 s');
});
