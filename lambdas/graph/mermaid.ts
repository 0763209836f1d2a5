/** Mermaid `flowchart` text of a {@link DrawGraph}, coloured per status with `classDef`s. */
import {
  type DrawGraph,
  type DrawGroup,
  labelLines,
  type StepState,
  type WorkflowGraph,
  workflowDrawGraph,
} from './model.ts';
import { type StatusStyle, statusClass, statusStyle } from './palette.ts';

/**
 * Renders `graph` as a Mermaid flowchart (top to bottom). Nodes are `n0`, `n1`, ... (step names
 * such as `end` would break Mermaid's grammar); groups are subgraphs; each status present gets a
 * `classDef` from the palette and its nodes a `class` line.
 *
 * @example renderMermaid(workflowDrawGraph(graph))
 */
export function renderMermaid(graph: DrawGraph): string {
  const nodeIds = new Map(graph.nodes.map((node, i) => [node.id, `n${i}`]));
  const groupIds = new Map(graph.groups.map((group, i) => [group.id, `g${i}`]));
  const out = ['---', `title: ${JSON.stringify(graph.title)}`, '---', 'flowchart TD'];

  const emit = (parent: string | undefined, indent: string): void => {
    for (const node of graph.nodes) {
      if (node.group !== parent) continue;
      const label = labelLines(node).map(escapeLabel).join('<br/>');
      out.push(`${indent}${nodeIds.get(node.id)}["${label}"]`);
    }
    for (const group of graph.groups.filter((g: DrawGroup) => g.parent === parent)) {
      out.push(`${indent}subgraph ${groupIds.get(group.id)}["${escapeLabel(group.label)}"]`);
      out.push(`${indent}  direction TB`);
      emit(group.id, `${indent}  `);
      out.push(`${indent}end`);
    }
  };
  emit(undefined, '  ');

  for (const edge of graph.edges) {
    const from = nodeIds.get(edge.from);
    const to = nodeIds.get(edge.to);
    if (from === undefined || to === undefined) continue;
    out.push(edge.kind === 'catch' ? `  ${from} -. catch .-> ${to}` : `  ${from} --> ${to}`);
  }

  const byStatus = new Map<string, string[]>();
  for (const node of graph.nodes) {
    const list = byStatus.get(node.status) ?? [];
    list.push(nodeIds.get(node.id) ?? '');
    byStatus.set(node.status, list);
  }
  for (const [status, ids] of byStatus) {
    out.push(`  classDef ${statusClass(status)} ${classDefStyle(statusStyle(status))}`);
    out.push(`  class ${ids.join(',')} ${statusClass(status)}`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * The coloured Mermaid text of one execution: the workflow's true dependency graph, each node
 * coloured by its step's status and labelled with its attempts and duration. This is what
 * `GET /<resource>/{id}?format=mermaid` returns.
 *
 * @param graph - the workflow's true graph (`workflowGraph(spec)` in infra/graph at synth time;
 *   a Lambda reads it back with `parseWorkflowGraph`)
 * @param steps - the status document's `steps` (`name`, `status`, `attempts`, `duration_ms`), as
 *   `summarizeSteps` derives them from GetExecutionHistory; steps missing from it are `pending`
 * @param title - the diagram's title @default `<workflow> execution`
 * @example renderExecutionMermaid(graph, document.steps, `${graph.workflow} ${document.correlation_id}`)
 */
export function renderExecutionMermaid(
  graph: WorkflowGraph,
  steps: readonly StepState[],
  title = `${graph.workflow} execution`,
): string {
  return renderMermaid({ ...workflowDrawGraph(graph, steps), title });
}

function classDefStyle(style: StatusStyle): string {
  const parts = [`fill:${style.fill}`, `stroke:${style.stroke}`, `color:${style.text}`];
  if (style.dashed) parts.push('stroke-dasharray:5 3');
  return parts.join(',');
}

/** Mermaid entity codes for the characters its label grammar treats specially. */
function escapeLabel(text: string): string {
  return text.replace(/[#"<>&]/g, (c) => `#${c.charCodeAt(0)};`);
}
