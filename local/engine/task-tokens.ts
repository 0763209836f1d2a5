/**
 * Task tokens of `.waitForTaskToken` tasks: issued when the task starts (`$$.Task.Token`), settled
 * by SendTaskSuccess / SendTaskFailure, kept alive by SendTaskHeartbeat.
 */
import { randomBytes } from 'node:crypto';
import { TaskError } from './errors.ts';
import type { Json } from './json.ts';

/** What the waiting task learns: success with output, failure, or a heartbeat. */
export type TokenSignal =
  | { readonly kind: 'success'; readonly output: Json }
  | { readonly kind: 'failure'; readonly error: TaskError }
  | { readonly kind: 'heartbeat' };

/** Why a SendTask* call was refused (the names AWS answers with). */
export type TokenRefusal = 'InvalidToken' | 'TaskTimedOut';

interface Waiter {
  readonly executionArn: string;
  next: PromiseWithResolvers<TokenSignal>;
  /** Success or failure was sent: the token takes no more signals. */
  settled: boolean;
}

const TOKEN_PREFIX = 'AQB';

/** Tokens of one engine (one per executor; the endpoint asks each). */
export class TaskTokens {
  readonly #waiters = new Map<string, Waiter>();

  /** A new token for a task of the given execution; it stays open until {@link close}. */
  issue(executionArn: string): string {
    // AWS tokens are long opaque base64 strings; the prefix lets the endpoint tell ours from garbage.
    const token = `${TOKEN_PREFIX}${randomBytes(48).toString('base64url')}`;
    this.#waiters.set(token, { executionArn, next: Promise.withResolvers<TokenSignal>(), settled: false });
    return token;
  }

  /** Whether a token looks like one this engine issues (else AWS answers InvalidToken). */
  static isWellFormed(token: string): boolean {
    return token.startsWith(TOKEN_PREFIX) && /^[A-Za-z0-9_-]{60,}$/.test(token);
  }

  /** Whether this engine issued the token and its task still waits. */
  has(token: string): boolean {
    return this.#waiters.get(token)?.settled === false;
  }

  /** The execution a token belongs to. */
  executionOf(token: string): string | undefined {
    return this.#waiters.get(token)?.executionArn;
  }

  /** The next signal for an open token (a heartbeat arms a new one). */
  nextSignal(token: string): Promise<TokenSignal> {
    const waiter = this.#waiters.get(token);
    if (!waiter) return Promise.reject(new Error(`task token is closed`));
    return waiter.next.promise;
  }

  /** Delivers a signal; undefined when delivered, else why not. */
  send(token: string, signal: TokenSignal): TokenRefusal | undefined {
    const waiter = this.#waiters.get(token);
    if (!waiter || waiter.settled) return TaskTokens.isWellFormed(token) ? 'TaskTimedOut' : 'InvalidToken';
    const current = waiter.next;
    if (signal.kind === 'heartbeat') waiter.next = Promise.withResolvers<TokenSignal>();
    else waiter.settled = true;
    current.resolve(signal);
    return undefined;
  }

  /** Closes a token (its task ended: timed out, cancelled); later sends answer TaskTimedOut. */
  close(token: string): void {
    this.#waiters.delete(token);
  }
}

/** The failure SendTaskFailure reports, as the task's error (no error name: States.TaskFailed). */
export function callbackFailure(error: string | undefined, cause: string | undefined): TaskError {
  return new TaskError(error || 'States.TaskFailed', cause ?? '');
}
