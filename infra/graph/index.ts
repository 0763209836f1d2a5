/**
 * WorkflowSpec -> graph model. The true graph comes from the spec's `depends_on` (what the YAML
 * asks for); the compiled graph from the definition `renderDefinition` emits (what Step Functions
 * runs). Only the compiled one needs aws-cdk-lib, so it is loaded on demand.
 */
import { compiledDrawGraph, type DrawGraph, type WorkflowGraph } from '../../lambdas/graph/index.ts';
import type { StepSpec, WorkflowSpec } from '../workflow/types.ts';

/**
 * Whether a step is a declarative HTTP step: those carry their request in
 * `handler_config.request` instead of naming a handler module of their own.
 */
export function isHttpStep(step: StepSpec): boolean {
  const config = step.handlerConfig as Record<string, unknown> | undefined;
  return config?.request !== undefined && config.request !== null;
}

/**
 * The workflow's true dependency graph: every step in file order with its dependencies and its
 * `on_failure: continue`, `honor_retry_after` and HTTP markers.
 *
 * @example workflowGraph(loadWorkflowFile('config/order_fulfillment.yaml'))
 */
export function workflowGraph(spec: WorkflowSpec): WorkflowGraph {
  return {
    workflow: spec.name,
    steps: spec.steps.map((step) => ({
      name: step.name,
      dependsOn: [...step.dependsOn],
      fallback: step.onFailure === 'continue',
      honorRetryAfter: step.honorRetryAfter,
      http: isHttpStep(step),
    })),
  };
}

/**
 * The compiled shape (Parallels as groups with their branches) of the definition the compiler
 * emits for `spec`, built by the same `renderDefinition` that `npm run asl` prints.
 *
 * @throws WorkflowError when the compiler rejects the spec (budget)
 */
export async function compiledGraph(spec: WorkflowSpec): Promise<DrawGraph> {
  // aws-cdk-lib takes about a second to load: only --compiled pays for it.
  const { renderDefinition } = await import('../render-definition.ts');
  return compiledDrawGraph(renderDefinition(spec), `${spec.name} (compiled)`);
}
