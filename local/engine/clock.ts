/**
 * One virtual clock per execution. Work (a Lambda call) runs in real time; waiting does not:
 * Retry intervals, Wait states and idle time before a timeout or a task token pass `timeScale`
 * times faster, and when a wait ends the clock jumps so the wake-up is stamped at least the asked
 * delay after the wait began. History timestamps, `$$.State.EnteredTime` and every deadline read
 * this clock, so "not retried before 2 s" holds at any scale. Every timer is cleared when its run
 * is cancelled (StopExecution, runtime close), and timeout guards are unref'd besides: a closed
 * runtime never keeps the process alive.
 */

/** Options for {@link VirtualClock}. */
export interface VirtualClockOptions {
  /** Waits pass this many times faster than asked. @default 1 */
  readonly timeScale?: number;
}

/** setTimeout's largest delay; longer waits are re-armed. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Resolves after `ms` real milliseconds, or when the signal aborts (the timer is then cleared).
 * @param holdsProcess false for guards (timeouts), which must never keep the process alive;
 * waits the execution is busy with keep it alive until they end or are aborted @default true
 */
export function realDelay(ms: number, signal?: AbortSignal, holdsProcess = true): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || !(ms > 0)) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.min(ms, MAX_TIMER_MS));
    if (!holdsProcess) timer.unref();
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Virtual time of one execution: real time plus the waiting it skipped. */
export class VirtualClock {
  readonly timeScale: number;
  /**
   * No wait runs past this virtual time (the execution's TimeoutSeconds deadline): a wait that
   * would end later ends there, so the timeout fires on time at any scale.
   */
  horizonMs = Number.POSITIVE_INFINITY;
  #offsetMs = 0;
  readonly #listeners = new Set<() => void>();

  constructor(opts: VirtualClockOptions = {}) {
    const scale = opts.timeScale ?? 1;
    if (!(scale > 0) || !Number.isFinite(scale)) {
      throw new Error(`timeScale must be a positive number, got ${String(opts.timeScale)}`);
    }
    this.timeScale = scale;
  }

  /** Virtual now, in epoch milliseconds. */
  nowMs(): number {
    return Date.now() + this.#offsetMs;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  /** Calls `listener` whenever the clock jumps forward; returns the unsubscribe function. */
  onJump(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Moves virtual time forward to at least `atMs` (never back). */
  advanceTo(atMs: number): void {
    const offset = atMs - Date.now();
    if (offset <= this.#offsetMs) return;
    this.#offsetMs = offset;
    for (const listener of [...this.#listeners]) listener();
  }

  /**
   * Waits `ms` of virtual time while nothing else happens in this run (Retry, Wait). Ends early,
   * without jumping, when the signal aborts.
   */
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (!(ms > 0)) return;
    const start = this.nowMs();
    const end = Math.min(start + ms, Math.max(start, this.horizonMs));
    await realDelay((end - start) / this.timeScale, signal);
    if (!signal?.aborted) this.advanceTo(end);
  }

  /**
   * Waits idly for `wake` (a task token, a heartbeat) for at most `ms` of virtual time. The idle
   * time passes `timeScale` times faster either way.
   * @returns true when `wake` settled first, false when the time ran out
   */
  async idle(ms: number, wake: Promise<unknown>, signal?: AbortSignal): Promise<boolean> {
    const start = this.nowMs();
    const realStart = Date.now();
    const budgetMs = Math.min(ms, Math.max(0, this.horizonMs - start));
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let woken = false;
    const wakeUp = wake.then(
      () => {
        woken = true;
      },
      () => {
        woken = true;
      },
    );
    try {
      await Promise.race([wakeUp, realDelay(budgetMs / this.timeScale, stop.signal)]);
    } finally {
      stop.abort();
      signal?.removeEventListener('abort', onAbort);
    }
    if (signal?.aborted) return woken;
    const idleMs = woken ? Math.min(budgetMs, (Date.now() - realStart) * this.timeScale) : budgetMs;
    this.advanceTo(start + idleMs);
    return woken;
  }
}
