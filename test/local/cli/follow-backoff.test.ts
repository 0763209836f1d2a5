/**
 * The CLI's follow (`status`, `start --watch`) against a real status API on loopback whose
 * execution moves through a scripted timeline: every step change is printed, and the reads
 * back off while nothing changes, measured as requests counted at the server.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import {
  createApiClient,
  type ExecutionStatusDocument,
  type StepView,
} from '../../../local/cli/api-client.ts';
import { createPollBackoff } from '../../../local/cli/poll-backoff.ts';
import { followExecution, stepTransitions } from '../../../local/cli/step-lines.ts';

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
const view = (name: string, status: string, attempts: number, extra: Partial<StepView> = {}): StepView => ({
  name,
  status,
  attempts,
  started_at: attempts > 0 ? '2026-01-01T00:00:00.000Z' : null,
  duration_ms: attempts > 0 ? 1200 : null,
  ...extra,
});

/**
 * The scripted execution, by ms since the first read. `b` runs quietly for 2.5 s (the back-off
 * grows), its retry state lasts longer than the cap (a follower must see it), and its second
 * attempt runs for only 150 ms (a follower may skip it; the lines must not).
 */
const TIMELINE: ReadonlyArray<{ readonly at: number; readonly label: string; readonly steps: StepView[] }> = [
  { at: 0, label: 'a running', steps: [view('a', 'running', 1), view('b', 'pending', 0)] },
  { at: 300, label: 'b running', steps: [view('a', 'succeeded', 1), view('b', 'running', 1)] },
  {
    at: 2800,
    label: 'b retrying',
    steps: [view('a', 'succeeded', 1), view('b', 'retrying', 1, { error: RETRY_ERROR })],
  },
  { at: 4400, label: 'b attempt 2', steps: [view('a', 'succeeded', 1), view('b', 'running', 2)] },
  { at: 4550, label: 'done', steps: [view('a', 'succeeded', 1), view('b', 'succeeded', 2)] },
];

interface ScriptedApi {
  readonly resourceUrl: string;
  /** Each GET: ms since the first one and the state it was answered with. */
  readonly reads: Array<{ readonly at: number; readonly label: string }>;
  close(): Promise<void>;
}

async function startScriptedApi(): Promise<ScriptedApi> {
  const reads: Array<{ at: number; label: string }> = [];
  let origin: number | undefined;
  const server = createServer((req, res) => {
    origin ??= Date.now();
    const at = Date.now() - origin;
    const state = TIMELINE.filter((entry) => entry.at <= at).at(-1) ?? TIMELINE[0]!;
    reads.push({ at, label: state.label });
    const done = state.label === 'done';
    const body: ExecutionStatusDocument = {
      correlation_id: decodeURIComponent((req.url ?? '').split('/').at(-1) ?? ''),
      status: done ? 'SUCCEEDED' : 'RUNNING',
      started_at: '2026-01-01T00:00:00.000Z',
      stopped_at: done ? '2026-01-01T00:00:04.550Z' : null,
      steps: state.steps,
    };
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    resourceUrl: `http://127.0.0.1:${port}/orders`,
    reads,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Follows the scripted execution as `stepflow status` does without a TTY: the lines it prints. */
async function follow(api: ScriptedApi, opts: { pollMs?: number } = {}): Promise<string[]> {
  const client = createApiClient(api.resourceUrl);
  const printed: string[] = [];
  const final = await followExecution(
    () => client.status('ord-1'),
    (status, previous) => printed.push(...stepTransitions(previous?.steps, status.steps)),
    { ...opts, timeoutMs: 20_000 },
  );
  assert.equal(final.status, 'SUCCEEDED');
  return printed.map((line) => line.replace(/\s+/g, ' ').trim());
}

const gaps = (reads: ScriptedApi['reads']) => reads.slice(1).map((read, i) => read.at - reads[i]!.at);

test('the follow prints every step change and reads less while nothing changes than at a fixed 150 ms', async () => {
  const [backedOff, fixed] = await Promise.all([startScriptedApi(), startScriptedApi()]);
  try {
    const [lines, fixedLines] = await Promise.all([follow(backedOff), follow(fixed, { pollMs: 150 })]);
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
    const seen = new Set(backedOff.reads.map((read) => read.label));
    for (const label of ['a running', 'b running', 'b retrying', 'done']) assert.ok(seen.has(label), label);

    const quiet = (reads: ScriptedApi['reads']) => reads.filter((read) => read.label === 'b running');
    const quietBackedOff = quiet(backedOff.reads);
    const quietFixed = quiet(fixed.reads);
    // Over 2.5 s: 100, 150, 225, 338, 507, 761 ms (7 reads at most) against ~16 at 150 ms.
    assert.ok(
      quietBackedOff.length * 2 <= quietFixed.length,
      `${quietBackedOff.length} reads while b ran quietly with the back-off, ${quietFixed.length} at 150 ms`,
    );
    const quietGaps = gaps(quietBackedOff);
    for (let i = 1; i < quietGaps.length; i++) {
      assert.ok(
        quietGaps[i]! > quietGaps[i - 1]!,
        `gaps grow while nothing changes: ${quietGaps.join(', ')}`,
      );
    }
    // After the change to retrying the delay is back to the first one.
    const firstRetrying = backedOff.reads.findIndex((read) => read.label === 'b retrying');
    const afterChange = backedOff.reads[firstRetrying + 1]!.at - backedOff.reads[firstRetrying]!.at;
    assert.ok(
      afterChange * 3 < Math.max(...quietGaps),
      `the read after a change comes ${afterChange} ms later, quiet gaps were ${quietGaps.join(', ')}`,
    );
    assert.ok(
      backedOff.reads.length < fixed.reads.length,
      `${backedOff.reads.length} reads in all with the back-off, ${fixed.reads.length} at 150 ms`,
    );
  } finally {
    await Promise.all([backedOff.close(), fixed.close()]);
  }
});
