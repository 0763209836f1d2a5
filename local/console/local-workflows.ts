/** The console's per-workflow inputs for the workflows a local runtime runs. */
import { workflowGraph } from '../../infra/graph/index.ts';
import type { WorkflowSpec } from '../../infra/workflow/types.ts';
import type { LocalRuntime } from '../runtime/index.ts';
import type { ConsoleWorkflow } from './server.ts';

/**
 * One {@link ConsoleWorkflow} per state machine the runtime runs that has a spec in `specs`; each
 * workflow's API is its stack's API URL plus its `api.resource`.
 */
export function localConsoleWorkflows(
  runtime: Pick<LocalRuntime, 'workflows' | 'apiUrls'>,
  specs: readonly WorkflowSpec[],
): ConsoleWorkflow[] {
  return runtime.workflows.flatMap((machine) => {
    const spec = specs.find((s) => s.name === machine.name);
    const api = runtime.apiUrls[machine.stackName];
    if (!spec || api === undefined) return [];
    return [
      {
        name: spec.name,
        graph: workflowGraph(spec),
        schema: spec.schema,
        resourceUrl: `${api}/${spec.api.resource}`,
        stateMachineArn: machine.stateMachineArn,
      },
    ];
  });
}
