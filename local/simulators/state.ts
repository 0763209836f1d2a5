import type {
  PreferenceEntity,
  ProfileEntity,
  RequestRecord,
  SimulatorEntities,
  UserEntity,
  WelcomeSequenceEntity,
} from './types.ts';

/** A stored answer, replayed for a repeated Idempotency-Key. */
export interface StoredAnswer {
  readonly route: string;
  readonly path: string;
  readonly status: number;
  readonly body: unknown;
}

/** The services' in-memory state, counters and request log. */
export interface ServiceState {
  readonly users: Map<string, UserEntity>;
  readonly userIdsByEmail: Map<string, string>;
  readonly profilesByUser: Map<string, ProfileEntity>;
  readonly preferencesByUser: Map<string, PreferenceEntity>;
  readonly welcomeByUser: Map<string, WelcomeSequenceEntity>;
  readonly answersByKey: Map<string, StoredAnswer>;
  /** Side effects applied per `<service> <idempotency key>` (must never exceed 1). */
  readonly appliedByKey: Map<string, number>;
  readonly requestsByRoute: Map<string, number>;
  readonly log: RequestRecord[];
  readonly seq: { user: number; profile: number; sequence: number; request: number };
  replays: number;
}

/** Empty services: no users, profiles, preferences, sequences, stored answers or log. */
export function createServiceState(): ServiceState {
  return {
    users: new Map(),
    userIdsByEmail: new Map(),
    profilesByUser: new Map(),
    preferencesByUser: new Map(),
    welcomeByUser: new Map(),
    answersByKey: new Map(),
    appliedByKey: new Map(),
    requestsByRoute: new Map(),
    log: [],
    seq: { user: 0, profile: 0, sequence: 0, request: 0 },
    replays: 0,
  };
}

/** Copies of every entity (safe to keep while the simulators go on). */
export function entitiesOf(state: ServiceState): SimulatorEntities {
  return structuredClone({
    users: [...state.users.values()],
    profiles: [...state.profilesByUser.values()],
    preferences: [...state.preferencesByUser.values()],
    welcomeSequences: [...state.welcomeByUser.values()],
  });
}

/**
 * Everything that happened more than once where it must happen once: a side effect applied twice
 * for one Idempotency-Key, a user activated or preferences written twice by one registration
 * (X-Correlation-ID; a later registration of the same person may legitimately write again).
 * (One user per email, one profile and one welcome sequence per user hold by construction: the
 * services answer 409.)
 */
export function duplicatesOf(state: ServiceState): string[] {
  const found: string[] = [];
  for (const [key, count] of state.appliedByKey) if (count > 1) found.push(`${key}: applied ${count} times`);
  for (const user of state.users.values()) {
    for (const [correlationId, count] of Object.entries(user.activations_by_correlation)) {
      if (count > 1) found.push(`user ${user.id}: activated ${count} times by ${correlationId}`);
    }
  }
  for (const record of state.preferencesByUser.values()) {
    for (const [correlationId, count] of Object.entries(record.writes_by_correlation)) {
      if (count > 1)
        found.push(`preferences of ${record.user_id}: written ${count} times by ${correlationId}`);
    }
  }
  return found;
}
