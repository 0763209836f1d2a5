/**
 * A raw HTTP/1.1 client over node:net, for requests node:http refuses to send: invalid UTF-8 in
 * headers, duplicate headers, oversized header blocks, bodies that disagree with their headers.
 */
import { connect } from 'node:net';

/** A request as bytes on the wire. */
export interface RawRequest {
  readonly method?: string;
  readonly path?: string;
  /** Sent in order, duplicates kept. `Content-Length` is added unless given. */
  readonly headers?: ReadonlyArray<readonly [string, string | Buffer]>;
  readonly body?: string | Buffer;
  /** Bytes to send as they are, instead of building a request. */
  readonly raw?: Buffer;
}

/** What came back: the status (0 when the connection closed without an answer) and the body text. */
export interface RawResponse {
  readonly status: number;
  readonly body: string;
  /** True when the client gave up waiting (the server hung). */
  readonly timedOut: boolean;
}

/** The request bytes for `request` against `host`. */
export function encodeRequest(request: RawRequest, host: string): Buffer {
  if (request.raw) return request.raw;
  const body =
    typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : (request.body ?? Buffer.alloc(0));
  const headers: Array<readonly [string, string | Buffer]> = [
    ['Host', host],
    ['Connection', 'close'],
  ];
  headers.push(...(request.headers ?? []));
  if (!headers.some(([name]) => name.toLowerCase() === 'content-length')) {
    headers.push(['Content-Length', String(body.length)]);
  }
  const parts: Buffer[] = [
    Buffer.from(`${request.method ?? 'POST'} ${request.path ?? '/registrations'} HTTP/1.1\r\n`),
  ];
  for (const [name, value] of headers) {
    parts.push(Buffer.from(`${name}: `), typeof value === 'string' ? Buffer.from(value, 'latin1') : value);
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('\r\n'), body);
  return Buffer.concat(parts);
}

/**
 * Sends one request on a fresh connection and reads until the server closes it or `timeoutMs`
 * passes. Every request is bounded, so a hanging server fails the test instead of stalling it.
 */
export function sendRaw(baseUrl: string, request: RawRequest, timeoutMs = 15_000): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const finish = (timedOut: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseResponse(Buffer.concat(chunks)), timedOut });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on('connect', () => {
      socket.write(encodeRequest(request, url.host), () => {
        // The server may answer (413, 431) before reading everything: that is not an error.
      });
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (isComplete(Buffer.concat(chunks))) finish(false);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

/** Whether a whole response (headers plus Content-Length bytes, or the last chunk) has arrived. */
function isComplete(data: Buffer): boolean {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = data.subarray(0, end).toString('latin1');
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
  if (length !== undefined) return data.length - end - 4 >= Number(length);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return data.includes('\r\n0\r\n\r\n', end);
  return false;
}

function parseResponse(data: Buffer): { status: number; body: string } {
  const text = data.toString('utf8');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { status, body: '' };
  const head = text.slice(0, end);
  let body = text.slice(end + 4);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    let out = '';
    let rest = body;
    for (let guard = 0; guard < 10_000; guard += 1) {
      const lineEnd = rest.indexOf('\r\n');
      const size = Number.parseInt(rest.slice(0, lineEnd), 16);
      if (!(size > 0)) break;
      out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
      rest = rest.slice(lineEnd + 2 + size + 2);
    }
    body = out;
  }
  return { status, body };
}
