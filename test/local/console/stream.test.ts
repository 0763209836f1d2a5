/**
 * The console's live stream over a real HTTP server on loopback: its reads back off while the
 * execution does not change, and a status-change event of its execution (through the runtime's
 * hub) wakes it before its delay is over.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { ExecutionView } from '../../../local/console/sources.ts';
import { type StreamPacing, streamExecution } from '../../../local/console/stream.ts';
import {
  createStatusChangeHub,
  type ExecutionStatusEvent,
  toStatusEvent,
} from '../../../local/runtime/status-events.ts';

const ARN = 'arn:aws:states:us-east-1:000000000000:execution:Orders:ord-1';

/**
 * The fields the stream reads (the rest of a view only travels to the page); `grownMs` is what a
 * running execution's view gains by itself between two reads: its step's duration, the axis.
 */
const viewOf = (status: string, grownMs = 0): ExecutionView =>
  ({
    executionArn: ARN,
    status,
    steps: [{ name: 'a', status: 'running', attempts: 1, duration_ms: grownMs }],
    timeline: { startedAt: null, spanMs: grownMs, items: [] },
  }) as unknown as ExecutionView;

/** Serves one stream whose reads answer `current()`, recording when each read happened. */
async function serveStream(
  current: () => ExecutionView,
  pacing: StreamPacing,
): Promise<{ url: string; reads: number[]; server: Server }> {
  const reads: number[] = [];
  const server = createServer((req, res) => {
    void streamExecution(
      req,
      res,
      async () => {
        reads.push(Date.now());
        return current();
      },
      pacing,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, reads, server };
}

const eventFor = (executionArn: string, status: string): ExecutionStatusEvent =>
  toStatusEvent({
    executionArn,
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Orders',
    name: 'ord-1',
    status,
    startDate: new Date(),
    input: '{}',
    redriveCount: 0,
    redriveStatus: { status: 'NOT_REDRIVABLE' },
  } as unknown as Parameters<typeof toStatusEvent>[0]);

test('a live stream reads less and less while only durations grow, and sends each view', async () => {
  let status = 'RUNNING';
  const opened = Date.now();
  const { url, reads, server } = await serveStream(() => viewOf(status, Date.now() - opened), {
    pollMs: 50,
    maxPollMs: 800,
  });
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    setTimeout(() => {
      status = 'SUCCEEDED';
    }, 2500);
    const text = await response.text();
    assert.match(text, /event: end\ndata: \{"status":"SUCCEEDED"\}/);
    const gaps = reads.slice(1).map((at, i) => at - reads[i]!);
    // 50, 75, 113, 170, 255, 383, 575, 800: about 10 reads in 2.5 s, against 50 at a fixed 50 ms.
    assert.ok(reads.length <= 14, `${reads.length} reads in 2.5 s: gaps ${gaps.join(', ')}`);
    assert.ok(Math.max(...gaps) >= 700, `the delay reaches its cap: gaps ${gaps.join(', ')}`);
    assert.ok(gaps[0]! < 400, `the first delay is short: gaps ${gaps.join(', ')}`);
    // Every read showed a longer duration, so every read was sent to the page.
    assert.equal(text.match(/^event: view$/gm)?.length, reads.length);
  } finally {
    server.close();
  }
});

test("a status change of the stream's execution wakes it; another execution's does not", async () => {
  const hub = createStatusChangeHub();
  let status = 'RUNNING';
  const { url, reads, server } = await serveStream(() => viewOf(status), {
    pollMs: 20_000,
    statusChanges: hub,
  });
  try {
    const opened = Date.now();
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const body = response.text();
    await new Promise((resolve) => setTimeout(resolve, 300));
    hub.publish(eventFor(`${ARN}-other`, 'SUCCEEDED'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(reads.length, 1, "another execution's event does not wake the stream");
    status = 'SUCCEEDED';
    hub.publish(eventFor(ARN, 'SUCCEEDED'));
    const text = await body;
    assert.match(text, /event: end\ndata: \{"status":"SUCCEEDED"\}/);
    assert.equal(reads.length, 2);
    assert.ok(Date.now() - opened < 5000, 'woken long before its 20 s delay');
  } finally {
    server.close();
  }
});

test('the hub hands each event to every listener until it unsubscribes, past one that throws', () => {
  const hub = createStatusChangeHub();
  const seen: string[] = [];
  hub.subscribe(() => {
    throw new Error('a broken page');
  });
  const unsubscribe = hub.subscribe((event) => seen.push(`first ${event.detail.status}`));
  hub.subscribe((event) => seen.push(`second ${event.detail.status}`));
  hub.publish(eventFor(ARN, 'RUNNING'));
  unsubscribe();
  hub.publish(eventFor(ARN, 'SUCCEEDED'));
  assert.deepEqual(seen, ['first RUNNING', 'second RUNNING', 'second SUCCEEDED']);
});
