/** Graphviz DOT text of a {@link DrawGraph}: groups as clusters, statuses as fill colours. */
import { type DrawGraph, labelLines } from './model.ts';
import { statusStyle } from './palette.ts';

/**
 * Renders `graph` as a `digraph` (top to bottom). Nodes are quoted by their id, so any step or
 * state name is valid; groups become `cluster_<n>` subgraphs (Graphviz draws only those boxed).
 *
 * @example renderDot(workflowDrawGraph(graph)) // pipe into `dot -Tsvg`
 */
export function renderDot(graph: DrawGraph): string {
  const out = [
    `digraph ${quote(graph.title)} {`,
    '  rankdir=TB;',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
    '  edge [color="#57606a"];',
  ];
  const emit = (parent: string | undefined, indent: string): void => {
    for (const node of graph.nodes) {
      if (node.group !== parent) continue;
      const style = statusStyle(node.status);
      const label = labelLines(node).map(escapeDot).join('\\n');
      const dashed = style.dashed ? ', style="rounded,filled,dashed"' : '';
      out.push(
        `${indent}${quote(node.id)} [label="${label}", fillcolor="${style.fill}", color="${style.stroke}", fontcolor="${style.text}"${dashed}];`,
      );
    }
    graph.groups.forEach((group, index) => {
      if (group.parent !== parent) return;
      out.push(`${indent}subgraph cluster_${index} {`);
      out.push(`${indent}  label=${quote(group.label)};`);
      out.push(`${indent}  style=${group.kind === 'branch' ? 'dashed' : 'rounded'};`);
      emit(group.id, `${indent}  `);
      out.push(`${indent}}`);
    });
  };
  emit(undefined, '  ');
  for (const edge of graph.edges) {
    const attrs = edge.kind === 'catch' ? ' [style=dashed, label="catch"]' : '';
    out.push(`  ${quote(edge.from)} -> ${quote(edge.to)}${attrs};`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

function escapeDot(text: string): string {
  return text.replace(/["\\]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');
}

function quote(text: string): string {
  return `"${escapeDot(text)}"`;
}
