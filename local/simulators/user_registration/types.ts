/** The flagship's own vocabulary: its four services, their routes and what they store. */

/** The four downstream services the registration workflow calls. */
export const SERVICE_NAMES = ['user', 'billing', 'preferences', 'notification'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * Route keys, as `METHOD /path/{param}`. Faults and counters are keyed by these; `*` in a fault
 * means every route of the service (or, as service, every service). services.ts defines them.
 */
export const SERVICE_ROUTES: Readonly<Record<ServiceName, readonly string[]>> = {
  user: ['POST /users', 'GET /users', 'GET /users/{id}', 'PATCH /users/{id}/status'],
  billing: ['POST /profiles'],
  preferences: ['POST /users/{id}/preferences'],
  notification: ['POST /notifications/welcome'],
};

export interface UserEntity {
  id: string;
  email: string;
  name: string;
  phone: string | undefined;
  plan: string;
  status: string;
  created_at: string;
  correlation_id: string | undefined;
  /** How many times the status was set to `active`. */
  activations: number;
  /** Activations per X-Correlation-ID: a registration activates its user once. */
  activations_by_correlation: Record<string, number>;
  summary: unknown;
}

export interface ProfileEntity {
  id: string;
  user_id: string;
  plan: string;
  amount: number;
  currency: string;
  billing_cycle: string;
  payment_method: string | null;
  status: string;
  created_at: string;
  correlation_id: string | undefined;
}

export interface PreferenceEntity {
  user_id: string;
  preferences: Record<string, unknown>;
  updated_at: string;
  correlation_id: string | undefined;
  /** Writes applied. */
  writes: number;
  /** Writes per X-Correlation-ID: a registration writes its preferences once. */
  writes_by_correlation: Record<string, number>;
}

export interface WelcomeSequenceEntity {
  id: string;
  user_id: string;
  plan: string;
  template: string;
  channels: string[];
  created_at: string;
  correlation_id: string | undefined;
}

/** Everything the services hold, for exactly-once assertions. */
export interface SimulatorEntities {
  users: UserEntity[];
  profiles: ProfileEntity[];
  preferences: PreferenceEntity[];
  welcomeSequences: WelcomeSequenceEntity[];
}
