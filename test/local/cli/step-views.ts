/** Step views and line shapes shared by the CLI's step-line tests. */
import type { StepView } from '../../../local/cli/api-client.ts';

/** A step as the status document reports it; started ones ran 1.2 s. */
export const step = (
  name: string,
  status: string,
  attempts: number,
  extra: Partial<StepView> = {},
): StepView => ({
  name,
  status,
  attempts,
  started_at: attempts > 0 ? '2026-01-01T00:00:00.000Z' : null,
  duration_ms: attempts > 0 ? 1200 : null,
  ...extra,
});

/** The lines with runs of spaces collapsed (the columns' padding is not what is tested). */
export const compact = (lines: readonly string[]): string[] =>
  lines.map((line) => line.replace(/\s+/g, ' ').trim());
