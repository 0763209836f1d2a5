import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import { type RuntimeHarness, startRuntimeHarness } from '../step-harness.ts';

/** One request as the service received it. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path and query string, as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What the service answers; `body` is sent as is (a string) or as JSON. */
export interface ScriptedAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Answer this long after the request arrived. @default 0 */
  readonly delayMs?: number;
}

/** A real HTTP service on 127.0.0.1 that records every request and answers as scripted. */
export interface ScriptedService {
  readonly url: string;
  readonly received: ReceivedRequest[];
  /** How the next requests are answered. @default 200 `{"ok": true}` */
  answer(script: (request: ReceivedRequest) => ScriptedAnswer): void;
  close(): Promise<void>;
}

const DEFAULT_SCRIPT = (): ScriptedAnswer => ({ status: 200, body: { ok: true } });

/** Starts a {@link ScriptedService} on a free loopback port. */
export async function startScriptedService(): Promise<ScriptedService> {
  const received: ReceivedRequest[] = [];
  let script: (request: ReceivedRequest) => ScriptedAnswer = DEFAULT_SCRIPT;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(request);
      const answer = script(request);
      const body =
        answer.body === undefined
          ? ''
          : typeof answer.body === 'string'
            ? answer.body
            : JSON.stringify(answer.body);
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(body);
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer(next) {
      script = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The hooks of a suite whose tests call one scripted service: the runtime harness and the
 * service, opened before the suite's tests (then given to `onStart`) and closed after them.
 * Call it inside the suite's `describe`, never at a file's top level (test/tiers.ts).
 */
export function useScriptedSuite(onStart: (harness: RuntimeHarness, service: ScriptedService) => void): void {
  let harness: RuntimeHarness | undefined;
  let service: ScriptedService | undefined;
  before(async () => {
    harness = await startRuntimeHarness();
    service = await startScriptedService();
    onStart(harness, service);
  });
  after(async () => {
    await service?.close();
    await harness?.close();
  });
}
