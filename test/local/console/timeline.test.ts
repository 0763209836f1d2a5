import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { buildTimeline, drawnWaits, type Lane, type ParallelRun } from '../../../local/console/timeline.ts';
import { lanesOf } from '../../../local/console/views/execution-parts.ts';

/** AWS-shaped history: each event chained to `prev`, `ms` after the start. */
function history() {
  const events: HistoryEvent[] = [];
  const add = (type: string, prev: number, ms: number, details: Partial<HistoryEvent> = {}): number => {
    const id = events.length + 1;
    events.push({
      id,
      previousEventId: prev,
      type,
      timestamp: new Date(1_000_000 + ms),
      ...details,
    } as HistoryEvent);
    return id;
  };
  const entered = (type: string, name: string, prev: number, ms: number) =>
    add(`${type}StateEntered`, prev, ms, { stateEnteredEventDetails: { name } });
  const exited = (type: string, name: string, prev: number, ms: number, output?: unknown) =>
    add(`${type}StateExited`, prev, ms, {
      stateExitedEventDetails: { name, ...(output ? { output: JSON.stringify(output) } : {}) },
    });
  const scheduled = (step: string, prev: number, ms: number) =>
    add('LambdaFunctionScheduled', prev, ms, {
      lambdaFunctionScheduledEventDetails: { resource: 'arn', input: JSON.stringify({ step }) },
    });
  const failed = (prev: number, ms: number, error: string) =>
    add('LambdaFunctionFailed', prev, ms, {
      lambdaFunctionFailedEventDetails: {
        error,
        cause: JSON.stringify({ errorMessage: `${error} message`, trace: [] }),
      },
    });
  const succeeded = (prev: number, ms: number, output: unknown) =>
    add('LambdaFunctionSucceeded', prev, ms, {
      lambdaFunctionSucceededEventDetails: { output: JSON.stringify(output) },
    });
  return { events, add, entered, exited, scheduled, failed, succeeded };
}

/** first; Parallel(x retried after a Retry-After, y falling back after a backoff retry); last. */
function sample(finish: boolean) {
  const h = history();
  const start = h.add('ExecutionStarted', 0, 0);
  const first = h.entered('Task', 'first', start, 0);
  const firstDone = h.succeeded(h.scheduled('first', first, 0), 100, { ok: 1 });
  const pEntered = h.entered('Parallel', 'x + y', h.exited('Task', 'first', firstDone, 100), 100);
  const pStarted = h.add('ParallelStateStarted', pEntered, 100);
  const x = h.entered('Task', 'x', pStarted, 100);
  const y = h.entered('Task', 'y', pStarted, 100);
  const xFail = h.failed(h.scheduled('x', x, 100), 150, 'RetryAfter.2s');
  const yFail = h.failed(h.scheduled('y', y, 100), 160, 'RetryableError');
  const yFail2 = h.failed(h.scheduled('y', yFail, 1160), 1200, 'RetryableError');
  const fallback = h.entered('Pass', 'y (fallback)', h.exited('Task', 'y', yFail2, 1200), 1200);
  const fallbackOut = h.exited('Pass', 'y (fallback)', fallback, 1200, {
    steps: { y: { fallback_used: true } },
  });
  if (!finish) return { events: h.events, running: true };
  const xDone = h.succeeded(h.scheduled('x', xFail, 2150), 2200, { x: 2 });
  h.exited('Task', 'x', xDone, 2200);
  const pDone = h.add('ParallelStateSucceeded', fallbackOut, 2200);
  const last = h.entered('Task', 'last', h.exited('Parallel', 'x + y', pDone, 2200), 2200);
  h.succeeded(h.scheduled('last', last, 2200), 2300, {});
  return { events: h.events, running: false };
}

test('every attempt, the waits between them and the fallback, with Parallel branches apart', () => {
  const { events } = sample(true);
  const timeline = buildTimeline(events, { running: false, stoppedAt: new Date(1_000_000 + 2300) });
  assert.equal(timeline.spanMs, 2300);
  assert.deepEqual(
    timeline.items.map((i) => (i.kind === 'lane' ? i.step : `parallel ${i.name}`)),
    ['first', 'parallel x + y', 'last'],
  );
  const run = timeline.items[1] as ParallelRun;
  assert.deepEqual([run.start, run.end], [100, 2200]);
  assert.deepEqual(
    run.branches.map((b) => b.map((i) => (i as Lane).step)),
    [['x'], ['y']],
  );
  const [x, y] = run.branches.map((b) => b[0] as Lane);
  assert.deepEqual(x!.attempts, [
    {
      attempt: 1,
      start: 100,
      end: 150,
      outcome: 'failed',
      error: 'RetryAfter.2s',
      cause: 'RetryAfter.2s message',
    },
    { attempt: 2, start: 2150, end: 2200, outcome: 'succeeded' },
  ]);
  assert.deepEqual(x!.waits, [{ start: 150, end: 2150, kind: 'retry_after', seconds: 2 }]);
  assert.deepEqual(x!.result, { x: 2 });
  assert.deepEqual(
    y!.attempts.map((a) => a.outcome),
    ['failed', 'failed'],
  );
  assert.deepEqual(drawnWaits(y!, false), [{ start: 160, end: 1160, kind: 'retry' }]);
  assert.equal(y!.fallbackAt, 1200);
  assert.deepEqual(y!.result, { fallback_used: true });
  assert.deepEqual(
    lanesOf(timeline.items).map((l) => l.step),
    ['first', 'x', 'y', 'last'],
  );
});

test('while it runs, the open Retry-After wait reaches to now', () => {
  const { events, running } = sample(false);
  const timeline = buildTimeline(events, { running }, 1_000_000 + 1500);
  assert.equal(timeline.spanMs, 1500);
  const x = lanesOf(timeline.items).find((l) => l.step === 'x')!;
  assert.deepEqual(drawnWaits(x, true), [{ start: 150, kind: 'retry_after', seconds: 2 }]);
  assert.deepEqual(drawnWaits(x, false), []);
  assert.equal((timeline.items[1] as ParallelRun).end, undefined);
});
