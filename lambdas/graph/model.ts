/**
 * The plain graph model shared by the graph command, the local console and the status Lambda.
 * Zero imports: the status Lambda bundles it, and infra/ and local/ build on it.
 */

/** One step of a workflow's true dependency graph (the YAML's `depends_on`, not the compiled ASL). */
export interface GraphStep {
  readonly name: string;
  /** The steps this one waits for, in file order. */
  readonly dependsOn: readonly string[];
  /** `on_failure: continue`: a final failure uses the YAML `fallback` and the workflow goes on. */
  readonly fallback: boolean;
  /** `honor_retry_after`: retries wait at least the service's `Retry-After`. */
  readonly honorRetryAfter: boolean;
  /** A declarative HTTP step (`handler_config.request` is set) rather than a handler module. */
  readonly http: boolean;
}

/** A workflow's true dependency graph: its steps in file order. */
export interface WorkflowGraph {
  readonly workflow: string;
  readonly steps: readonly GraphStep[];
}

/** A node to draw. `step` is what `data-step` carries: the step name, or the state name in ASL shapes. */
export interface DrawNode {
  /** Unique within the graph; renderers map it to a safe identifier of their own. */
  readonly id: string;
  readonly step: string;
  /** Extra label lines under the name (markers such as `fallback · Retry-After`, a state's type). */
  readonly lines: readonly string[];
  /** The live line under them (attempts and duration), which the console updates in place. @default none */
  readonly detail?: string;
  /** A step status (see palette.ts); `pending` when nothing ran. */
  readonly status: string;
  /** `state`: a compiled Task or other state; `fallback`: a compiled `<step> (fallback)` Pass. */
  readonly kind: 'step' | 'state' | 'fallback';
  /** Id of the innermost group holding the node. @default none (top level) */
  readonly group?: string;
}

/** A box around nodes: a compiled Parallel state, or one of its branches. */
export interface DrawGroup {
  readonly id: string;
  readonly label: string;
  readonly kind: 'parallel' | 'branch';
  /** Id of the group holding this one. @default none (top level) */
  readonly parent?: string;
}

/** `dependency`: true graph edge; `next`: compiled transition; `catch`: compiled Catch. */
export interface DrawEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: 'dependency' | 'next' | 'catch';
}

/** What every renderer (Mermaid, DOT, SVG) draws. */
export interface DrawGraph {
  readonly title: string;
  readonly nodes: readonly DrawNode[];
  readonly groups: readonly DrawGroup[];
  readonly edges: readonly DrawEdge[];
}

/**
 * A step's live state as `GET /<resource>/{id}` reports it (`steps[]` of the status document):
 * only these fields are read, so the document can be passed as it is.
 */
export interface StepState {
  readonly name: string;
  readonly status: string;
  /** Lambda invocations so far (1 = no retry). */
  readonly attempts?: number;
  readonly duration_ms?: number | null;
}

/** The marker words drawn under a step's name, in a fixed order. */
export function stepMarkers(step: GraphStep): string[] {
  return [
    ...(step.fallback ? ['fallback'] : []),
    ...(step.honorRetryAfter ? ['Retry-After'] : []),
    ...(step.http ? ['HTTP'] : []),
  ];
}

/** `1 attempt · 90 ms`, `4 attempts · 3.8 s`: the live line of a node. */
export function attemptsLine(state: StepState): string {
  const attempts = state.attempts ?? 0;
  const parts = [`${attempts} attempt${attempts === 1 ? '' : 's'}`];
  if (typeof state.duration_ms === 'number') parts.push(formatDuration(state.duration_ms));
  return parts.join(' · ');
}

/** 90 ms, 1.2 s, 2 min 5 s: short enough for a node label. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * The true graph as nodes and edges to draw. With `states` (the status document's `steps`),
 * each node takes its step's status and an attempts/duration line; steps absent from `states`
 * are `pending`.
 *
 * @default states none (every node `pending`, no attempts line)
 */
export function workflowDrawGraph(graph: WorkflowGraph, states?: readonly StepState[]): DrawGraph {
  const byName = new Map((states ?? []).map((state) => [state.name, state]));
  const known = new Set(graph.steps.map((step) => step.name));
  return {
    title: graph.workflow,
    nodes: graph.steps.map((step) => {
      const state = byName.get(step.name);
      const lines = stepMarkers(step);
      const markers = lines.length > 0 ? [lines.join(' · ')] : [];
      return {
        id: step.name,
        step: step.name,
        kind: 'step',
        status: state?.status ?? 'pending',
        lines: markers,
        ...(states ? { detail: attemptsLine(state ?? { name: step.name, status: 'pending' }) } : {}),
      };
    }),
    groups: [],
    edges: graph.steps.flatMap((step) =>
      step.dependsOn
        .filter((dep) => known.has(dep))
        .map((dep) => ({ from: dep, to: step.name, kind: 'dependency' as const })),
    ),
  };
}

/** Every text line of a node's label: its name, its lines, then its live detail. */
export function labelLines(node: DrawNode): string[] {
  return [node.step, ...node.lines, ...(node.detail === undefined ? [] : [node.detail])];
}
