import type {
  PreferenceEntity,
  ProfileEntity,
  SimulatorEntities,
  UserEntity,
  WelcomeSequenceEntity,
} from './types.ts';

/** The four services' in-memory state (the kit keeps the request log and stored answers). */
export interface RegistrationState {
  readonly users: Map<string, UserEntity>;
  readonly userIdsByEmail: Map<string, string>;
  readonly profilesByUser: Map<string, ProfileEntity>;
  readonly preferencesByUser: Map<string, PreferenceEntity>;
  readonly welcomeByUser: Map<string, WelcomeSequenceEntity>;
  readonly seq: { user: number; profile: number; sequence: number };
}

/** Empty services: no users, profiles, preferences or sequences. */
export function createRegistrationState(): RegistrationState {
  return {
    users: new Map(),
    userIdsByEmail: new Map(),
    profilesByUser: new Map(),
    preferencesByUser: new Map(),
    welcomeByUser: new Map(),
    seq: { user: 0, profile: 0, sequence: 0 },
  };
}

/** Every entity (the kit copies it before handing it out). */
export function entitiesOf(state: RegistrationState): SimulatorEntities {
  return {
    users: [...state.users.values()],
    profiles: [...state.profilesByUser.values()],
    preferences: [...state.preferencesByUser.values()],
    welcomeSequences: [...state.welcomeByUser.values()],
  };
}

/**
 * What happened more than once where it must happen once, beyond the kit's per-key check: a user
 * activated or preferences written twice by one registration (X-Correlation-ID; a later
 * registration of the same person may legitimately write again). (One user per email, one
 * profile and one welcome sequence per user hold by construction: the services answer 409.)
 */
export function duplicatesOf(state: RegistrationState): string[] {
  const found: string[] = [];
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

/**
 * What still stands of one registration (found by its X-Correlation-ID): a user not deleted or
 * deactivated, a billing profile not cancelled, a welcome sequence not cancelled. Empty when its
 * compensations undid everything (or it never created anything).
 *
 * @example
 * assert.deepEqual(registrationLeftovers(sims.counters.entities(), 'signup-42'), []);
 */
export function registrationLeftovers(entities: SimulatorEntities, correlationId: string): string[] {
  const found: string[] = [];
  for (const user of entities.users) {
    if (user.correlation_id === correlationId && user.status !== 'deleted' && user.status !== 'deactivated')
      found.push(`user ${user.id} is ${user.status}`);
  }
  for (const profile of entities.profiles) {
    if (profile.correlation_id === correlationId && profile.status !== 'cancelled')
      found.push(`billing profile ${profile.id} is ${profile.status}`);
  }
  for (const sequence of entities.welcomeSequences) {
    if (sequence.correlation_id === correlationId && sequence.status !== 'cancelled')
      found.push(`welcome sequence ${sequence.id} is ${sequence.status}`);
  }
  return found;
}
