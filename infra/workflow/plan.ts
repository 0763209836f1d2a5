/**
 * Dependency graph -> execution plan: a tree of sequences and parallel groups that Step Functions
 * can run (Parallel states need a series-parallel shape). The decomposition is exact for
 * series-parallel graphs. Where a part is not series-parallel (the "N": a->c, b->c, b->d), it is
 * split by levels and each side decomposed again; see docs/workflow-format.md for the worst case.
 */
import { stageRan } from './stage-events.ts';

/** A node of the plan: one step, steps in order, or branches run concurrently. */
export type Plan =
  | { kind: 'step'; name: string }
  | { kind: 'sequence'; items: Plan[] }
  | { kind: 'parallel'; branches: Plan[] };

/** The dependency graph the planner works on: step names in file order and each one's dependencies. */
export interface StepGraph {
  names: readonly string[];
  dependsOn(name: string): readonly string[];
}

/**
 * Builds the plan for an acyclic graph (the loader has rejected cycles and unknown names).
 * Steps keep file order inside each group, so the output is deterministic.
 */
export function planWorkflow(graph: StepGraph): Plan {
  stageRan('plan');
  const index = new Map(graph.names.map((name, i) => [name, i]));
  const deps = graph.names.map((name) =>
    graph.dependsOn(name).flatMap((dep) => {
      const d = index.get(dep);
      return d === undefined ? [] : [d];
    }),
  );
  // ancestors[i]: bit set of every step that must finish before step i (transitive closure).
  const ancestors: bigint[] = new Array<bigint>(graph.names.length).fill(0n);
  for (const i of topologicalOrder(deps)) {
    for (const d of deps[i] ?? [])
      ancestors[i] = (ancestors[i] ?? 0n) | (1n << BigInt(d)) | (ancestors[d] ?? 0n);
  }
  return decompose(
    graph.names.map((_, i) => i),
    { names: graph.names, deps, ancestors },
    0,
  );
}

/**
 * Deepest nesting of Parallel states the planner emits. CDK resolves definitions at most 200 JSON
 * levels deep and each nested Parallel costs 4 (`States/<name>/Branches/<i>`); deeper parts are
 * planned level by level instead (see `levelPlan`).
 */
export const MAX_PARALLEL_DEPTH = 24;

interface Context {
  names: readonly string[];
  deps: number[][];
  ancestors: bigint[];
}

function bitsOf(nodes: readonly number[]): bigint {
  let set = 0n;
  for (const i of nodes) set |= 1n << BigInt(i);
  return set;
}

function popCount(set: bigint): number {
  let count = 0;
  for (const digit of set.toString(2)) if (digit === '1') count++;
  return count;
}

/**
 * `nodes` is sorted (file order) and convex: every step between two members is a member.
 * `depth` counts the Parallel states this part is nested in.
 */
function decompose(nodes: number[], ctx: Context, depth: number): Plan {
  if (nodes.length === 1) return { kind: 'step', name: ctx.names[nodes[0] ?? 0] ?? '' };
  if (depth >= MAX_PARALLEL_DEPTH - 1) return levelPlan(nodes, ctx);
  const components = weakComponents(nodes, ctx);
  if (components.length > 1) {
    return { kind: 'parallel', branches: components.map((c) => decompose(c, ctx, depth + 1)) };
  }
  const set = bitsOf(nodes);
  const cut = seriesCut(nodes, set, ctx) ?? levelCut(nodes, set, ctx);
  const first = nodes.filter((i) => ((cut >> BigInt(i)) & 1n) === 1n);
  const rest = nodes.filter((i) => ((cut >> BigInt(i)) & 1n) === 0n);
  return sequence([decompose(first, ctx, depth), decompose(rest, ctx, depth)]);
}

/** Flat plan at the nesting limit: each level (longest dependency chain) runs as one group. */
function levelPlan(nodes: number[], ctx: Context): Plan {
  const set = bitsOf(nodes);
  const level = new Map<number, number>();
  const levelOf = (i: number): number => {
    const known = level.get(i);
    if (known !== undefined) return known;
    const inside = (ctx.deps[i] ?? []).filter((d) => ((set >> BigInt(d)) & 1n) === 1n);
    const value = Math.max(-1, ...inside.map(levelOf)) + 1;
    level.set(i, value);
    return value;
  };
  const groups: number[][] = [];
  for (const i of nodes) {
    const l = levelOf(i);
    groups[l] = [...(groups[l] ?? []), i];
  }
  const step = (i: number): Plan => ({ kind: 'step', name: ctx.names[i] ?? '' });
  return sequence(
    groups.map((g) => (g.length === 1 ? step(g[0] ?? 0) : { kind: 'parallel', branches: g.map(step) })),
  );
}

function sequence(items: Plan[]): Plan {
  return { kind: 'sequence', items: items.flatMap((p) => (p.kind === 'sequence' ? p.items : [p])) };
}

/**
 * Connected components when dependency direction is ignored, each in file order, ordered by their
 * first step. Direct dependencies suffice because the node sets are convex.
 */
function weakComponents(nodes: number[], ctx: Context): number[][] {
  const member = new Set(nodes);
  const parent = new Map(nodes.map((i) => [i, i]));
  const find = (i: number): number => {
    let root = i;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    parent.set(i, root);
    return root;
  };
  for (const i of nodes) {
    for (const d of ctx.deps[i] ?? []) if (member.has(d)) parent.set(find(i), find(d));
  }
  const groups = new Map<number, number[]>();
  for (const i of nodes) {
    const root = find(i);
    const group = groups.get(root);
    if (group) group.push(i);
    else groups.set(root, [i]);
  }
  return [...groups.values()];
}

/**
 * The smallest lossless series cut: a set A, closed under dependencies, such that every other step
 * depends (transitively) on all of A, so running A and then the rest adds no waiting. Any such A
 * is the ancestor set of a step just after the cut, so those are the only candidates.
 */
function seriesCut(nodes: number[], set: bigint, ctx: Context): bigint | undefined {
  const candidates = nodes
    .map((m) => (ctx.ancestors[m] ?? 0n) & set)
    .filter((a) => a !== 0n)
    .map((a) => ({ a, size: popCount(a) }))
    .sort((x, y) => x.size - y.size);
  for (const { a } of candidates) {
    const ok = nodes.every((b) => ((a >> BigInt(b)) & 1n) === 1n || ((ctx.ancestors[b] ?? 0n) & a) === a);
    if (ok) return a;
  }
  return undefined;
}

/**
 * Lossy cut for a part that is neither a sequence nor a parallel group: the steps with no
 * dependency inside the part (level 0) run first, concurrently; the rest follows and is
 * decomposed again. With equal step durations this adds no time; otherwise a step can wait for
 * an unrelated level-0 step (the documented worst case).
 */
function levelCut(nodes: number[], set: bigint, ctx: Context): bigint {
  let cut = 0n;
  for (const i of nodes) if (((ctx.ancestors[i] ?? 0n) & set) === 0n) cut |= 1n << BigInt(i);
  return cut;
}

function topologicalOrder(deps: number[][]): number[] {
  const order: number[] = [];
  const done = new Set<number>();
  const visit = (i: number): void => {
    if (done.has(i)) return;
    done.add(i);
    for (const d of deps[i] ?? []) visit(d);
    order.push(i);
  };
  deps.forEach((_, i) => {
    visit(i);
  });
  return order;
}

/** Every step name in a plan, in plan order. */
export function planSteps(plan: Plan): string[] {
  if (plan.kind === 'step') return [plan.name];
  if (plan.kind === 'sequence') return plan.items.flatMap(planSteps);
  return plan.branches.flatMap(planSteps);
}

/**
 * Time the plan takes when each step takes `duration(step)`: sequences add, parallel groups take
 * their slowest branch. Returns the steps on that longest route too.
 */
export function planMakespan(
  plan: Plan,
  duration: (step: string) => number,
): { seconds: number; path: string[] } {
  if (plan.kind === 'step') return { seconds: duration(plan.name), path: [plan.name] };
  if (plan.kind === 'sequence') {
    const parts = plan.items.map((p) => planMakespan(p, duration));
    return { seconds: parts.reduce((sum, p) => sum + p.seconds, 0), path: parts.flatMap((p) => p.path) };
  }
  const parts = plan.branches.map((p) => planMakespan(p, duration));
  return parts.reduce((a, b) => (b.seconds > a.seconds ? b : a));
}

/** Longest dependency chain when each step takes `duration(step)`: the lower bound of any plan. */
export function criticalPath(graph: StepGraph, duration: (step: string) => number): number {
  const finish = new Map<string, number>();
  const visit = (name: string): number => {
    const known = finish.get(name);
    if (known !== undefined) return known;
    const start = Math.max(0, ...graph.dependsOn(name).map(visit));
    const end = start + duration(name);
    finish.set(name, end);
    return end;
  };
  return Math.max(0, ...graph.names.map(visit));
}
