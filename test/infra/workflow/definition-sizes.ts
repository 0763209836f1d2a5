/**
 * Definition size of random general DAGs (issue 14 §3), minified as Step Functions counts it
 * (`renderAnalyzed(...).bytes`: UTF-8, each Lambda ARN at its longest).
 *
 *   node test/infra/workflow/definition-sizes.ts                 # this tree
 *   node test/infra/workflow/definition-sizes.ts --root /tmp/old # another checkout, same DAGs
 *
 * Prints one line per size: steps, bytes, bytes per step, Parallel states, Task states.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** A seeded general DAG: each step depends on 0-3 random steps among the 15 before it. */
export function randomDagYaml(steps: number, seed: number): string {
  let state = seed;
  const random = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const lines = [`name: dag_${steps}`, 'version: 1.0.0', 'step_templates:'];
  for (let i = 0; i < steps; i++) {
    lines.push(`  - name: s${i}`);
    const deps = new Set<string>();
    const count = i === 0 ? 0 : Math.floor(random() * 4);
    for (let d = 0; d < count; d++) deps.add(`s${Math.max(0, i - 1 - Math.floor(random() * 15))}`);
    if (deps.size > 0) lines.push(`    depends_on_steps: [${[...deps].join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

interface Tree {
  parseWorkflow(text: string, file: string): unknown;
  analyzeWorkflow(spec: unknown): unknown;
}
interface Render {
  renderAnalyzed(analyzed: unknown): { definition: Record<string, unknown>; bytes: number };
}

function countStates(list: Record<string, unknown>, type: string): number {
  let n = 0;
  for (const state of Object.values(list.States as Record<string, Record<string, unknown>>)) {
    if (state.Type === type) n++;
    for (const branch of (state.Branches as Record<string, unknown>[] | undefined) ?? [])
      n += countStates(branch, type);
  }
  return n;
}

/** Size of the compiled definition of each DAG, with the given tree's compiler. */
export async function measure(
  root: string,
  sizes: readonly number[],
  seed = 14,
): Promise<{ steps: number; bytes: number; parallels: number; tasks: number }[]> {
  const workflow = (await import(join(root, 'infra/workflow/index.ts'))) as Tree;
  const render = (await import(join(root, 'infra/render-definition.ts'))) as Render;
  return sizes.map((steps) => {
    const spec = workflow.parseWorkflow(randomDagYaml(steps, seed), `dag_${steps}.yaml`);
    let rendered: { definition: Record<string, unknown>; bytes: number };
    try {
      rendered = render.renderAnalyzed(workflow.analyzeWorkflow(spec));
    } catch (error) {
      // Over 1 MB: the size check refuses it; report the size from its message.
      const bytes = Number(/definition is (\d+) bytes/.exec(String(error))?.[1] ?? Number.NaN);
      return { steps, bytes, parallels: Number.NaN, tasks: Number.NaN };
    }
    const { definition, bytes } = rendered;
    return {
      steps,
      bytes,
      parallels: countStates(definition, 'Parallel'),
      tasks: countStates(definition, 'Task'),
    };
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { root: { type: 'string' } } });
  const root = resolve(values.root ?? join(import.meta.dirname, '../../..'));
  for (const row of await measure(root, [50, 100, 200, 300, 500])) {
    console.log(
      `${String(row.steps).padStart(4)} steps: ${String(row.bytes).padStart(8)} bytes, ${(row.bytes / row.steps / 1024).toFixed(2)} KB/step, ${row.parallels} Parallel, ${row.tasks} Task`,
    );
  }
}
