import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { LOCAL_CALLER_ARN } from '../../lambdas/contracts.ts';
import { buildProxyEvent } from './api-gateway-event.ts';

/** One API Gateway method: `path` is the resource template, e.g. `/orders/{correlation_id}`. */
export interface LocalApiRoute {
  readonly method: string;
  readonly path: string;
  readonly functionId: string;
}

/** Options for {@link startLocalApi}. */
export interface LocalApiOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly routes: readonly LocalApiRoute[];
  /** Runs the integration function, as API Gateway's Lambda proxy integration does. */
  invoke(functionId: string, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult>;
  /** Stage name reported in `requestContext.stage` (the URL has no stage prefix). @default 'local' */
  readonly stage?: string;
  /** API Gateway's integration timeout. @default 29000 */
  readonly integrationTimeoutMs?: number;
  /** Largest request body accepted (API Gateway's payload quota). @default 10485760 (10 MB) */
  readonly maxBodyBytes?: number;
  /** Request line + headers limit (API Gateway's quota is 10240 bytes). @default 10240 */
  readonly maxHeaderBytes?: number;
  /** Called when an integration fails (the client only sees a 502/504). @default one line on stderr */
  onIntegrationError?(functionId: string, error: unknown): void;
  /**
   * The base URL clients use (a proxy in front, another port): the `Host`, `X-Forwarded-*` and
   * `requestContext.domainName` functions see, so URLs they build never come from the client's
   * `Host`. @default the address the server listens on, `http://<host>:<port>`
   */
  readonly publicUrl?: string;
  /**
   * `requestContext.identity.userArn` of every request: the local API has no IAM, so every caller
   * is the same principal. null (`npm start -- --require-status-token`) makes callers anonymous,
   * so a status can only be read with its token. @default LOCAL_CALLER_ARN
   */
  readonly callerArn?: string | null;
}

/** A running local API. */
export interface LocalApi {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:3000` (the `publicUrl` when given). */
  readonly url: string;
  /** Where the server listens, e.g. `http://127.0.0.1:3000` (differs from `url` behind a `publicUrl`). */
  readonly listenUrl: string;
  close(): Promise<void>;
}

interface CompiledRoute {
  readonly route: LocalApiRoute;
  readonly segments: readonly string[];
}

const TEN_MB = 10 * 1024 * 1024;

/**
 * Serves `routes` like an API Gateway REST API with Lambda proxy integrations, on loopback.
 *
 * API Gateway's own answers are imitated: an unknown path or method is 403
 * `{"message":"Missing Authentication Token"}`, a function error or malformed proxy result is 502
 * `{"message":"Internal server error"}`, an integration slower than 29 s is 504, a body over 10 MB
 * is 413 and headers over the quota are 431. Reads are bounded and every socket has a timeout, so
 * hostile clients cannot crash or hang the server.
 *
 * @example
 * const api = await startLocalApi({ host: '127.0.0.1', port: 0, routes, invoke: adapter.invoke });
 * await fetch(`${api.url}/orders`, { method: 'POST', body: '{}' });
 * await api.close();
 */
export async function startLocalApi(opts: LocalApiOptions): Promise<LocalApi> {
  const compiled: CompiledRoute[] = opts.routes.map((route) => ({ route, segments: splitPath(route.path) }));
  const maxBody = opts.maxBodyBytes ?? TEN_MB;
  const stage = opts.stage ?? 'local';
  const callerArn = opts.callerArn === undefined ? LOCAL_CALLER_ARN : opts.callerArn;
  // Set once the server listens (the default is its own address).
  let publicUrl = new URL(opts.publicUrl ?? 'http://127.0.0.1');
  const integrationTimeoutMs = opts.integrationTimeoutMs ?? 29_000;
  const onIntegrationError =
    opts.onIntegrationError ??
    ((functionId: string, error: unknown) =>
      process.stderr.write(`local api: ${functionId} failed: ${errorMessage(error)}\n`));

  const server = createServer({ maxHeaderSize: opts.maxHeaderBytes ?? 10_240 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      onIntegrationError('local-api', error);
      sendJson(res, 500, { message: 'Internal server error' });
    });
  });
  // Slow or stalled clients must not hold sockets forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = integrationTimeoutMs + 15_000;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify({
      message: tooLarge
        ? 'Request header fields too large'
        : `Bad request: ${error.code ?? 'malformed HTTP'}`,
    });
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://local');
    } catch {
      return sendJson(res, 400, { message: 'Bad request: malformed URL' });
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const match = matchRoute(compiled, method, url.pathname);
    if (match === 'bad-encoding')
      return sendJson(res, 400, { message: 'Bad request: malformed percent-encoding in path' });
    if (!match) {
      req.resume();
      return sendJson(res, 403, { message: 'Missing Authentication Token' });
    }

    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBody) return tooLarge(req, res, maxBody);
    const body = await readBody(req, maxBody);
    if (body === undefined) return tooLarge(req, res, maxBody);

    const event = buildProxyEvent({
      req,
      publicUrl,
      callerArn,
      method,
      path: url.pathname,
      query: url.searchParams,
      resource: match.route.path,
      pathParameters: match.params,
      body,
      stage,
    });
    const functionId = match.route.functionId;
    let result: APIGatewayProxyResult;
    try {
      result = await withTimeout(opts.invoke(functionId, event), integrationTimeoutMs);
    } catch (error) {
      if (error === TIMED_OUT) return sendJson(res, 504, { message: 'Endpoint request timed out' });
      onIntegrationError(functionId, error);
      return sendJson(res, 502, { message: 'Internal server error' });
    }
    if (!isProxyResult(result)) {
      onIntegrationError(functionId, new Error('Malformed Lambda proxy response'));
      return sendJson(res, 502, { message: 'Internal server error' });
    }
    sendResult(res, result, event.requestContext.requestId);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const listening = `http://${hostForUrl}:${address.port}`;
  publicUrl = new URL(opts.publicUrl ?? listening);
  return {
    url: publicUrl.href.replace(/\/+$/, ''),
    listenUrl: listening,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment.length > 0);
}

function matchRoute(
  routes: readonly CompiledRoute[],
  method: string,
  pathname: string,
): { route: LocalApiRoute; params: Record<string, string> | null } | 'bad-encoding' | undefined {
  const segments = splitPath(pathname);
  for (const { route, segments: template } of routes) {
    if (route.method.toUpperCase() !== method && route.method.toUpperCase() !== 'ANY') continue;
    if (template.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let matched = true;
    for (let i = 0; i < template.length && matched; i++) {
      const expected = template[i] as string;
      const actual = segments[i] as string;
      if (expected.startsWith('{') && expected.endsWith('}')) {
        try {
          params[expected.slice(1, -1)] = decodeURIComponent(actual);
        } catch {
          return 'bad-encoding';
        }
      } else if (expected !== actual) {
        matched = false;
      }
    }
    if (matched) return { route, params: Object.keys(params).length > 0 ? params : null };
  }
  return undefined;
}

/** Reads at most `limit` bytes; undefined when the body is larger (the rest is not buffered). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!done) reject(error);
    });
  });
}

function tooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  // Closing the connection is the only way to stop a client that keeps sending.
  res.setHeader('Connection', 'close');
  sendJson(res, 413, { message: `Request body exceeds the ${limit}-byte limit` });
  res.on('finish', () => req.destroy());
}

const TIMED_OUT = Symbol('timed out');

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(TIMED_OUT), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  if (typeof value !== 'object' || value === null) return false;
  const { statusCode, body } = value as Record<string, unknown>;
  return (
    Number.isInteger(statusCode) &&
    (statusCode as number) >= 100 &&
    (statusCode as number) <= 599 &&
    (body === undefined || typeof body === 'string')
  );
}

function sendResult(res: ServerResponse, result: APIGatewayProxyResult, requestId: string): void {
  const headers: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    headers[name] = Array.isArray(values) ? values.map(String) : String(values);
  }
  // API Gateway's default when the function names no content type.
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = 'application/json';
  }
  headers['x-amzn-RequestId'] = requestId;
  const body = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
  try {
    res.writeHead(result.statusCode, headers);
  } catch {
    // A header value the function produced that HTTP cannot carry: API Gateway answers 502 too.
    sendJson(res, 502, { message: 'Internal server error' });
    return;
  }
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
    ...(status === 403 ? { 'x-amzn-ErrorType': 'MissingAuthenticationTokenException' } : {}),
  });
  res.end(text);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
}
