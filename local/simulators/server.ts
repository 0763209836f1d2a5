import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultController } from './faults.ts';
import { matchRoute } from './services.ts';
import type { ServiceState } from './state.ts';
import type { Fault, RequestRecord, ServiceName } from './types.ts';

/** What the request handler of one service needs from the simulators. */
export interface ServiceContext {
  readonly service: ServiceName;
  readonly state: () => ServiceState;
  readonly faults: FaultController;
  /** Base latency added to every service request. */
  readonly latencyMs: () => number;
  /** Waits `ms`, unless the simulators close first. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Answers control requests (`/_faults`, `/_stats`, ...); see control.ts. */
  readonly control: (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void>;
}

/** Bodies above this are refused; no service request comes near it. */
const MAX_BODY_BYTES = 1024 * 1024;
/** The request log is bounded so a long-running `npm start` cannot grow without limit. */
const MAX_LOG_ENTRIES = 100_000;

/** The node:http request listener for one service. */
export function serviceListener(ctx: ServiceContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed)
        send(res, 500, { error: 'SIMULATOR_ERROR', message: String(error) });
    });
  };
}

async function handle(ctx: ServiceContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = await readBody(req);
  const url = new URL(req.url ?? '/', 'http://simulator');
  if (url.pathname.startsWith('/_')) return ctx.control(req, res, raw);
  const method = req.method ?? 'GET';
  const matched = matchRoute(ctx.service, method, url.pathname);
  const state = ctx.state();
  const header = (name: string): string | undefined => {
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const record: RequestRecord = {
    seq: ++state.seq.request,
    service: ctx.service,
    route: matched.route?.key ?? `${method} ${url.pathname}`,
    method,
    path: url.pathname,
    correlationId: header('x-correlation-id'),
    idempotencyKey: header('idempotency-key'),
    startedAt: Date.now(),
    endedAt: undefined,
    status: undefined,
    fault: undefined,
    outcome: undefined,
  };
  if (state.log.length >= MAX_LOG_ENTRIES) state.log.shift();
  state.log.push(record);
  state.requestsByRoute.set(
    `${ctx.service} ${record.route}`,
    (state.requestsByRoute.get(`${ctx.service} ${record.route}`) ?? 0) + 1,
  );
  const finish = (status: number | undefined, outcome: RequestRecord['outcome']): void => {
    record.status = status;
    record.outcome = outcome;
    record.endedAt = Date.now();
  };

  if (matched.route === undefined) {
    const status = matched.methodAllowed ? 404 : 405;
    await ctx.sleep(ctx.latencyMs());
    finish(status, 'rejected');
    return send(res, status, { error: status === 404 ? 'ROUTE_NOT_FOUND' : 'METHOD_NOT_ALLOWED' });
  }
  const { route, params } = matched;
  const fault = ctx.faults.pick(ctx.service, route.key);
  record.fault = fault?.kind;
  await ctx.sleep(ctx.latencyMs() + (fault?.kind === 'latency' ? fault.ms : 0));

  if (fault?.kind === 'drop') {
    finish(undefined, 'fault');
    res.destroy();
    return;
  }
  if (fault?.kind === 'status') {
    finish(fault.status, 'fault');
    const headers = retryAfterHeader(fault);
    return send(res, fault.status, fault.body ?? { error: `INJECTED_${fault.status}` }, headers);
  }

  let body: Record<string, unknown> = {};
  if (raw !== '') {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      finish(400, 'rejected');
      return send(res, 400, { error: 'INVALID_JSON' });
    }
  }

  const keyId = route.write && record.idempotencyKey ? `${ctx.service} ${record.idempotencyKey}` : undefined;
  const stored = keyId === undefined ? undefined : state.answersByKey.get(keyId);
  let status: number;
  let answerBody: unknown;
  if (stored !== undefined) {
    if (stored.route !== route.key || stored.path !== url.pathname) {
      finish(422, 'rejected');
      return send(res, 422, { error: 'IDEMPOTENCY_KEY_REUSED' });
    }
    state.replays += 1;
    status = stored.status;
    answerBody = stored.body;
    finish(status, 'replayed');
  } else {
    const result = route.handle({
      state,
      params,
      query: url.searchParams,
      body,
      correlationId: record.correlationId,
    });
    status = result.status;
    answerBody = result.body;
    if (keyId !== undefined) {
      state.answersByKey.set(keyId, { route: route.key, path: url.pathname, status, body: answerBody });
    }
    if (result.applied) {
      const counted = keyId ?? `${ctx.service} (no idempotency key) #${record.seq}`;
      state.appliedByKey.set(counted, (state.appliedByKey.get(counted) ?? 0) + 1);
    }
    finish(status, result.applied ? 'applied' : route.write ? 'rejected' : 'read');
  }

  if (fault?.kind === 'apply_then_drop') {
    record.status = undefined;
    record.fault = 'apply_then_drop';
    res.destroy();
    return;
  }
  if (fault?.kind === 'apply_then_delay') await ctx.sleep(fault.ms);
  send(res, status, answerBody);
}

function retryAfterHeader(fault: Extract<Fault, { kind: 'status' }>): Record<string, string> {
  if (fault.retryAfter === undefined) return {};
  if (typeof fault.retryAfter === 'string') return { 'retry-after': fault.retryAfter };
  if (fault.retryAfterAs === 'http-date') {
    return { 'retry-after': new Date(Date.now() + fault.retryAfter * 1000).toUTCString() };
  }
  return { 'retry-after': String(fault.retryAfter) };
}

/** Writes a JSON answer, unless the client has gone (timed out) meanwhile. */
export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed || res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
