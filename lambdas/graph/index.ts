/**
 * Workflow graphs without dependencies: the true dependency graph model, the compiled ASL shape,
 * the status palette and the Mermaid and DOT renderers (SVG, which needs a layout library, is in
 * local/graph). The status Lambda uses {@link renderExecutionMermaid}.
 */
export { compiledDrawGraph } from './asl-shape.ts';
export { renderDot } from './dot.ts';
export { renderExecutionMermaid, renderMermaid } from './mermaid.ts';
export {
  attemptsLine,
  type DrawEdge,
  type DrawGraph,
  type DrawGroup,
  type DrawNode,
  formatDuration,
  type GraphStep,
  labelLines,
  type StepState,
  stepMarkers,
  type WorkflowGraph,
  workflowDrawGraph,
} from './model.ts';
export {
  STATUS_PALETTE,
  type StatusStyle,
  statusClass,
  statusStyle,
  UNKNOWN_STATUS_STYLE,
} from './palette.ts';
export { parseWorkflowGraph, serializeWorkflowGraph, WORKFLOW_GRAPH_ENV } from './serialize.ts';
