import { duplicatesOf, entitiesOf, type ServiceState } from './state.ts';
import type { RequestRecord, ServiceName, SimulatorEntities } from './types.ts';

/** Selects requests in the log. */
export interface RequestFilter {
  readonly service?: ServiceName;
  /** Route key, e.g. `POST /users`. */
  readonly route?: string;
  readonly correlationId?: string;
}

/** Summary for `GET /_stats` and the CLI. */
export interface SimulatorStats {
  readonly total_requests: number;
  readonly requests: Record<string, number>;
  readonly side_effects_applied: number;
  readonly replays: number;
  readonly faults_fired: Record<string, number>;
  readonly entities: { users: number; profiles: number; preferences: number; welcome_sequences: number };
  readonly duplicates: string[];
}

/** What happened, so a test can prove nothing happened twice (or not at all). */
export interface SimulatorCounters {
  /** Requests received (all, or those matching the filter). */
  requests(filter?: RequestFilter): number;
  /** Copies of the request log entries (oldest first), optionally filtered. */
  log(filter?: RequestFilter): RequestRecord[];
  /** Side effects applied per `<service> <Idempotency-Key>`; each must be 1. */
  appliedByKey(): Record<string, number>;
  /** Answers replayed for a repeated Idempotency-Key (no side effect). */
  replays(): number;
  /** Users, billing profiles, preference records and welcome sequences as stored. */
  entities(): SimulatorEntities;
  /** Descriptions of anything applied more than once; empty when exactly-once held. */
  duplicates(): string[];
  snapshot(): SimulatorStats;
}

/** Counters over the live state (`state()` changes on reset). */
export function createCounters(state: () => ServiceState): SimulatorCounters {
  const matches = (record: RequestRecord, filter: RequestFilter): boolean =>
    (filter.service === undefined || record.service === filter.service) &&
    (filter.route === undefined || record.route === filter.route) &&
    (filter.correlationId === undefined || record.correlationId === filter.correlationId);
  return {
    requests: (filter = {}) => state().log.filter((record) => matches(record, filter)).length,
    log: (filter = {}) =>
      state()
        .log.filter((record) => matches(record, filter))
        .map((record) => ({ ...record })),
    appliedByKey: () => Object.fromEntries(state().appliedByKey),
    replays: () => state().replays,
    entities: () => entitiesOf(state()),
    duplicates: () => duplicatesOf(state()),
    snapshot: () => {
      const current = state();
      const faultsFired: Record<string, number> = {};
      for (const record of current.log) {
        if (record.fault !== undefined) faultsFired[record.fault] = (faultsFired[record.fault] ?? 0) + 1;
      }
      return {
        total_requests: current.log.length,
        requests: Object.fromEntries(current.requestsByRoute),
        side_effects_applied: [...current.appliedByKey.values()].reduce((sum, n) => sum + n, 0),
        replays: current.replays,
        faults_fired: faultsFired,
        entities: {
          users: current.users.size,
          profiles: current.profilesByUser.size,
          preferences: current.preferencesByUser.size,
          welcome_sequences: current.welcomeByUser.size,
        },
        duplicates: duplicatesOf(current),
      };
    },
  };
}
