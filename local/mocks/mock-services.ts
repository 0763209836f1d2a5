/** A parsed mock file as a service set the simulator kit runs. */
import { isDeepStrictEqual } from 'node:util';
import type { CreateServiceSet, RouteRequest, ServiceAnswer, SimulatedService } from '../simulators/types.ts';
import type { MockAnswer, MockFile, MockRoute, MockService } from './mock-file.ts';
import { evaluate, render, type TemplateScope, uuidFrom } from './templates.ts';

/** Per-route counts of answers given (they number `{{seq}}`); reset with the set. */
type Sequences = Map<string, number>;

function scopeOf(request: RouteRequest, seq: number, random: () => number): TemplateScope {
  return {
    path: request.params,
    query: request.query,
    headers: request.headers,
    body: request.body,
    correlationId: request.correlationId,
    idempotencyKey: request.idempotencyKey,
    seq,
    uuid: () => uuidFrom(random),
  };
}

function chooseAnswer(route: MockRoute, scope: TemplateScope): MockAnswer | undefined {
  return route.answers.find((answer) =>
    answer.when.every(([expression, expected]) => isDeepStrictEqual(evaluate(expression, scope), expected)),
  );
}

function answerRoute(
  service: string,
  route: MockRoute,
  request: RouteRequest,
  sequences: Sequences,
  random: () => number,
): ServiceAnswer {
  const counter = `${service} ${route.key}`;
  const probe = scopeOf(request, (sequences.get(counter) ?? 0) + 1, random);
  const missing = route.required.find((expression) => {
    const value = evaluate(expression, probe);
    return value === undefined || value === null || value === '';
  });
  if (missing !== undefined) {
    return { status: 400, body: { error: 'MISSING_FIELD', field: missing }, applied: false };
  }
  const answer = chooseAnswer(route, probe);
  if (answer === undefined) return { status: 500, body: { error: 'NO_MATCHING_ANSWER' }, applied: false };
  // Only successful answers count as a side effect (and take a sequence number): a 4xx/5xx
  // answer changed nothing, just as the flagship's services do.
  const succeeded = answer.status < 400;
  if (succeeded) sequences.set(counter, probe.seq);
  const scope = succeeded ? probe : scopeOf(request, sequences.get(counter) ?? 0, random);
  const headers = render(answer.headers, scope) as Record<string, string>;
  return {
    status: answer.status,
    body: render(answer.body, scope),
    applied: succeeded && route.write !== false && request.method !== 'GET' && request.method !== 'HEAD',
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, String(value ?? '')])),
  };
}

function simulatedService(mock: MockService, sequences: Sequences, random: () => number): SimulatedService {
  return {
    name: mock.name,
    latencyMs: mock.latencyMs,
    routes: mock.routes.map((route) => ({
      key: route.key,
      ...(route.write === undefined ? {} : { write: route.write }),
      handle: (request) => answerRoute(mock.name, route, request, sequences, random),
    })),
  };
}

/**
 * The declarative services of a mock file. `extra` adds services written in code (the file's
 * `simulators:` module); a name defined by both is refused by the kit.
 */
export function mockServiceSet(file: MockFile, extra?: CreateServiceSet): CreateServiceSet {
  const outages = (file.outages ?? []).map(({ service, route, fault }) => ({ service, route, fault }));
  return (context) => {
    const sequences: Sequences = new Map();
    const coded = extra?.(context);
    const planned = outages.length > 0 ? { outages: [...(coded?.outages ?? []), ...outages] } : {};
    if (coded && file.services.length === 0) return { ...coded, ...planned };
    const services = file.services.map((mock) => simulatedService(mock, sequences, context.random));
    return {
      ...planned,
      services: [...(coded?.services ?? []), ...services],
      entities: () => {
        const own = coded?.entities?.();
        return { ...(isRecord(own) ? own : {}), answered: Object.fromEntries(sequences) };
      },
      duplicates: () => coded?.duplicates?.() ?? [],
    };
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
