/**
 * Compiler-style diagnostics: every problem in a workflow file is reported as `file:line: message`
 * (`file:line:col:` for YAML syntax errors), all of them at once, and never with a stack trace.
 */

/** One problem found in a workflow file. `message` already names the step and field and suggests the fix. */
export interface Diagnostic {
  file: string;
  line: number;
  column?: number;
  message: string;
}

/** Thrown by the loader and compiler with every diagnostic found (not just the first). */
export class WorkflowError extends Error {
  override readonly name = 'WorkflowError';
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.diagnostics = diagnostics;
  }
}

/**
 * Renders a diagnostic the way compilers do, so editors and terminals can jump to it.
 *
 * @example formatDiagnostic({ file: 'config/x.yaml', line: 23, message: "step 'a' depends on unknown step 'b'" })
 * // "config/x.yaml:23: step 'a' depends on unknown step 'b'"
 */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.column === undefined ? `${d.file}:${d.line}` : `${d.file}:${d.line}:${d.column}`;
  return `${where}: ${d.message}`;
}

/**
 * Renders a warning (reported, not fatal): `config/x.yaml:12: warning: step 'a' ...`.
 */
export function formatWarning(d: Diagnostic): string {
  return formatDiagnostic({ ...d, message: `warning: ${d.message}` });
}

/** Sorts diagnostics by file, then line, so output reads top to bottom like the file. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || (a.column ?? 0) - (b.column ?? 0),
  );
}

/**
 * Runs a command-line entry point: a `WorkflowError` prints each diagnostic on its own stderr line,
 * any other error prints only its message (users get no stack trace); both exit with code 1.
 */
export function runOrExit<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof WorkflowError) {
      for (const d of error.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`error: ${message}\n`);
    }
    process.exit(1);
  }
}

/** Edit distance counting a swap of two neighbouring letters as one edit (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const above = rows[i - 1] ?? [];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((above[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (above[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
}

/**
 * Distance from `needle` to the closest substring of `haystack` (Sellers' algorithm), so a
 * fragment such as 'biling' still finds 'setup_billing_profile'.
 */
function substringDistance(needle: string, haystack: string): number {
  let previous = Array.from({ length: haystack.length + 1 }, () => 0);
  for (let i = 1; i <= needle.length; i++) {
    const current = [i];
    for (let j = 1; j <= haystack.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (needle[i - 1] === haystack[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return Math.min(...previous);
}

/**
 * The candidate the user most likely meant, or undefined when none is close: a whole-name typo
 * (edit distance <= a third of the length) wins over a fragment of a longer name.
 */
export function closestMatch(wanted: string, candidates: Iterable<string>): string | undefined {
  const needle = wanted.toLowerCase();
  const budget = Math.max(1, Math.floor(needle.length / 3));
  let best: { name: string; score: number } | undefined;
  for (const name of candidates) {
    const hay = name.toLowerCase();
    if (hay === needle) return name;
    const whole = editDistance(needle, hay);
    let score = whole <= budget ? whole : Number.POSITIVE_INFINITY;
    if (score === Number.POSITIVE_INFINITY && needle.length >= 4) {
      const partial = substringDistance(needle, hay);
      // Fragments rank after whole-name typos of the same distance.
      if (partial <= Math.max(1, Math.floor(needle.length / 4))) score = partial + 0.5;
    }
    if (score < (best?.score ?? Number.POSITIVE_INFINITY)) best = { name, score };
  }
  return best?.name;
}

/** ` (did you mean 'x'?)` or an empty string. */
export function didYouMean(wanted: string, candidates: Iterable<string>): string {
  const match = closestMatch(wanted, candidates);
  return match === undefined ? '' : ` (did you mean '${match}'?)`;
}
