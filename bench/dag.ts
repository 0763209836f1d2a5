/**
 * Seeded random workflow graphs for the compiler-scaling benchmark, and the two timings the
 * "lost concurrency" figure compares: the dependency graph's critical path (the lower bound of
 * any schedule) and the makespan of the compiled ASL (Parallel waits for its slowest branch).
 */
import { stringify } from 'yaml';
import { mulberry32 } from '../local/simulators/prng.ts';

/** A workflow graph: step names in file order and each step's dependencies (earlier steps only). */
export interface Dag {
  readonly names: readonly string[];
  readonly deps: ReadonlyMap<string, readonly string[]>;
}

/** Shapes the generator makes: series-parallel (exact for Parallel states) or arbitrary. */
export type DagShape = 'series-parallel' | 'general';

/** Options of {@link randomDag}. */
export interface RandomDagOptions {
  readonly steps: number;
  readonly seed: number;
  readonly shape: DagShape;
  /**
   * Step names: `padded` (`s0001`) or `short` (`a`, `b`, ... `a0`).
   * @default 'padded'
   */
  readonly naming?: 'padded' | 'short';
  /**
   * `general` only: each step depends on up to this many of the `window` steps before it.
   * @default 3
   */
  readonly maxDeps?: number;
  /**
   * `general` only: how far back a dependency may reach; a small window keeps the graph deep.
   * @default 8
   */
  readonly window?: number;
}

/** `s0001`: zero-padded so file order and name order agree. */
export function stepName(index: number): string {
  return `s${String(index + 1).padStart(4, '0')}`;
}

/**
 * `a`..`z`, then `a0`..`z9`, `aa`..: the shortest valid step names. The stack lists every step
 * name in the status function's environment (4 KB at most), so big workflows need short names.
 */
export function shortStepName(index: number): string {
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz';
  if (index < 26) return digits[10 + index]!;
  const rest = index - 26;
  return `${digits[10 + (Math.floor(rest / 36) % 26)]}${digits[rest % 36]}${rest >= 26 * 36 ? Math.floor(rest / (26 * 36)) : ''}`;
}

/**
 * A random DAG from a fixed seed. `series-parallel` composes random series and parallel splits
 * recursively (every such graph compiles to Parallel states without loss); `general` draws each
 * step's dependencies from a window of earlier steps, which yields "N" shapes (a->c, b->c, b->d)
 * that no nesting of Parallel states can express exactly.
 */
export function randomDag(opts: RandomDagOptions): Dag {
  if (!Number.isInteger(opts.steps) || opts.steps < 1)
    throw new Error(`randomDag: steps must be a positive integer, got ${opts.steps}`);
  const random = mulberry32(opts.seed);
  const name = opts.naming === 'short' ? shortStepName : stepName;
  const names = Array.from({ length: opts.steps }, (_, i) => name(i));
  const deps = new Map<string, string[]>(names.map((name) => [name, []]));
  if (opts.shape === 'general') {
    const maxDeps = opts.maxDeps ?? 3;
    const window = opts.window ?? 8;
    for (let i = 1; i < names.length; i++) {
      const count = 1 + Math.floor(random() * maxDeps);
      const chosen = new Set<number>();
      for (let k = 0; k < count; k++) chosen.add(Math.max(0, i - 1 - Math.floor(random() * window)));
      deps.set(
        names[i]!,
        [...chosen].sort((a, b) => a - b).map((d) => names[d]!),
      );
    }
    return { names, deps };
  }
  // Series-parallel: build over index ranges so steps stay in a valid file (topological) order.
  const compose = (from: number, to: number): { sources: number[]; sinks: number[] } => {
    const size = to - from;
    if (size === 1) return { sources: [from], sinks: [from] };
    const parts = 2 + Math.floor(random() * Math.min(3, size - 1));
    const cuts = splitRange(from, to, Math.min(parts, size), random);
    const pieces = cuts.map(([a, b]) => compose(a, b));
    if (random() < 0.5) {
      for (let p = 1; p < pieces.length; p++) {
        for (const source of pieces[p]!.sources) {
          const list = deps.get(names[source]!)!;
          for (const sink of pieces[p - 1]!.sinks) list.push(names[sink]!);
        }
      }
      return { sources: pieces[0]!.sources, sinks: pieces.at(-1)!.sinks };
    }
    return { sources: pieces.flatMap((p) => p.sources), sinks: pieces.flatMap((p) => p.sinks) };
  };
  compose(0, names.length);
  for (const [name, list] of deps) deps.set(name, [...new Set(list)].sort());
  return { names, deps };
}

function splitRange(from: number, to: number, parts: number, random: () => number): Array<[number, number]> {
  const points = new Set<number>();
  while (points.size < parts - 1) points.add(from + 1 + Math.floor(random() * (to - from - 1)));
  const sorted = [from, ...[...points].sort((a, b) => a - b), to];
  return sorted.slice(1).map((end, i) => [sorted[i]!, end]);
}

/** Seeded durations in [min, max) seconds per step, for makespan comparisons. */
export function randomDurations(dag: Dag, seed: number, min = 1, max = 10): Map<string, number> {
  const random = mulberry32(seed);
  return new Map(dag.names.map((name) => [name, min + random() * (max - min)]));
}

/**
 * The workflow file for a DAG. Every step points `handler:` at one existing module, because
 * synthesis checks that handler modules exist and random steps have none of their own.
 */
export function dagToYaml(dag: Dag, opts: { name: string; handler: string }): string {
  return stringify({
    name: opts.name,
    namespace_name: 'bench',
    version: '1.0.0',
    description: `Random workflow of ${dag.names.length} steps (benchmark)`,
    execution_type: 'standard',
    step_templates: dag.names.map((name) => {
      const deps = dag.deps.get(name) ?? [];
      return {
        name,
        handler: opts.handler,
        ...(deps.length > 0 ? { depends_on_steps: [...deps] } : {}),
        default_retryable: true,
        default_retry_limit: 2,
        timeout_seconds: 30,
        handler_config: { service: 'user', url: 'https://users.internal.example.com' },
      };
    }),
  });
}

/** Longest dependency chain: no schedule of the DAG can finish sooner. */
export function dagCriticalPath(dag: Dag, duration: (step: string) => number): number {
  const finish = new Map<string, number>();
  for (const name of dag.names) {
    // Names are in topological (file) order, so every dependency is already finished.
    const start = Math.max(0, ...(dag.deps.get(name) ?? []).map((d) => finish.get(d) ?? 0));
    finish.set(name, start + duration(name));
  }
  return Math.max(0, ...finish.values());
}

interface AslState {
  Type?: string;
  Next?: string;
  End?: boolean;
  Branches?: Array<{ StartAt: string; States: Record<string, AslState> }>;
  Parameters?: Record<string, unknown>;
  Default?: string;
}

/**
 * Time the compiled definition takes on the happy path when each Task takes `duration(step)`:
 * states run one after another along `Next`, a Parallel state lasts as long as its slowest branch,
 * every other state takes no time. A Task's step is `Parameters.step` (the payload contract),
 * else its state name.
 */
export function aslMakespan(
  definition: { StartAt: string; States: Record<string, AslState> },
  duration: (step: string) => number,
): number {
  let total = 0;
  let current: string | undefined = definition.StartAt;
  const seen = new Set<string>();
  while (current !== undefined) {
    if (seen.has(current)) throw new Error(`aslMakespan: state '${current}' is visited twice (a loop)`);
    seen.add(current);
    const state: AslState | undefined = definition.States[current];
    if (state === undefined) throw new Error(`aslMakespan: Next names unknown state '${current}'`);
    if (state.Type === 'Task') {
      const step = state.Parameters?.step;
      total += duration(typeof step === 'string' ? step : current);
    } else if (state.Type === 'Parallel') {
      total += Math.max(0, ...(state.Branches ?? []).map((branch) => aslMakespan(branch, duration)));
    }
    current = state.End ? undefined : (state.Next ?? state.Default);
  }
  return total;
}

/** Task states in a definition (all nesting levels): one per step when the compiler is lossless. */
export function countTaskStates(definition: { States: Record<string, AslState> }): number {
  let count = 0;
  for (const state of Object.values(definition.States)) {
    if (state.Type === 'Task') count++;
    for (const branch of state.Branches ?? []) count += countTaskStates(branch);
  }
  return count;
}

/** Deepest nesting of Parallel states (0 for a plain sequence). */
export function parallelDepth(definition: { States: Record<string, AslState> }): number {
  let depth = 0;
  for (const state of Object.values(definition.States)) {
    for (const branch of state.Branches ?? []) depth = Math.max(depth, 1 + parallelDepth(branch));
  }
  return depth;
}
