/**
 * A compact JSON form of a {@link WorkflowGraph}, small enough for a Lambda environment variable
 * (Lambda allows 4 KB for all of them): `{"w":"<workflow>","s":[["<step>",["<dep>",...],"<flags>"],...]}`
 * where flags holds `f` (on_failure: continue), `r` (honor_retry_after) and `h` (HTTP step).
 */
import { ENV } from '../contracts.ts';
import type { GraphStep, WorkflowGraph } from './model.ts';

/** The environment variable a status function reads the graph from (`ENV.workflowGraph`). */
export const WORKFLOW_GRAPH_ENV = ENV.workflowGraph;

/** The compact JSON text of `graph` (about 40 bytes per step plus its dependency names). */
export function serializeWorkflowGraph(graph: WorkflowGraph): string {
  const flags = (step: GraphStep): string =>
    `${step.fallback ? 'f' : ''}${step.honorRetryAfter ? 'r' : ''}${step.http ? 'h' : ''}`;
  return JSON.stringify({
    w: graph.workflow,
    s: graph.steps.map((step) => [step.name, step.dependsOn, flags(step)]),
  });
}

/**
 * Reads the text {@link serializeWorkflowGraph} wrote.
 *
 * @throws Error naming what is malformed (a deployment bug, so it should be loud)
 */
export function parseWorkflowGraph(text: string): WorkflowGraph {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('workflow graph is not JSON');
  }
  const { w, s } = (parsed ?? {}) as { w?: unknown; s?: unknown };
  if (typeof w !== 'string' || !Array.isArray(s)) {
    throw new Error('workflow graph needs "w" (workflow name) and "s" (steps)');
  }
  const steps = s.map((entry, index): GraphStep => {
    const [name, deps, flags] = Array.isArray(entry) ? entry : [];
    const names = Array.isArray(deps) && deps.every((d) => typeof d === 'string');
    if (typeof name !== 'string' || !names || typeof flags !== 'string') {
      throw new Error(`workflow graph step ${index} must be [name, [dependencies], flags]`);
    }
    return {
      name,
      dependsOn: deps as string[],
      fallback: flags.includes('f'),
      honorRetryAfter: flags.includes('r'),
      http: flags.includes('h'),
    };
  });
  return { workflow: w, steps };
}
