/** The console's per-workflow inputs for the workflows a local runtime runs. */
import { workflowGraph } from '../../infra/graph/index.ts';
import type { WorkflowSpec } from '../../infra/workflow/types.ts';
import type { LocalRuntime } from '../runtime/index.ts';
import type { ConsoleWorkflow } from './server.ts';

/**
 * One {@link ConsoleWorkflow} per state machine the runtime runs that has a spec in `specs`.
 *
 * @param resourcePath - the API resource of a workflow, appended to its stack's API URL
 * @default resourcePath () => 'registrations' (today's front door; per-workflow `api.resource` after the merge)
 */
export function localConsoleWorkflows(
  runtime: Pick<LocalRuntime, 'workflows' | 'apiUrls'>,
  specs: readonly WorkflowSpec[],
  resourcePath: (spec: WorkflowSpec) => string = () => 'registrations',
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
        resourceUrl: `${api}/${resourcePath(spec)}`,
        stateMachineArn: machine.stateMachineArn,
      },
    ];
  });
}
