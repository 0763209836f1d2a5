import type { RequestRecord, ServiceSet } from './types.ts';

/** A stored answer, replayed for a repeated Idempotency-Key. */
export interface StoredAnswer {
  readonly route: string;
  readonly path: string;
  readonly status: number;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>>;
}

/** What the kit itself tracks across every service of a set (reset with it). */
export interface KitState {
  /** The service set's own state lives in its closures; this is the set itself. */
  readonly set: ServiceSet;
  /** `<service> <Idempotency-Key>` -> the first answer. */
  readonly answersByKey: Map<string, StoredAnswer>;
  /** Side effects applied per `<service> <Idempotency-Key>` (must never exceed 1). */
  readonly appliedByKey: Map<string, number>;
  /** Requests per `<service> <route>`. */
  readonly requestsByRoute: Map<string, number>;
  readonly log: RequestRecord[];
  seq: number;
  replays: number;
}

/** A fresh kit state around a newly created service set. */
export function createKitState(set: ServiceSet): KitState {
  return {
    set,
    answersByKey: new Map(),
    appliedByKey: new Map(),
    requestsByRoute: new Map(),
    log: [],
    seq: 0,
    replays: 0,
  };
}

/** Selects requests in the log. */
export interface RequestFilter {
  readonly service?: string;
  /** Route key, e.g. `POST /users`. */
  readonly route?: string;
  readonly correlationId?: string;
  readonly idempotencyKey?: string;
}

/** Per service, for `GET /_stats`, the CLI and chaos summaries. */
export interface ServiceStats {
  readonly requests: number;
  readonly applied: number;
  readonly replays: number;
  /** Idempotency-Keys applied more than once. */
  readonly duplicates: number;
}

/** Summary for `GET /_stats` and the CLI. */
export interface SimulatorStats {
  readonly total_requests: number;
  /** Requests per `<service> <route>`. */
  readonly requests: Record<string, number>;
  readonly side_effects_applied: number;
  readonly replays: number;
  readonly faults_fired: Record<string, number>;
  readonly services: Record<string, ServiceStats>;
  readonly duplicates: string[];
}

/** What happened, so a test can prove nothing happened twice (or not at all). */
export interface ServiceCounters<Entities = unknown> {
  /** Requests received (all, or those matching the filter). */
  requests(filter?: RequestFilter): number;
  /** Copies of the request log entries (oldest first), optionally filtered. */
  log(filter?: RequestFilter): RequestRecord[];
  /** Side effects applied per `<service> <Idempotency-Key>`; each must be 1. */
  appliedByKey(): Record<string, number>;
  /** Answers replayed for a repeated Idempotency-Key (no side effect). */
  replays(): number;
  /** What the services hold (the service set's `entities()`), as a copy. */
  entities(): Entities;
  /** Descriptions of anything applied more than once; empty when exactly-once held. */
  duplicates(): string[];
  snapshot(): SimulatorStats;
}

function matches(record: RequestRecord, filter: RequestFilter): boolean {
  return (
    (filter.service === undefined || record.service === filter.service) &&
    (filter.route === undefined || record.route === filter.route) &&
    (filter.correlationId === undefined || record.correlationId === filter.correlationId) &&
    (filter.idempotencyKey === undefined || record.idempotencyKey === filter.idempotencyKey)
  );
}

function duplicatesOf(state: KitState): string[] {
  const found: string[] = [];
  for (const [key, count] of state.appliedByKey) if (count > 1) found.push(`${key}: applied ${count} times`);
  return [...found, ...(state.set.duplicates?.() ?? [])];
}

function serviceStats(state: KitState): Record<string, ServiceStats> {
  const stats: Record<string, { requests: number; applied: number; replays: number; duplicates: number }> =
    {};
  for (const service of state.set.services)
    stats[service.name] = { requests: 0, applied: 0, replays: 0, duplicates: 0 };
  for (const record of state.log) {
    const entry = stats[record.service];
    if (entry === undefined) continue;
    entry.requests += 1;
    if (record.outcome === 'replayed') entry.replays += 1;
  }
  for (const [key, count] of state.appliedByKey) {
    const entry = stats[key.slice(0, key.indexOf(' '))];
    if (entry === undefined) continue;
    entry.applied += count;
    if (count > 1) entry.duplicates += 1;
  }
  return stats;
}

function snapshotOf(state: KitState): SimulatorStats {
  const faultsFired: Record<string, number> = {};
  for (const record of state.log) {
    if (record.fault !== undefined) faultsFired[record.fault] = (faultsFired[record.fault] ?? 0) + 1;
  }
  return {
    total_requests: state.log.length,
    requests: Object.fromEntries(state.requestsByRoute),
    side_effects_applied: [...state.appliedByKey.values()].reduce((sum, n) => sum + n, 0),
    replays: state.replays,
    faults_fired: faultsFired,
    services: serviceStats(state),
    duplicates: duplicatesOf(state),
  };
}

/** Counters over the live state (`state()` changes on reset). */
export function createCounters<Entities = unknown>(state: () => KitState): ServiceCounters<Entities> {
  return {
    requests: (filter = {}) => state().log.filter((record) => matches(record, filter)).length,
    log: (filter = {}) =>
      state()
        .log.filter((record) => matches(record, filter))
        .map((record) => ({ ...record })),
    appliedByKey: () => Object.fromEntries(state().appliedByKey),
    replays: () => state().replays,
    entities: () => structuredClone(state().set.entities?.() ?? {}) as Entities,
    duplicates: () => duplicatesOf(state()),
    snapshot: () => snapshotOf(state()),
  };
}
