/**
 * Server-sent events for one execution page: the server reads the execution again every
 * `pollMs` and sends the view when it changed, until the execution ends or the page goes away.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ExecutionView, isFinal } from './sources.ts';

/** A stream ends after this long even if the execution still runs (the page then reconnects). */
const MAX_STREAM_MS = 15 * 60_000;

/**
 * Streams `view` events (the {@link ExecutionView} as JSON), a `problem` event when a read fails
 * (the next tick tries again), and `end` once the execution is final, then closes.
 */
export async function streamExecution(
  req: IncomingMessage,
  res: ServerResponse,
  read: () => Promise<ExecutionView | undefined>,
  pollMs: number,
): Promise<void> {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
  });
  let open = true;
  req.on('close', () => {
    open = false;
  });
  const send = (event: string, data: unknown): void => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  res.write('retry: 1000\n\n');
  const deadline = Date.now() + MAX_STREAM_MS;
  let last = '';
  while (open && Date.now() < deadline) {
    try {
      const view = await read();
      if (!view) {
        send('problem', { message: 'the API no longer knows this execution' });
        break;
      }
      const text = JSON.stringify(view);
      if (text !== last) {
        res.write(`event: view\ndata: ${text}\n\n`);
        last = text;
      }
      if (isFinal(view.status)) {
        send('end', { status: view.status });
        break;
      }
    } catch (error) {
      send('problem', { message: (error as Error).message });
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  res.end();
}
