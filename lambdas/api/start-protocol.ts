/**
 * The exactly-once start protocol, in one place: claim the Idempotency-Key, hold it under a lease,
 * let duplicates wait for the winner's answer, take over from a winner that died, bind the
 * correlation ID to its execution, release the key when the start fails, store the answer.
 * `ExecutionStore` only reads and writes the records (get, put-if-absent, update-if), the way
 * Powertools' idempotency persistence base owns the logic and its DynamoDB layer only does I/O.
 *
 * Why not Powertools Idempotency itself (it guards the step Lambdas): a duplicate that arrives
 * while the first request is still IN_PROGRESS gets `IdempotencyAlreadyInProgressError` at once,
 * so of 50 concurrent identical POSTs 49 would get an error, while the API promises all 50 the
 * same 202 (a duplicate waits, bounded, for the winner's stored answer). And when a winner died
 * mid-way, Powertools reruns the function for the new request, which would mint a new correlation
 * ID and so a second execution; here the taker finishes the first request's work under its
 * correlation ID (the execution name), so Step Functions' own name idempotency keeps it to one.
 */
import { DEFAULTS } from '../contracts.ts';
import type {
  CorrelationRecord,
  ExecutionStore,
  IdempotencyRecord,
  StoredResponse,
} from './execution-store.ts';
import { hashStatusToken, newStatusTokenKey } from './status-access.ts';

/** Options for {@link startExactlyOnce}. */
export interface StartProtocolOptions {
  readonly store: ExecutionStore;
  /** How long an Idempotency-Key is remembered. */
  readonly idempotencyTtlSeconds: number;
  /** After this long an IN_PROGRESS key is presumed abandoned and may be taken over. @default 10000 */
  readonly leaseMs?: number;
  /** How long a duplicate waits for the first request's stored response. @default 5000 */
  readonly waitForWinnerMs?: number;
}

/** The request as the protocol sees it. */
export interface StartClaim {
  /** The client's Idempotency-Key; without one only the correlation ID guards the start. */
  readonly idempotencyKey: string | undefined;
  /** The correlation ID this request would use (the client's, or a generated one). */
  readonly correlationId: string;
  /**
   * What "the same request" means for the Idempotency-Key: the body plus the client's correlation
   * ID, if it chose one (a generated ID differs on every retry, so it cannot count).
   */
  readonly requestHash: string;
  /**
   * What "the same request" means for a correlation ID: the hash of the execution input it would
   * start, so echoing a generated ID with the identical body is the same request.
   */
  readonly correlationHashOf: (correlationId: string) => string;
  /** The status token for a correlation record's key (status-access.ts `statusTokenFor`). */
  readonly statusTokenOf: (correlationId: string, tokenKey: string) => string;
  /** The IAM principal starting it, kept as the execution's owner; null without IAM. */
  readonly owner: string | null;
  /** The execution a correlation ID names. */
  readonly executionArnOf: (correlationId: string) => string;
}

/** How a start ended. */
export type StartOutcome =
  /** The answer to give: this request's, or the one stored by the request that won the key. */
  | { readonly kind: 'answered'; readonly response: StoredResponse }
  /** The key was first used with another body (422). */
  | { readonly kind: 'key-reused' }
  /** The correlation ID belongs to another request (409); the key was released. */
  | { readonly kind: 'correlation-taken'; readonly correlationId: string };

/**
 * Starts the execution (idempotently, by name) and returns the answer to store for the key.
 * `binding` is the correlation record that won (this request's, or the identical first one's),
 * whose token key the answer's status URL must use.
 */
export type StartAction = (correlationId: string, binding: CorrelationRecord) => Promise<StoredResponse>;

/** Put-then-get rounds before giving up on a key whose record keeps appearing and vanishing. */
const CLAIM_ROUNDS = 3;

/**
 * Runs `start` at most once per request: concurrent duplicates race on one conditional put, the
 * losers wait for the winner's stored answer and, if the winner died, redo the same idempotent
 * steps under its correlation ID. A `start` that throws releases the key (so a retry runs at
 * once) and the error propagates. A request refused because its correlation ID is taken leaves
 * its key unused (forgotten), so the corrected retry with the same key is a new request.
 *
 * @example
 * const outcome = await startExactlyOnce({ store, idempotencyTtlSeconds: 86400 }, claim, (id) => startAndAnswer(id));
 */
export async function startExactlyOnce(
  opts: StartProtocolOptions,
  claim: StartClaim,
  start: StartAction,
): Promise<StartOutcome> {
  const key = claim.idempotencyKey;
  let correlationId = claim.correlationId;
  if (key !== undefined) {
    const held = await acquireKey(opts, key, claim);
    if (held.kind !== 'owned') return held;
    correlationId = held.correlationId;
  }
  const binding = await bindCorrelation(opts.store, claim, correlationId);
  if (binding === undefined) {
    // Nothing was started for this key: forget it, so the corrected retry with the same key is
    // served as a new request (not a 422 for a "different body"), and a duplicate of this one
    // gets the same 409 at once instead of waiting 5 s.
    if (key !== undefined) await forgetKey(opts.store, key, correlationId);
    return { kind: 'correlation-taken', correlationId };
  }
  let response: StoredResponse;
  try {
    response = await start(correlationId, binding);
  } catch (error) {
    if (key !== undefined) await releaseKey(opts.store, key, correlationId);
    throw error;
  }
  if (key === undefined) return { kind: 'answered', response };
  return { kind: 'answered', response: await completeKey(opts.store, key, response) };
}

type Acquired =
  | { readonly kind: 'owned'; readonly correlationId: string }
  | Extract<StartOutcome, { kind: 'answered' | 'key-reused' }>;

/**
 * Claims the key, or follows the request that holds it: its stored answer, a wait for it, or a
 * takeover once its lease ran out (the taker continues under the holder's correlation ID).
 * Takeovers need no lock: every later step is idempotent, so concurrent takers converge.
 */
async function acquireKey(opts: StartProtocolOptions, key: string, claim: StartClaim): Promise<Acquired> {
  for (let round = 0; round < CLAIM_ROUNDS; round++) {
    if (
      await opts.store.putIdempotencyRecord(
        key,
        newRecord(opts, claim),
        expiresAt(opts.idempotencyTtlSeconds),
      )
    ) {
      return { kind: 'owned', correlationId: claim.correlationId };
    }
    const held = await opts.store.getIdempotencyRecord(key);
    // Expired between our put and get: claim it again.
    if (!held) continue;
    if (held.requestHash !== claim.requestHash) return { kind: 'key-reused' };
    const response = held.response ?? (await waitForWinner(opts, key, held.leaseUntil));
    if (response) return { kind: 'answered', response };
    return { kind: 'owned', correlationId: held.correlationId };
  }
  throw new Error('Idempotency key record kept changing; retry the request');
}

function newRecord(opts: StartProtocolOptions, claim: StartClaim): IdempotencyRecord {
  return {
    requestHash: claim.requestHash,
    correlationId: claim.correlationId,
    status: 'IN_PROGRESS',
    leaseUntil: Date.now() + (opts.leaseMs ?? 10_000),
    response: undefined,
  };
}

/**
 * Polls (bounded, with backoff) for the winner's stored answer until the winner's lease or our
 * patience runs out; undefined then (or when the record expired), and the caller takes over.
 */
async function waitForWinner(
  opts: StartProtocolOptions,
  key: string,
  leaseUntil: number,
): Promise<StoredResponse | undefined> {
  const deadline = Math.min(Date.now() + (opts.waitForWinnerMs ?? 5_000), Math.max(leaseUntil, Date.now()));
  let delay = 20;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 1.5, 250);
    const record = await opts.store.getIdempotencyRecord(key);
    if (record?.response) return record.response;
    if (!record) return undefined;
  }
  return undefined;
}

/**
 * Correlation ID -> execution, owner and status token. The record when the ID is this request's
 * (new, or bound earlier to the same execution input: a retry, a takeover or an echoed generated
 * ID), undefined when another request owns it.
 */
async function bindCorrelation(
  store: ExecutionStore,
  claim: StartClaim,
  correlationId: string,
): Promise<CorrelationRecord | undefined> {
  const statusTokenKey = newStatusTokenKey();
  const record: CorrelationRecord = {
    correlationId,
    executionArn: claim.executionArnOf(correlationId),
    requestHash: claim.correlationHashOf(correlationId),
    owner: claim.owner,
    statusTokenKey,
    statusTokenHash: hashStatusToken(claim.statusTokenOf(correlationId, statusTokenKey)),
  };
  // Correlation records must outlive the execution history they point at (90 days).
  if (await store.putCorrelation(record, expiresAt(DEFAULTS.correlationTtlSeconds))) return record;
  const existing = await store.getCorrelation(correlationId);
  if (!existing)
    throw new Error('Correlation record vanished after a failed conditional put; retry the request');
  return existing.requestHash === record.requestHash ? existing : undefined;
}

/**
 * Ends the lease of a key whose request failed before answering, so a retry with the same key
 * takes over at once instead of waiting (an update, not a delete: the start function needs no
 * DeleteItem permission). Only while the record is still this request's and unanswered.
 */
async function releaseKey(store: ExecutionStore, key: string, correlationId: string): Promise<void> {
  await store.updateIdempotencyRecord(key, { status: 'IN_PROGRESS', correlationId }, { leaseUntil: 0 });
}

/**
 * Makes the key absent (expired now) while it is still this request's and unanswered: the start
 * function needs no DeleteItem permission, and the next claim's put-if-absent overwrites it.
 */
async function forgetKey(store: ExecutionStore, key: string, correlationId: string): Promise<void> {
  await store.updateIdempotencyRecord(
    key,
    { status: 'IN_PROGRESS', correlationId },
    { leaseUntil: 0, expiresAt: 0 },
  );
}

/** Stores the answer; when another taker stored one first, that one is the answer for everyone. */
async function completeKey(
  store: ExecutionStore,
  key: string,
  response: StoredResponse,
): Promise<StoredResponse> {
  if (
    await store.updateIdempotencyRecord(key, { status: 'IN_PROGRESS' }, { status: 'COMPLETED', response })
  ) {
    return response;
  }
  return (await store.getIdempotencyRecord(key))?.response ?? response;
}

function expiresAt(ttlSeconds: number): number {
  return Math.floor(Date.now() / 1000) + ttlSeconds;
}
