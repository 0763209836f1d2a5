/**
 * The compiled shape: an ASL definition (as `renderDefinition` returns it, or DescribeStateMachine's
 * `definition` parsed) as nodes, Parallel groups with their branches, and transitions. Drawn next
 * to the true graph it shows where the compiler serialized steps: in the "N" shape (a->c, b->c,
 * b->d) the compiled Parallels make d wait for a, an edge the YAML never asked for.
 */
import type { DrawEdge, DrawGraph, DrawGroup, DrawNode } from './model.ts';

/** The part of ASL this reads; anything else in a state is ignored. */
interface AslMachine {
  readonly StartAt?: unknown;
  readonly States?: unknown;
}

interface AslState {
  readonly Type?: unknown;
  readonly Next?: unknown;
  readonly End?: unknown;
  readonly Default?: unknown;
  readonly Catch?: unknown;
  readonly Choices?: unknown;
  readonly Branches?: unknown;
}

/** Where control enters a state and where it leaves it (a Parallel: its branches' ends). */
interface Ends {
  readonly entries: string[];
  readonly exits: string[];
}

const FALLBACK_SUFFIX = ' (fallback)';
const TERMINAL_TYPES = new Set(['Succeed', 'Fail']);

/**
 * Draws an ASL definition: each non-Parallel state is a node (`data-step` = the state name),
 * each Parallel a group holding its branches (a branch of more than one state gets a group of
 * its own), a transition into a Parallel goes to every branch's first state and every branch's
 * last state goes on to the Parallel's `Next`. Catch transitions are `catch` edges.
 *
 * @throws Error when the definition has no `StartAt`/`States` (not an ASL definition)
 */
export function compiledDrawGraph(definition: unknown, title = 'compiled'): DrawGraph {
  const nodes: DrawNode[] = [];
  const groups: DrawGroup[] = [];
  const edges = new Map<string, DrawEdge>();
  const edge = (from: string, to: string, kind: DrawEdge['kind']): void => {
    edges.set(`${from}\u0000${to}\u0000${kind}`, { from, to, kind });
  };

  const machine = (asl: unknown, group: string | undefined, where: string): Ends => {
    const { StartAt, States } = (asl ?? {}) as AslMachine;
    if (typeof StartAt !== 'string' || typeof States !== 'object' || States === null) {
      throw new Error(`${where} is not an ASL state machine (it needs StartAt and States)`);
    }
    const states = States as Record<string, AslState>;
    const memo = new Map<string, Ends>();
    const ends = (name: string): Ends => {
      const known = memo.get(name);
      if (known) return known;
      const state = states[name];
      if (!state) throw new Error(`${where}: transition to unknown state '${name}'`);
      const built = state.Type === 'Parallel' ? parallel(name, state, group) : leaf(name, state, group);
      memo.set(name, built);
      return built;
    };
    const link = (from: string, to: unknown, kind: DrawEdge['kind']): void => {
      if (typeof to !== 'string') return;
      for (const exit of ends(from).exits) for (const entry of ends(to).entries) edge(exit, entry, kind);
    };
    const exits: string[] = [];
    for (const [name, state] of Object.entries(states)) {
      ends(name);
      link(name, state.Next, 'next');
      link(name, state.Default, 'next');
      for (const choice of listOf(state.Choices)) link(name, (choice as AslState).Next, 'next');
      for (const handler of listOf(state.Catch)) link(name, (handler as AslState).Next, 'catch');
      if (state.End === true || TERMINAL_TYPES.has(String(state.Type))) exits.push(...ends(name).exits);
    }
    return { entries: ends(StartAt).entries, exits };
  };

  const leaf = (name: string, state: AslState, group: string | undefined): Ends => {
    const type = String(state.Type ?? 'State');
    const fallback = type === 'Pass' && name.endsWith(FALLBACK_SUFFIX);
    nodes.push({
      id: name,
      step: name,
      lines: [fallback ? 'Pass · fallback' : type],
      status: 'pending',
      kind: fallback ? 'fallback' : 'state',
      ...(group === undefined ? {} : { group }),
    });
    return { entries: [name], exits: [name] };
  };

  const parallel = (name: string, state: AslState, parent: string | undefined): Ends => {
    const id = `parallel:${name}`;
    groups.push({ id, label: name, kind: 'parallel', ...(parent === undefined ? {} : { parent }) });
    const entries: string[] = [];
    const exits: string[] = [];
    listOf(state.Branches).forEach((branch, index) => {
      const size = Object.keys(((branch as AslMachine).States ?? {}) as object).length;
      let inner = id;
      if (size > 1) {
        inner = `${id}/branch:${index}`;
        groups.push({ id: inner, label: `branch ${index + 1}`, kind: 'branch', parent: id });
      }
      const built = machine(branch, inner, `${name} branch ${index + 1}`);
      entries.push(...built.entries);
      exits.push(...built.exits);
    });
    return { entries, exits };
  };

  machine(definition, undefined, 'the definition');
  return { title, nodes, groups, edges: [...edges.values()] };
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
