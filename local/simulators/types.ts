/**
 * The simulator kit's vocabulary: faults, the request log, and the shape of a set of simulated
 * services. The kit (server, faults, counters, control API) knows nothing about any workflow; a
 * workflow's services come from its mock file (local/mocks/) or from a module of its own that
 * exports a {@link CreateServiceSet} (the flagship's is local/simulators/user_registration/).
 */

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
 * - `apply_then_delay`: apply the side effect, answer only after `ms` (past the client's timeout);
 * - `outage`: the service is down for every caller for `durationMs`, starting `startInMs` after the
 *   fault is set: each request answers `status` (503) at once, or with `refuse` has its connection
 *   closed before any answer. `times` and `probability` do not apply; the outage ends by itself.
 *   An outage is tried before every other fault.
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
    | OutageFault
  );

/** A service (or one route) down for a period, for all callers (see {@link Fault}). */
export interface OutageFault {
  readonly kind: 'outage';
  readonly durationMs: number;
  /** @default 0 (from when the fault is set, or from the first call with `startsOnFirstCall`) */
  readonly startInMs?: number;
  /**
   * The window starts at the first request that reaches the fault (plus `startInMs`) instead of
   * when it is set, so an outage set before a run surely meets it. @default false
   */
  readonly startsOnFirstCall?: boolean;
  /** Close the connection instead of answering. @default false */
  readonly refuse?: boolean;
  /** The answer while down, unless `refuse`. @default 503 */
  readonly status?: number;
}

/** The fault kinds, in the order the docs list them. */
export const FAULT_KINDS = [
  'status',
  'latency',
  'drop',
  'apply_then_drop',
  'apply_then_delay',
  'outage',
] as const;

/** An outage as the kit reports it (`GET /_stats`, `faults show`): its window and the calls it met. */
export interface OutageRecord {
  readonly service: string;
  readonly route: string;
  /** ISO times of the window; null while an outage waits for its first call. */
  readonly starts_at: string | null;
  readonly ends_at: string | null;
  /** `pending` (not started), `active`, or `ended`. */
  readonly state: 'pending' | 'active' | 'ended';
  readonly answer: number | 'refuse';
  /** Requests that arrived while it was active (each one met the outage). */
  readonly calls: number;
}

/** An outage a service set declares (a mock file's `outages:`), applied at start and on reset. */
export interface PlannedOutage {
  readonly service: string;
  /** @default every route */
  readonly route?: string;
  readonly fault: OutageFault;
}

/** One request as a simulated service saw it. */
export interface RequestRecord {
  readonly seq: number;
  readonly service: string;
  /** Route key (`POST /users/{id}/status`), or `METHOD /path` when no route matched. */
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

/** An answer before it is written: status, JSON body, and whether it changed any state. */
export interface ServiceAnswer {
  readonly status: number;
  readonly body: unknown;
  /** A side effect happened (counted per Idempotency-Key; more than one per key is a duplicate). */
  readonly applied: boolean;
  /** Extra response headers. @default none */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Everything a route handler sees of a request. */
export interface RouteRequest {
  readonly method: string;
  readonly path: string;
  /** Path parameters by the names in the route key (`{id}` -> `params.id`), decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Request headers, names in lower case (the last value of a repeated header). */
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON object body (`{}` when the request had none). */
  readonly body: Record<string, unknown>;
  readonly correlationId: string | undefined;
  readonly idempotencyKey: string | undefined;
}

/** One route of a simulated service. */
export interface SimulatedRoute {
  /** `METHOD /path/{param}`: faults, counters and the log are keyed by it. */
  readonly key: string;
  /**
   * Writes replay their first answer for a repeated Idempotency-Key and count side effects; reads
   * do neither. @default true unless the method is GET or HEAD
   */
  readonly write?: boolean;
  /**
   * Synchronous on purpose: the kit checks and stores the Idempotency-Key around this call, and
   * an await in between would let two deliveries of one key both apply.
   */
  handle(request: RouteRequest): ServiceAnswer;
}

/** One service: a name (the step's service key) and its routes. */
export interface SimulatedService {
  readonly name: string;
  readonly routes: readonly SimulatedRoute[];
  /** Latency added to every call of this service, on top of the kit's base latency. @default 0 */
  readonly latencyMs?: number;
}

/** A set of services sharing one state (created again on reset). */
export interface ServiceSet {
  readonly services: readonly SimulatedService[];
  /** What the services hold, for `GET /_entities` and exactly-once checks. @default `{}` */
  entities?(): unknown;
  /** Things applied more than once beyond what the kit sees per Idempotency-Key. @default none */
  duplicates?(): string[];
  /** Outages to set when the services start (and again on reset). @default none */
  readonly outages?: readonly PlannedOutage[];
}

/** What a service set may use: the kit's seeded PRNG, so generated ids replay with the seed. */
export interface ServiceSetContext {
  readonly random: () => number;
}

/**
 * Creates a fresh service set: called at start and on every reset. A module named by a mock
 * file's `simulators:` field exports one as `createSimulatedServices`.
 */
export type CreateServiceSet = (context: ServiceSetContext) => ServiceSet;

/** The export name the kit looks for in a `simulators:` module. */
export const SIMULATOR_MODULE_EXPORT = 'createSimulatedServices';
