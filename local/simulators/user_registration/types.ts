/** The flagship's own vocabulary: its four services, their routes and what they store. */

/** The four downstream services the registration workflow calls. */
export const SERVICE_NAMES = ['user', 'billing', 'preferences', 'notification'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * Route keys, as `METHOD /path/{param}`. Faults and counters are keyed by these; `*` in a fault
 * means every route of the service (or, as service, every service). services.ts defines them.
 */
export const SERVICE_ROUTES: Readonly<Record<ServiceName, readonly string[]>> = {
  user: [
    'POST /users',
    'GET /users',
    'GET /users/{id}',
    'PATCH /users/{id}/status',
    'POST /users/{id}/deactivate',
    'DELETE /users/{id}',
  ],
  billing: [
    'POST /profiles',
    'GET /profiles',
    'GET /profiles/{id}',
    'POST /profiles/{id}/cancel',
    'DELETE /billing-profiles/{id}',
  ],
  preferences: ['POST /users/{id}/preferences'],
  notification: [
    'POST /notifications/welcome',
    'GET /notifications/welcome',
    'GET /notifications/welcome/{id}',
    'POST /notifications/welcome/{id}/cancel',
    'POST /welcome-sequences/{id}/cancel',
  ],
};

/**
 * The routes that undo a registration's side effects (compensations, docs/cli-operations.md
 * "Undo routes"). Each is idempotent: undoing something already undone answers 200 with the
 * same entity and applies nothing; an unknown id answers 404 (nothing to undo).
 */
export const UNDO_ROUTES = {
  deactivateUser: 'POST /users/{id}/deactivate',
  deleteUser: 'DELETE /users/{id}',
  cancelBillingProfile: 'POST /profiles/{id}/cancel',
  cancelWelcomeSequence: 'POST /notifications/welcome/{id}/cancel',
  /** Same as `cancelBillingProfile` (the name first proposed for the undo handlers). */
  cancelBillingProfileAlias: 'DELETE /billing-profiles/{id}',
  /** Same as `cancelWelcomeSequence`. */
  cancelWelcomeSequenceAlias: 'POST /welcome-sequences/{id}/cancel',
} as const;

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
  /** When `POST /users/{id}/deactivate` first applied (status `deactivated`). */
  deactivated_at: string | undefined;
  /** When `DELETE /users/{id}` first applied (status `deleted`; the email is free again). */
  deleted_at: string | undefined;
  /** Undo requests that reached this user (deactivate and delete, no-ops included). */
  undo_requests: number;
}

export interface ProfileEntity {
  id: string;
  user_id: string;
  plan: string;
  amount: number;
  currency: string;
  billing_cycle: string;
  payment_method: string | null;
  /** `active`, `awaiting_payment_method` or `cancelled`. */
  status: string;
  created_at: string;
  correlation_id: string | undefined;
  /** When `POST /profiles/{id}/cancel` first applied. */
  cancelled_at: string | undefined;
  /** Cancel requests that reached this profile (no-ops included). */
  undo_requests: number;
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
  /** `scheduled`, or `cancelled` once `POST /notifications/welcome/{id}/cancel` applied. */
  status: 'scheduled' | 'cancelled';
  created_at: string;
  correlation_id: string | undefined;
  /** When the cancel first applied. */
  cancelled_at: string | undefined;
  /** Cancel requests that reached this sequence (no-ops included). */
  undo_requests: number;
}

/** Everything the services hold, for exactly-once assertions. */
export interface SimulatorEntities {
  users: UserEntity[];
  profiles: ProfileEntity[];
  preferences: PreferenceEntity[];
  welcomeSequences: WelcomeSequenceEntity[];
}
