/**
 * Test helpers that read an emitted ASL definition back: which steps are guaranteed complete before
 * each Task starts, which steps can run concurrently, and a run on the local executor.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import { parseWorkflow } from '../../../infra/workflow/index.ts';
import type { WorkflowSpec } from '../../../infra/workflow/types.ts';

type Json = Record<string, unknown>;
interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Catch?: { Next: string }[];
  Branches?: { StartAt: string; States: Record<string, AslState> }[];
  ResultSelector?: Record<string, string>;
  Choices?: { Next: string }[];
  Default?: string;
}

/** Where a state can go next: Next, its Catch targets, a Choice's rules and Default. */
function successors(state: AslState | undefined): string[] {
  return [
    ...(state?.Catch ?? []).map((c) => c.Next),
    ...(state?.Choices ?? []).map((c) => c.Next),
    ...(state?.Default ? [state.Default] : []),
    ...(state?.Next ? [state.Next] : []),
  ];
}

/** What a definition guarantees. */
export interface Analysis {
  /** Step -> steps guaranteed complete (result at `$.steps`) before its Task starts. */
  before: Map<string, Set<string>>;
  /** `a|b` (sorted) for every pair of steps that sit in different branches of one Parallel. */
  concurrent: Set<string>;
  /** Every Parallel state: its name and the steps of each branch. */
  parallels: { name: string; branches: string[][] }[];
  /** Task state names in the order met. */
  tasks: string[];
}

/** Walks a definition (all nesting levels). */
export function analyze(definition: Json): Analysis {
  const analysis: Analysis = { before: new Map(), concurrent: new Set(), parallels: [], tasks: [] };
  walk(definition.StartAt as string, definition.States as Record<string, AslState>, new Set(), analysis);
  return analysis;
}

/** Returns the steps guaranteed complete when the (sub)machine ends. */
function walk(
  startAt: string,
  states: Record<string, AslState>,
  entry: Set<string>,
  out: Analysis,
): Set<string> {
  const order = topological(startAt, states);
  const incoming = new Map<string, Set<string>[]>([[startAt, [entry]]]);
  const ends: Set<string>[] = [];
  for (const name of order) {
    const state = states[name];
    if (!state) throw new Error(`missing state ${name}`);
    const inputs = incoming.get(name) ?? [];
    const done = intersect(inputs);
    let result: Set<string>;
    if (state.Type === 'Task') {
      out.before.set(name, done);
      out.tasks.push(name);
      result = new Set([...done, name]);
    } else if (state.Type === 'Pass' && name.endsWith(' (fallback)')) {
      result = new Set([...done, name.replace(/ \(fallback\)$/, '')]);
    } else if (state.Type === 'Parallel') {
      const branchSteps: string[][] = [];
      result = new Set(done);
      for (const branch of state.Branches ?? []) {
        const tasksBefore = out.tasks.length;
        for (const s of walk(branch.StartAt, branch.States, done, out)) result.add(s);
        branchSteps.push(out.tasks.slice(tasksBefore));
      }
      out.parallels.push({ name, branches: branchSteps });
      branchSteps.forEach((a, i) => {
        branchSteps.slice(i + 1).forEach((b) => {
          for (const x of a) for (const y of b) out.concurrent.add(pairKey(x, y));
        });
      });
    } else {
      result = done;
    }
    const catchNexts = state.Type === 'Task' ? (state.Catch ?? []).map((c) => c.Next) : [];
    // A caught failure reaches the fallback without the step's own result.
    for (const next of catchNexts) push(incoming, next, done);
    // A Choice passes on what was done before it, whichever way it goes.
    for (const next of [
      ...(state.Choices ?? []).map((c) => c.Next),
      ...(state.Default ? [state.Default] : []),
    ])
      push(incoming, next, done);
    if (state.Next) push(incoming, state.Next, result);
    if (state.End) ends.push(result);
  }
  return intersect(ends);
}

function push(map: Map<string, Set<string>[]>, key: string, value: Set<string>): void {
  map.set(key, [...(map.get(key) ?? []), value]);
}

function intersect(sets: Set<string>[]): Set<string> {
  const [first, ...rest] = sets;
  if (!first) return new Set();
  return new Set([...first].filter((x) => rest.every((s) => s.has(x))));
}

function topological(startAt: string, states: Record<string, AslState>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const s = states[name];
    for (const next of successors(s)) visit(next);
    order.unshift(name);
  };
  visit(startAt);
  return order;
}

/** Canonical key of an unordered pair. */
export function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** Every pair of steps where neither depends (transitively) on the other. */
export function independentPairs(spec: WorkflowSpec): Set<string> {
  const deps = new Map(spec.steps.map((s) => [s.name, s.dependsOn]));
  const ancestors = new Map<string, Set<string>>();
  const anc = (name: string): Set<string> => {
    const known = ancestors.get(name);
    if (known) return known;
    const set = new Set<string>();
    for (const d of deps.get(name) ?? []) {
      set.add(d);
      for (const a of anc(d)) set.add(a);
    }
    ancestors.set(name, set);
    return set;
  };
  const pairs = new Set<string>();
  spec.steps.forEach((a, i) => {
    for (const b of spec.steps.slice(i + 1)) {
      if (!anc(a.name).has(b.name) && !anc(b.name).has(a.name)) pairs.add(pairKey(a.name, b.name));
    }
  });
  return pairs;
}

/** YAML of a workflow whose steps have the given dependencies (in insertion order). */
export function dagYaml(name: string, deps: Record<string, string[]>, stepExtra = ''): string {
  const steps = Object.entries(deps).map(
    ([step, on]) =>
      `  - name: ${step}\n${on.length > 0 ? `    depends_on_steps: [${on.join(', ')}]\n` : ''}${stepExtra}`,
  );
  return `name: ${name}\nnamespace_name: tests\nversion: 1.0.0\nstep_templates:\n${steps.join('')}`;
}

/** Parses a DAG workflow given as a dependency map. */
export function dagSpec(name: string, deps: Record<string, string[]>): WorkflowSpec {
  return parseWorkflow(dagYaml(name, deps), `${name}.yaml`);
}

/** One recorded Task invocation on the local executor. */
export interface Invocation {
  step: string;
  /** The Task's payload as the step Lambda received it (its `.$` keys resolved). */
  payload: unknown;
  seenSteps: string[];
  start: number;
  end: number;
}

/**
 * Runs a definition on aws-local-stepfunctions with stub handlers (keyed by Task state name) that
 * record when they ran and which earlier results they saw, so tests can prove ordering and merging.
 * `failures[step]` lists error names the stub throws on its successive calls before succeeding.
 * Retry waits are overridden to 0 ms (the definition's intervals are asserted separately).
 */
export async function runLocally(
  definition: Json,
  options: {
    failures?: Record<string, string[]>;
    input?: Json;
    invocations?: Invocation[];
    /** What a step's stub returns (default `{ step, correlation_id }`). */
    results?: Record<string, Json>;
  } = {},
): Promise<{ output: Json; invocations: Invocation[] }> {
  const analysis = analyze(definition);
  // Callers expecting a failed execution pass their own array to inspect the calls afterwards.
  const invocations: Invocation[] = options.invocations ?? [];
  let clock = 0;
  const handlers = Object.fromEntries(
    analysis.tasks.map((step) => [
      step,
      async (input: unknown): Promise<Json> => {
        const payload = input as { state?: { steps?: Json } };
        const record: Invocation = {
          step,
          payload: input,
          seenSteps: Object.keys(payload.state?.steps ?? {}),
          start: clock++,
          end: -1,
        };
        invocations.push(record);
        await new Promise((resolve) => setTimeout(resolve, 1));
        record.end = clock++;
        const failure = options.failures?.[step]?.shift();
        if (failure !== undefined) {
          const error = new Error(`${step} failed on purpose (${failure})`);
          error.name = failure;
          throw error;
        }
        return options.results?.[step] ?? { step, correlation_id: 'corr-1' };
      },
    ]),
  );
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
  const execution = machine.run((options.input ?? { correlation_id: 'corr-1' }) as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      retryIntervalOverrides: Object.fromEntries(analysis.tasks.map((t) => [t, 0])),
    },
    context: { Execution: { Id: 'exec-1' }, State: { RetryCount: 0 } } as never,
  });
  const output = (await execution.result) as Json;
  return { output, invocations };
}
