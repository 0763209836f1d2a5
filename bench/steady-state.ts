/**
 * Warm-up until steady state: JIT tier-up needs many calls per function, and each sandbox of the
 * offline runtime gets one call per registration at concurrency 1, so a fixed handful of warm-up
 * registrations leaves the measured batch on a falling curve. Both sides of a ratio are warmed
 * by the same rule. Imports nothing of the project (bench/against.ts loads it beside an old tree).
 */

/** Options of {@link warmUntilSteady}. */
export interface SteadyStateOptions {
  /** Two successive batches within this fraction of each other count as steady. @default 0.05 */
  readonly tolerance?: number;
  /** Batches at most; past them the warm-up stops unsteady (and says so). @default 15 */
  readonly maxBatches?: number;
  /**
   * Batches at least, whatever the figures say (capped at `maxBatches`): two early batches can
   * agree by chance on a curve that is still falling. @default 2
   */
  readonly minBatches?: number;
  /**
   * Asked after each batch: false keeps warming whatever the figures say (e.g. a pool still
   * started sandboxes in that batch). @default always true
   */
  readonly settled?: () => boolean;
}

/** What the warm-up ran. */
export interface SteadyState {
  /** Each warm-up batch's figure (e.g. CPU ms per registration), in order. */
  readonly batches: readonly number[];
  /** Whether the last two agreed within the tolerance. */
  readonly steady: boolean;
}

/** Whether the last two figures agree within `tolerance` of the earlier one. */
export function lastTwoAgree(figures: readonly number[], tolerance: number): boolean {
  const last = figures.at(-1);
  const before = figures.at(-2);
  if (last === undefined || before === undefined || before <= 0) return false;
  return Math.abs(last - before) / before <= tolerance;
}

/**
 * Runs `batch` (which returns its figure, e.g. CPU ms per registration) until two successive
 * figures agree within the tolerance (and `settled` says yes), or `maxBatches` ran.
 *
 * @example
 * const warm = await warmUntilSteady(async () => cpuMsPerRegistration(await run(20)));
 * // warm.batches: [61.2, 48.0, 44.9, 44.1] -> steady after 4 batches
 */
export async function warmUntilSteady(
  batch: () => Promise<number>,
  opts: SteadyStateOptions = {},
): Promise<SteadyState> {
  const tolerance = opts.tolerance ?? 0.05;
  const maxBatches = opts.maxBatches ?? 15;
  const minBatches = Math.min(opts.minBatches ?? 2, maxBatches);
  const batches: number[] = [];
  while (batches.length < maxBatches) {
    batches.push(await batch());
    if (batches.length < minBatches) continue;
    if (lastTwoAgree(batches, tolerance) && (opts.settled?.() ?? true)) return { batches, steady: true };
  }
  return { batches, steady: false };
}

/** `3 batches (61, 48, 47 ms)` or `15 batches, not steady (...)`: the warm-up as the notes print it. */
export function describeWarmUp(warm: SteadyState, unit: string): string {
  const figures = warm.batches.map((x) => x.toFixed(0)).join(', ');
  return `${warm.batches.length} batches${warm.steady ? '' : ', not steady'} (${figures} ${unit})`;
}
