import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KitState } from './counters.ts';
import type { FaultController } from './faults.ts';
import { isWriteMethod, matchPath, type ParsedRouteKey } from './routes.ts';
import type { Fault, RequestRecord, ServiceAnswer, SimulatedRoute } from './types.ts';

/** A route with its key compiled. */
export interface CompiledRoute {
  readonly route: SimulatedRoute;
  readonly parsed: ParsedRouteKey;
  readonly write: boolean;
}

/** What the request listener of one service needs from the kit. */
export interface ServiceContext {
  readonly service: string;
  /** The service's compiled routes in the current state (they change on reset). */
  readonly routes: () => readonly CompiledRoute[];
  readonly state: () => KitState;
  readonly faults: FaultController;
  /** Base latency plus the service's own, added to every service request. */
  readonly latencyMs: () => number;
  /** Waits `ms`, unless the kit closes first. */
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

/** The route for a request; `methodAllowed` false means the path exists with another method. */
function findRoute(
  routes: readonly CompiledRoute[],
  method: string,
  path: string,
):
  | { compiled: CompiledRoute; params: Record<string, string> }
  | { compiled: undefined; methodAllowed: boolean } {
  let pathKnown = false;
  for (const compiled of routes) {
    const params = matchPath(compiled.parsed, path);
    if (params === undefined) continue;
    pathKnown = true;
    if (compiled.parsed.method === method) return { compiled, params };
  }
  return { compiled: undefined, methodAllowed: !pathKnown };
}

function lowerCaseHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? (value.at(-1) ?? '') : value;
  }
  return headers;
}

function startRecord(
  ctx: ServiceContext,
  state: KitState,
  req: IncomingMessage,
  route: string,
  path: string,
) {
  const headers = lowerCaseHeaders(req);
  const record: RequestRecord = {
    seq: ++state.seq,
    service: ctx.service,
    route,
    method: req.method ?? 'GET',
    path,
    correlationId: headers['x-correlation-id'],
    idempotencyKey: headers['idempotency-key'],
    startedAt: Date.now(),
    endedAt: undefined,
    status: undefined,
    fault: undefined,
    outcome: undefined,
  };
  if (state.log.length >= MAX_LOG_ENTRIES) state.log.shift();
  state.log.push(record);
  const counted = `${ctx.service} ${route}`;
  state.requestsByRoute.set(counted, (state.requestsByRoute.get(counted) ?? 0) + 1);
  return { record, headers };
}

function finish(record: RequestRecord, status: number | undefined, outcome: RequestRecord['outcome']): void {
  record.status = status;
  record.outcome = outcome;
  record.endedAt = Date.now();
}

function parseBody(raw: string): Record<string, unknown> | undefined {
  if (raw === '') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    return parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

async function handle(ctx: ServiceContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = await readBody(req);
  const url = new URL(req.url ?? '/', 'http://simulator');
  if (url.pathname.startsWith('/_')) return ctx.control(req, res, raw);
  const method = req.method ?? 'GET';
  const matched = findRoute(ctx.routes(), method, url.pathname);
  const state = ctx.state();
  const routeKey = matched.compiled?.route.key ?? `${method} ${url.pathname}`;
  const { record, headers } = startRecord(ctx, state, req, routeKey, url.pathname);

  if (matched.compiled === undefined) {
    const status = matched.methodAllowed ? 404 : 405;
    await ctx.sleep(ctx.latencyMs());
    finish(record, status, 'rejected');
    return send(res, status, { error: status === 404 ? 'ROUTE_NOT_FOUND' : 'METHOD_NOT_ALLOWED' });
  }
  const { compiled, params } = matched;
  const fault = ctx.faults.pick(ctx.service, compiled.route.key);
  record.fault = fault?.kind;
  if (fault?.kind === 'outage') {
    // A dead service answers at once (a load balancer's 503) or not at all: no service latency.
    finish(record, fault.refuse ? undefined : (fault.status ?? 503), 'fault');
    if (fault.refuse) {
      res.destroy();
      return;
    }
    const status = fault.status ?? 503;
    return send(res, status, {
      error: 'SERVICE_UNAVAILABLE',
      message: `${ctx.service} is down (injected outage)`,
    });
  }
  await ctx.sleep(ctx.latencyMs() + (fault?.kind === 'latency' ? fault.ms : 0));

  if (fault?.kind === 'drop') {
    finish(record, undefined, 'fault');
    res.destroy();
    return;
  }
  if (fault?.kind === 'status') {
    finish(record, fault.status, 'fault');
    return send(
      res,
      fault.status,
      fault.body ?? { error: `INJECTED_${fault.status}` },
      retryAfterHeader(fault),
    );
  }
  const body = parseBody(raw);
  if (body === undefined) {
    finish(record, 400, 'rejected');
    return send(res, 400, { error: 'INVALID_JSON', message: 'the body must be a JSON object' });
  }

  const answer = answerFor(ctx, state, compiled, record, {
    method,
    path: url.pathname,
    params,
    query: url.searchParams,
    headers,
    body,
    correlationId: record.correlationId,
    idempotencyKey: record.idempotencyKey,
  });
  if (answer === undefined) return send(res, 422, { error: 'IDEMPOTENCY_KEY_REUSED' });
  if (fault?.kind === 'apply_then_drop') {
    record.status = undefined;
    res.destroy();
    return;
  }
  if (fault?.kind === 'apply_then_delay') await ctx.sleep(fault.ms);
  send(res, answer.status, answer.body, { ...answer.headers });
}

/**
 * The answer to a request that passed the faults: a stored one for a repeated Idempotency-Key on
 * a write (the side effect is not applied again), else the route's. Undefined when the key was
 * first used on another route or path (the request is refused, as real idempotent APIs do).
 */
function answerFor(
  ctx: ServiceContext,
  state: KitState,
  compiled: CompiledRoute,
  record: RequestRecord,
  request: Parameters<SimulatedRoute['handle']>[0],
): Omit<ServiceAnswer, 'applied'> | undefined {
  const keyId =
    compiled.write && record.idempotencyKey ? `${ctx.service} ${record.idempotencyKey}` : undefined;
  const stored = keyId === undefined ? undefined : state.answersByKey.get(keyId);
  if (stored !== undefined) {
    if (stored.route !== compiled.route.key || stored.path !== request.path) {
      finish(record, 422, 'rejected');
      return undefined;
    }
    state.replays += 1;
    finish(record, stored.status, 'replayed');
    return stored;
  }
  const result = compiled.route.handle(request);
  const headers = result.headers ?? {};
  if (keyId !== undefined) {
    state.answersByKey.set(keyId, {
      route: compiled.route.key,
      path: request.path,
      status: result.status,
      body: result.body,
      headers,
    });
  }
  if (result.applied) {
    const counted = keyId ?? `${ctx.service} (no idempotency key) #${record.seq}`;
    state.appliedByKey.set(counted, (state.appliedByKey.get(counted) ?? 0) + 1);
  }
  finish(record, result.status, result.applied ? 'applied' : compiled.write ? 'rejected' : 'read');
  return { status: result.status, body: result.body, headers };
}

/** Whether a route writes: its own `write`, else by its method. */
export function routeWrites(route: SimulatedRoute, method: string): boolean {
  return route.write ?? isWriteMethod(method);
}

function retryAfterHeader(fault: Extract<Fault, { kind: 'status' }>): Record<string, string> {
  if (fault.retryAfter === undefined) return {};
  if (typeof fault.retryAfter === 'string') return { 'retry-after': fault.retryAfter };
  if (fault.retryAfterAs === 'http-date') {
    return { 'retry-after': new Date(Date.now() + fault.retryAfter * 1000).toUTCString() };
  }
  return { 'retry-after': String(fault.retryAfter) };
}

/** Writes a JSON answer (none for a null body), unless the client has gone meanwhile. */
export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed || res.writableEnded) return;
  const text = body === null || status === 204 ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text === '' ? {} : { 'content-type': 'application/json' }),
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
