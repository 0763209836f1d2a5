import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { PERMANENT_ERROR, RETRYABLE_ERROR } from '../../../lambdas/contracts.ts';
import {
  createServiceClient,
  deriveIdempotencyKey,
  RESERVED_HEADERS,
} from '../../../lambdas/runtime/http-client.ts';
import { createStepLogger } from '../../../lambdas/runtime/logger.ts';
import { createStepMetrics } from '../../../lambdas/runtime/metrics.ts';
import { rejection } from '../step-harness.ts';
import { type ScriptedService, startScriptedService } from './scripted-service.ts';

describe('the service client a module step uses', () => {
  let service: ScriptedService;
  const client = () =>
    createServiceClient({
      baseUrl: service.url,
      timeoutMs: 2000,
      correlationId: 'exec_1_deadbeef',
      idempotencyKey: deriveIdempotencyKey('exec_1_deadbeef', 'notify'),
      logger: createStepLogger({ service: 'mail', logLevel: 'SILENT' }),
      metrics: createStepMetrics({ service: 'mail', step: 'notify', customEvents: [] }),
    });

  before(async () => {
    service = await startScriptedService();
  });
  after(() => service.close());

  for (const name of RESERVED_HEADERS) {
    test(`refuses a caller's ${name} header and sends nothing`, async () => {
      const before = service.received.length;
      const error = await rejection(client().request('POST', '/mail', { headers: { [name]: 'forged' } }));
      assert.equal(error.name, PERMANENT_ERROR);
      assert.match(error.message, new RegExp(`^INVALID_REQUEST: header ${name} is set by the step runtime`));
      assert.equal(service.received.length, before);
    });
  }

  test('409 is handed back by default and fails with conflict: fail', async () => {
    service.answer(() => ({ status: 409, body: { error: 'DUPLICATE' } }));
    assert.deepEqual(await client().request('POST', '/mail'), { status: 409, body: { error: 'DUPLICATE' } });
    const error = await rejection(client().request('POST', '/mail', { conflict: 'fail' }));
    assert.match(error.message, /^CONFLICT: POST \/mail answered 409 DUPLICATE/);
  });

  test('a 2xx body that is not JSON is retryable for a module step (it cannot use it)', async () => {
    service.answer(() => ({ status: 200, body: '<html>', headers: { 'content-type': 'text/html' } }));
    const error = await rejection(client().request('POST', '/mail'));
    assert.equal(error.name, RETRYABLE_ERROR);
    assert.match(error.message, /answered 200 with a body that is not JSON/);
  });
});

describe('the service client on the wire (node:http, a raw server on 127.0.0.1)', () => {
  let server: Server;
  let url: string;
  let handle: (req: IncomingMessage, res: ServerResponse, body: string) => void;
  const seen: Array<{ method: string; headers: IncomingMessage['headers']; body: string }> = [];
  const client = (baseUrl = url, timeoutMs = 2000) =>
    createServiceClient({
      baseUrl,
      timeoutMs,
      correlationId: 'exec_1_deadbeef',
      idempotencyKey: deriveIdempotencyKey('exec_1_deadbeef', 'notify'),
      logger: createStepLogger({ service: 'mail', logLevel: 'SILENT' }),
      metrics: createStepMetrics({ service: 'mail', step: 'notify', customEvents: [] }),
    });

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ method: req.method ?? '', headers: req.headers, body });
        handle(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );

  test('a body goes with its length (never chunked), an empty POST says 0, a GET says nothing', async () => {
    handle = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    const payload = { text: 'héllo €' };
    await client().request('POST', '/mail', { body: payload });
    await client().request('POST', '/mail');
    await client().request('GET', '/mail');
    const [withBody, empty, get] = seen.slice(-3);
    assert.equal(withBody?.body, JSON.stringify(payload));
    assert.equal(withBody?.headers['content-length'], String(Buffer.byteLength(JSON.stringify(payload))));
    assert.equal(withBody?.headers['content-type'], 'application/json');
    assert.equal(withBody?.headers['transfer-encoding'], undefined);
    assert.equal(empty?.headers['content-length'], '0');
    assert.equal(get?.headers['content-length'], undefined);
    assert.equal(get?.headers['idempotency-key'], undefined);
    for (const request of [withBody, empty, get]) {
      assert.equal(request?.headers.accept, 'application/json');
      assert.equal(request?.headers['user-agent'], 'node');
      assert.equal(request?.headers['x-correlation-id'], 'exec_1_deadbeef');
    }
    assert.equal(withBody?.headers['idempotency-key'], deriveIdempotencyKey('exec_1_deadbeef', 'notify'));
  });

  test("a request's own User-Agent replaces the default", async () => {
    handle = (_req, res) => res.writeHead(204).end();
    await client().request('POST', '/mail', { headers: { 'User-Agent': 'orders/2' } });
    assert.equal(seen.at(-1)?.headers['user-agent'], 'orders/2');
  });

  test('a compressed answer (asked for with Accept-Encoding) is decoded', async () => {
    handle = (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
        .end(gzipSync(JSON.stringify({ id: 'm-1' })));
    const answer = await client().request('GET', '/mail/m-1', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.deepEqual(answer, { status: 200, body: { id: 'm-1' } });
  });

  test('Retry-After of a 503 reaches the error', async () => {
    handle = (_req, res) => res.writeHead(503, { 'retry-after': '7' }).end();
    const error = (await rejection(client().request('POST', '/mail'))) as Error & {
      retryAfterSeconds?: number;
    };
    assert.equal(error.name, RETRYABLE_ERROR);
    assert.equal(error.retryAfterSeconds, 7);
  });

  test('an answer cut off before its end is retryable', async () => {
    handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"id":');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const error = await rejection(client().request('POST', '/mail'));
    assert.equal(error.name, RETRYABLE_ERROR);
    assert.match(error.message, /^POST \/mail failed: /);
  });

  test('a connection dropped before any answer is retryable', async () => {
    handle = (req) => req.socket.destroy();
    const error = await rejection(client().request('POST', '/mail'));
    assert.equal(error.name, RETRYABLE_ERROR);
    assert.match(error.message, /^POST \/mail failed: ECONNRESET/);
  });

  test('the deadline also covers a body that is slow to arrive', async () => {
    handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":');
      setTimeout(() => {
        if (!res.destroyed) res.end('"late"}');
      }, 1000);
    };
    const started = performance.now();
    const error = await rejection(client(url, 100).request('POST', '/mail'));
    assert.equal(error.name, RETRYABLE_ERROR);
    assert.match(error.message, /^POST \/mail timed out after 100 ms/);
    assert.ok(performance.now() - started < 900, 'the call ended at its deadline, not with the body');
  });

  test('a port nobody listens on is retryable (ECONNREFUSED)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await rejection(client(`http://127.0.0.1:${port}`).request('POST', '/mail'));
    assert.equal(error.name, RETRYABLE_ERROR);
    assert.match(error.message, /^POST \/mail failed: ECONNREFUSED/);
  });
});
