/**
 * `npx stepflow status` (the follow `start --watch` uses too) against a real status API on
 * loopback (test/local/cli/operator-api.ts) whose execution moves through a scripted timeline: every step change is printed, and the reads
 * back off while nothing changes, measured as requests counted at the server.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createApiClient,
  type ExecutionStatusDocument,
  type StepView,
} from '../../../local/cli/api-client.ts';
import { followExecution, stepTransitions } from '../../../local/cli/step-lines.ts';
import { createPollBackoff } from '../../../local/poll-backoff.ts';
import { cli, type FakeApi, type Routes, startFakeApi } from './operator-api.ts';
import { compact, step } from './step-views.ts';

test('the back-off grows ×1.5 from 100 ms to 1.5 s while nothing changes and resets on a change', () => {
  const backoff = createPollBackoff();
  const quiet = [true, false, false, false, false, false, false, false, false].map((changed) =>
    backoff.next(changed),
  );
  assert.deepEqual(quiet, [100, 150, 225, 338, 507, 761, 1142, 1500, 1500]);
  assert.equal(backoff.next(true), 100);
  assert.equal(backoff.next(false), 150);
});

test('a first delay alone is a fixed interval, as callers that pass pollMs had before', () => {
  const fixed = createPollBackoff({ firstMs: 50 });
  assert.deepEqual([fixed.next(true), fixed.next(false), fixed.next(false)], [50, 50, 50]);
  const capped = createPollBackoff({ firstMs: 200, maxMs: 400 });
  assert.deepEqual([capped.next(false), capped.next(false), capped.next(false)], [300, 400, 400]);
  assert.throws(() => createPollBackoff({ firstMs: 0 }), {
    message: 'poll back-off needs firstMs > 0 and factor >= 1, got 0 and 1.5',
  });
});

const RETRY_ERROR = { error: 'RetryableError', cause: 'billing answered 503' };

/**
 * The scripted execution, by ms since the first read. `b` runs quietly for 2.5 s (the back-off
 * grows), its retry state lasts 2.5 s, longer than the cap plus a slow read (a follower must see
 * it), and its second attempt runs for only 200 ms (a follower may skip it; the lines must not).
 */
const TIMELINE: ReadonlyArray<{ readonly at: number; readonly label: string; readonly steps: StepView[] }> = [
  { at: 0, label: 'a running', steps: [step('a', 'running', 1), step('b', 'pending', 0)] },
  { at: 300, label: 'b running', steps: [step('a', 'succeeded', 1), step('b', 'running', 1)] },
  {
    at: 2800,
    label: 'b retrying',
    steps: [step('a', 'succeeded', 1), step('b', 'retrying', 1, { error: RETRY_ERROR })],
  },
  { at: 5300, label: 'b attempt 2', steps: [step('a', 'succeeded', 1), step('b', 'running', 2)] },
  { at: 5500, label: 'done', steps: [step('a', 'succeeded', 1), step('b', 'succeeded', 2)] },
];

/** The scripted document at `at` ms since the first read, and its state's label. */
function scripted(at: number): { label: string; body: ExecutionStatusDocument } {
  const state = TIMELINE.filter((entry) => entry.at <= at).at(-1) ?? TIMELINE[0]!;
  const done = state.label === 'done';
  return {
    label: state.label,
    body: {
      correlation_id: 'ord-1',
      status: done ? 'SUCCEEDED' : 'RUNNING',
      started_at: '2026-01-01T00:00:00.000Z',
      stopped_at: done ? '2026-01-01T00:00:05.500Z' : null,
      steps: state.steps,
    },
  };
}

/** Each status read a server answered: ms since the first one and the state it was given. */
type Reads = Array<{ readonly at: number; readonly label: string }>;

/** `GET /orders/ord-1` answering the timeline, recording each read. */
function timelineRoute(reads: Reads): Routes {
  let origin: number | undefined;
  return {
    'GET /orders/ord-1': () => {
      origin ??= Date.now();
      const at = Date.now() - origin;
      const { label, body } = scripted(at);
      reads.push({ at, label });
      return { status: 200, body };
    },
  };
}

/** `npx stepflow status ord-1` without a TTY, as a user runs it: the step lines it prints. */
async function followWithCli(api: FakeApi): Promise<string[]> {
  const run = await cli('status', 'ord-1', '--workflow', 'orders', '--api', api.url);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.split('\n');
  assert.equal(lines[0], 'ord-1  RUNNING');
  assert.match(run.stdout, /^SUCCEEDED in 5\.5 s$/m);
  return compact(lines.filter((line) => line.startsWith('  ')));
}

/** The same follow at the former fixed 150 ms (the baseline the reads are compared with). */
async function followFixed(api: FakeApi): Promise<string[]> {
  const client = createApiClient(`${api.url}/orders`);
  const printed: string[] = [];
  const final = await followExecution(
    () => client.status('ord-1'),
    (status, previous) => printed.push(...stepTransitions(previous?.steps, status.steps)),
    { pollMs: 150, timeoutMs: 20_000 },
  );
  assert.equal(final.status, 'SUCCEEDED');
  return compact(printed);
}

const gaps = (reads: Reads) => reads.slice(1).map((read, i) => read.at - reads[i]!.at);

test('the follow prints every step change and reads less while nothing changes than at a fixed 150 ms', async () => {
  const backedOff: Reads = [];
  const fixed: Reads = [];
  const [cliApi, fixedApi] = await Promise.all([
    startFakeApi({ orders: 'orders' }, timelineRoute(backedOff)),
    startFakeApi({ orders: 'orders' }, timelineRoute(fixed)),
  ]);
  try {
    const [lines, fixedLines] = await Promise.all([followWithCli(cliApi), followFixed(fixedApi)]);
    const expected = [
      '▶ a attempt 1 started',
      '✔ a attempt 1 1.2 s succeeded',
      '▶ b attempt 1 started',
      '↻ b attempt 1 failed: RetryableError (billing answered 503), will retry',
      '▶ b attempt 2 started',
      '✔ b attempt 2 1.2 s succeeded',
    ];
    assert.deepEqual(lines, expected);
    assert.deepEqual(fixedLines, expected, 'the fixed interval prints the same lines');
    // Every state that lasted longer than the cap was read at least once.
    const seen = new Set(backedOff.map((read) => read.label));
    for (const label of ['a running', 'b running', 'b retrying', 'done']) assert.ok(seen.has(label), label);

    const quiet = (reads: Reads) => reads.filter((read) => read.label === 'b running');
    const quietBackedOff = quiet(backedOff);
    const quietFixed = quiet(fixed);
    // Over 2.5 s the back-off's delays are 100, 150, 225, 338, 507, 761 ms: 7 reads at most
    // (a slow machine only makes fewer), against ~16 at 150 ms.
    assert.ok(
      quietBackedOff.length <= 7 && quietBackedOff.length < quietFixed.length,
      `${quietBackedOff.length} reads while b ran quietly with the back-off, ${quietFixed.length} at 150 ms`,
    );
    const quietGaps = gaps(quietBackedOff);
    const longest = Math.max(...quietGaps);
    assert.ok(
      quietGaps.at(-1)! >= 2 * quietGaps[0]!,
      `gaps grow while nothing changes: ${quietGaps.join(', ')}`,
    );
    // After the change to retrying the delay is back to the first one.
    const firstRetrying = backedOff.findIndex((read) => read.label === 'b retrying');
    const afterChange = backedOff[firstRetrying + 1]!.at - backedOff[firstRetrying]!.at;
    assert.ok(
      afterChange * 2 < longest,
      `the read after a change comes ${afterChange} ms later, quiet gaps were ${quietGaps.join(', ')}`,
    );
    assert.ok(
      backedOff.length < fixed.length,
      `${backedOff.length} reads in all with the back-off, ${fixed.length} at 150 ms`,
    );
  } finally {
    await Promise.all([cliApi.close(), fixedApi.close()]);
  }
});
