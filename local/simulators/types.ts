/** The four downstream services the registration workflow calls. */
export const SERVICE_NAMES = ['user', 'billing', 'preferences', 'notification'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * Route keys, as `METHOD /path/{param}`. Faults and counters are keyed by these; `*` in a fault
 * means every route of the service (or, as service, every service).
 */
export const SERVICE_ROUTES: Readonly<Record<ServiceName, readonly string[]>> = {
  user: ['POST /users', 'GET /users', 'GET /users/{id}', 'PATCH /users/{id}/status'],
  billing: ['POST /profiles'],
  preferences: ['POST /users/{id}/preferences'],
  notification: ['POST /notifications/welcome'],
};

/** When a fault fires: on the next `times` matching requests, each with `probability`. */
export interface FaultScope {
  /** @default unlimited */
  readonly times?: number;
  /** Fraction of matching requests affected, drawn from the seeded PRNG. @default 1 */
  readonly probability?: number;
}

/**
 * What a fault does to a request:
 * - `status`: answer `status` (with Retry-After when given) and apply nothing;
 * - `latency`: wait `ms` first, then handle the request normally (a slow service still writes);
 * - `drop`: close the connection without an answer, before anything is applied;
 * - `apply_then_drop`: apply the side effect, then close the connection (response lost);
 * - `apply_then_delay`: apply the side effect, answer only after `ms` (past the client's timeout).
 */
export type Fault = FaultScope &
  (
    | {
        readonly kind: 'status';
        readonly status: number;
        /** Seconds (number), or a literal header value such as an HTTP date (string). */
        readonly retryAfter?: number | string;
        /** Send a numeric `retryAfter` as an HTTP date that many seconds ahead. @default 'seconds' */
        readonly retryAfterAs?: 'seconds' | 'http-date';
        /** JSON body. @default {"error": "INJECTED_<status>"} */
        readonly body?: unknown;
      }
    | { readonly kind: 'latency'; readonly ms: number }
    | { readonly kind: 'drop' }
    | { readonly kind: 'apply_then_drop' }
    | { readonly kind: 'apply_then_delay'; readonly ms: number }
  );

/** One request as the simulators saw it. */
export interface RequestRecord {
  readonly seq: number;
  readonly service: ServiceName;
  readonly route: string;
  readonly method: string;
  readonly path: string;
  readonly correlationId: string | undefined;
  readonly idempotencyKey: string | undefined;
  /** ms since the epoch */
  readonly startedAt: number;
  endedAt: number | undefined;
  /** The answer's status; undefined when the connection was dropped. */
  status: number | undefined;
  /** The fault that fired, if any. */
  fault: Fault['kind'] | undefined;
  /** `applied` a side effect, `replayed` a stored answer, `read`, `rejected` (4xx), `fault`. */
  outcome: 'applied' | 'replayed' | 'read' | 'rejected' | 'fault' | undefined;
}

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
