/** Summary statistics for benchmark samples: medians with min–max, as BENCHMARKS.md reports them. */

/** Median, min and max of a sample set. */
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/**
 * The median (mean of the two middle values for an even count), min and max.
 *
 * @throws Error when `samples` is empty or holds a non-finite number
 */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const bad = samples.find((x) => !Number.isFinite(x));
  if (bad !== undefined) throw new Error(`summarize: sample ${bad} is not a finite number`);
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { n: sorted.length, median, min: sorted[0]!, max: sorted.at(-1)! };
}

/** Rounds to `digits` decimals, without trailing zeros noise (`12.30` -> `12.3`). */
export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * `412 (398–455)`: median with the range, in the given precision.
 * @param digits decimals @default 0
 */
export function formatSummary(summary: Summary, digits = 0): string {
  const f = (x: number): string => x.toFixed(digits);
  return `${f(summary.median)} (${f(summary.min)}–${f(summary.max)})`;
}

/** Element-wise ratio of paired samples (`a[i] / b[i]`), for ratios measured side by side. */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error(`pairedRatios: ${a.length} samples vs ${b.length}`);
  return a.map((x, i) => x / b[i]!);
}

/** A Markdown table; cells are stringified as given. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  const line = (cells: readonly unknown[]): string => `| ${cells.map((c) => String(c)).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
