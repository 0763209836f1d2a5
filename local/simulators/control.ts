import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestFilter, ServiceCounters } from './counters.ts';
import type { FaultController } from './faults.ts';
import { send } from './server.ts';
import type { Fault } from './types.ts';

/** What the control API can change. */
export interface ControlTarget {
  readonly faults: FaultController;
  readonly counters: ServiceCounters;
  /** Service name -> its route keys (`GET /_services`). */
  routes(): ReadonlyMap<string, readonly string[]>;
  getLatencyMs(): number;
  setLatencyMs(ms: number): void;
  reset(): void;
}

/**
 * The control API, served on every port of a service set (any one controls all its services):
 *
 * | request                                   | effect                                            |
 * | ----------------------------------------- | ------------------------------------------------- |
 * | `GET /_faults`                            | `{faults: {service: {route: Fault[]}}, latency_ms}` |
 * | `POST /_faults` `{service, route?, fault}` or `{..., faults: [...]}` | replace that route's faults |
 * | `DELETE /_faults[?service=&route=]`       | remove faults (all, per service, per route)       |
 * | `PUT /_latency` `{ms}`                    | base latency of every service call                |
 * | `GET /_stats`                             | counters summary, with `outages` and their calls  |
 * | `GET /_entities`                          | what the services hold (the set's `entities()`)   |
 * | `GET /_services`                          | `{services: {name: route keys}}`                  |
 * | `GET /_requests[?service=&route=&correlation_id=]` | `{requests: [...]}`, the request log      |
 * | `POST /_reset`                            | forget state, counters and faults                 |
 */
export function controlHandler(target: ControlTarget) {
  return async (req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    try {
      switch (route) {
        case 'GET /_faults':
          return send(res, 200, { faults: target.faults.list(), latency_ms: target.getLatencyMs() });
        case 'POST /_faults': {
          const body = parseObject(raw);
          const service = body.service;
          if (typeof service !== 'string')
            throw new Error(`body.service is required (${[...target.routes().keys(), '*'].join(', ')})`);
          const routeKey = typeof body.route === 'string' ? body.route : '*';
          const faults = Array.isArray(body.faults)
            ? body.faults
            : body.fault === undefined
              ? undefined
              : [body.fault];
          if (faults === undefined)
            throw new Error('body.fault (an object) or body.faults (a list) is required');
          target.faults.set(service, routeKey, faults as Fault[]);
          return send(res, 200, { faults: target.faults.list() });
        }
        case 'DELETE /_faults': {
          const service = url.searchParams.get('service') ?? undefined;
          const routeKey = url.searchParams.get('route') ?? undefined;
          target.faults.clear(service, routeKey);
          return send(res, 200, { faults: target.faults.list() });
        }
        case 'PUT /_latency': {
          const ms = parseObject(raw).ms;
          if (typeof ms !== 'number' || !(ms >= 0)) throw new Error('body.ms must be a non-negative number');
          target.setLatencyMs(ms);
          return send(res, 200, { latency_ms: ms });
        }
        case 'GET /_stats':
          return send(res, 200, { ...target.counters.snapshot(), outages: target.faults.outages() });
        case 'GET /_entities':
          return send(res, 200, target.counters.entities());
        case 'GET /_requests':
          return send(res, 200, { requests: target.counters.log(requestFilter(url.searchParams)) });
        case 'GET /_services':
          return send(res, 200, { services: Object.fromEntries(target.routes()) });
        case 'POST /_reset':
          target.reset();
          return send(res, 200, { reset: true });
        default:
          return send(res, 404, { error: 'CONTROL_ROUTE_NOT_FOUND', routes: CONTROL_ROUTES });
      }
    } catch (error) {
      return send(res, 400, { error: 'INVALID_CONTROL_REQUEST', message: (error as Error).message });
    }
  };
}

const CONTROL_ROUTES = [
  'GET /_faults',
  'POST /_faults',
  'DELETE /_faults',
  'PUT /_latency',
  'GET /_stats',
  'GET /_entities',
  'GET /_services',
  'GET /_requests',
  'POST /_reset',
];

function requestFilter(params: URLSearchParams): RequestFilter {
  const filter: { service?: string; route?: string; correlationId?: string } = {};
  const service = params.get('service');
  const route = params.get('route');
  const correlationId = params.get('correlation_id');
  if (service) filter.service = service;
  if (route) filter.route = route;
  if (correlationId) filter.correlationId = correlationId;
  return filter;
}

function parseObject(raw: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw === '' ? '{}' : raw);
  } catch {
    throw new Error('body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('body must be a JSON object');
  return parsed as Record<string, unknown>;
}
