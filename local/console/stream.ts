/**
 * Server-sent events for one execution page: the server reads the execution again and sends the
 * view when it changed, until the execution ends or the page goes away. The reads back off while
 * nothing changes (the CLI's curve, local/poll-backoff.ts); given the runtime's status-change
 * events, a change of the execution's status (start, end, redrive) wakes the stream at once.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createPollBackoff } from '../poll-backoff.ts';
import { type ExecutionView, isFinal } from './sources.ts';

/** A stream ends after this long even if the execution still runs (the page then reconnects). */
const MAX_STREAM_MS = 15 * 60_000;

/**
 * Status-change events of executions, e.g. the local runtime's (`createStatusChangeHub` in
 * local/runtime/status-events.ts, fed by `onExecutionStatusChange`).
 */
export interface StatusChangeSource {
  /** Calls `listener` on every status change of every execution; returns the unsubscribe. */
  subscribe(listener: (event: { readonly detail: { readonly executionArn: string } }) => void): () => void;
}

/** How a stream paces its reads. */
export interface StreamPacing {
  /** The delay after a change. */
  readonly pollMs: number;
  /** The longest delay while nothing changes. @default pollMs (a fixed interval) */
  readonly maxPollMs?: number;
  /** Status changes that wake the stream before its delay is over. @default none */
  readonly statusChanges?: StatusChangeSource;
}

/**
 * Streams `view` events (the {@link ExecutionView} as JSON), a `problem` event when a read fails
 * (the next tick tries again), and `end` once the execution is final, then closes.
 */
export async function streamExecution(
  req: IncomingMessage,
  res: ServerResponse,
  read: () => Promise<ExecutionView | undefined>,
  pacing: StreamPacing,
): Promise<void> {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
  });
  const backoff = createPollBackoff({ firstMs: pacing.pollMs, maxMs: pacing.maxPollMs ?? pacing.pollMs });
  const wake = wakeSource(pacing.statusChanges);
  let open = true;
  req.on('close', () => {
    open = false;
    wake.fire();
  });
  const send = (event: string, data: unknown): void => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  res.write('retry: 1000\n\n');
  const deadline = Date.now() + MAX_STREAM_MS;
  let last = '';
  let lastState = '';
  try {
    while (open && Date.now() < deadline) {
      let changed = false;
      try {
        const view = await read();
        if (!view) {
          send('problem', { message: 'the API no longer knows this execution' });
          break;
        }
        wake.watch(view.executionArn);
        const text = JSON.stringify(view);
        if (text !== last) {
          res.write(`event: view\ndata: ${text}\n\n`);
          last = text;
        }
        const state = stateOf(view);
        changed = state !== lastState;
        lastState = state;
        if (isFinal(view.status)) {
          send('end', { status: view.status });
          break;
        }
      } catch (error) {
        send('problem', { message: (error as Error).message });
      }
      await wake.sleep(backoff.next(changed));
    }
  } finally {
    wake.close();
    res.end();
  }
}

/**
 * The view without what grows by itself while nothing happens (a running step's duration, the
 * timeline's axis to now): a view that differs only there is sent, but does not reset the back-off.
 */
function stateOf(view: ExecutionView): string {
  return JSON.stringify({
    ...view,
    steps: view.steps.map(({ duration_ms: _grows, ...rest }) => rest),
    timeline: { ...view.timeline, spanMs: 0 },
  });
}

/** A sleep that a status change of the watched execution (or the page closing) cuts short. */
function wakeSource(source: StatusChangeSource | undefined) {
  let watched: string | undefined;
  let pending = false;
  let cut: (() => void) | undefined;
  const fire = (): void => {
    pending = true;
    cut?.();
  };
  const unsubscribe = source?.subscribe((event) => {
    if (event.detail.executionArn === watched) fire();
  });
  return {
    fire,
    watch(executionArn: string): void {
      watched = executionArn;
    },
    /** Waits `ms`, or less when a change arrived since the last read or arrives meanwhile. */
    sleep(ms: number): Promise<void> {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done(): void {
          clearTimeout(timer);
          cut = undefined;
          pending = false;
          resolve();
        }
        cut = done;
      });
    },
    close(): void {
      unsubscribe?.();
    },
  };
}
