/**
 * The delays between two reads of an execution's status, for the CLI's follow and the console's
 * live page. The status API has no "tell me when it changes" call (neither AWS's nor ours), so a
 * follower re-reads it; each read costs a status invocation (DescribeExecution + history), so the
 * delay grows while nothing changes and drops back at once when something does.
 */

/** The default curve: 100 ms, then ×1.5 per read that saw no change, up to 1.5 s. */
export const STATUS_BACKOFF = { firstMs: 100, factor: 1.5, maxMs: 1500 } as const;

/** Options of {@link createPollBackoff}. */
export interface PollBackoffOptions {
  /** The delay after a change (and the first one). @default 100 */
  readonly firstMs?: number;
  /** The longest delay. @default 1500, or `firstMs` when only `firstMs` is given (a fixed interval) */
  readonly maxMs?: number;
  /** Growth per read that saw no change. @default 1.5 */
  readonly factor?: number;
}

/** The delay to wait before the next read. */
export interface PollBackoff {
  /** The delay before the next read, given whether the last read saw a change. */
  next(changed: boolean): number;
}

/**
 * A back-off that starts at `firstMs`, grows by `factor` after every read that saw no change up
 * to `maxMs`, and goes back to `firstMs` after a read that saw one. Given only `firstMs`, it is
 * the fixed interval callers asked for before the back-off existed.
 *
 * @example
 * const backoff = createPollBackoff();
 * backoff.next(true); // 100
 * backoff.next(false); // 150, then 225, 338, 506, 759, 1139, 1500, 1500, ...
 */
export function createPollBackoff(opts: PollBackoffOptions = {}): PollBackoff {
  const firstMs = opts.firstMs ?? STATUS_BACKOFF.firstMs;
  const maxMs = Math.max(
    firstMs,
    opts.maxMs ?? (opts.firstMs === undefined ? STATUS_BACKOFF.maxMs : firstMs),
  );
  const factor = opts.factor ?? STATUS_BACKOFF.factor;
  if (!(firstMs > 0) || !(factor >= 1))
    throw new Error(`poll back-off needs firstMs > 0 and factor >= 1, got ${firstMs} and ${factor}`);
  let delay = firstMs;
  return {
    next(changed) {
      delay = changed ? firstMs : Math.min(maxMs, Math.round(delay * factor));
      return delay;
    },
  };
}
