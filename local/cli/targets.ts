/**
 * What the CLI talks to: the local runtime of `npm start` (found through the file it publishes)
 * or a deployed stack (its outputs, SigV4-signed requests), as a list of workflows.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { LOCAL_REGION } from '../runtime/local-arns.ts';
import { createApiClient, type ExecutionApiClient } from './api-client.ts';
import { type GlobalFlags, UsageError } from './args.ts';
import { resolveStackTarget } from './aws-target.ts';
import { readRuntimeInfo } from './local-target.ts';

/** The default `--api`: where `npm start` serves. */
export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

/** One workflow the CLI can start, inspect and fault. */
export interface TargetWorkflow {
  readonly name: string;
  readonly client: ExecutionApiClient;
  readonly stateMachineArn: string | undefined;
  /** Offline services -> base URL (the local runtime only; empty for a stack). */
  readonly services: Readonly<Record<string, string>>;
}

/** The local runtime or a deployed stack. */
export interface Target {
  /** `the local runtime at http://127.0.0.1:3000`, `stack X in eu-west-1`. */
  readonly description: string;
  readonly local: boolean;
  readonly workflows: readonly TargetWorkflow[];
  /** Step Functions of the target (list). */
  readonly sfn: SFNClient;
}

function localTarget(apiUrl: string): Target {
  const info = readRuntimeInfo(apiUrl);
  return {
    description: `the local runtime at ${apiUrl}`,
    local: true,
    workflows: info.workflows.map((workflow) => ({
      name: workflow.name,
      client: createApiClient(workflow.resourceUrl),
      stateMachineArn: workflow.stateMachineArn,
      services: workflow.services,
    })),
    sfn: new SFNClient({
      region: LOCAL_REGION,
      endpoint: info.sfnEndpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  };
}

async function stackTarget(globals: GlobalFlags, workflow: string | undefined): Promise<Target> {
  const region = globals.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('a deployed stack needs --region (or AWS_REGION)');
  if (!globals.stack && !workflow) throw new UsageError('--region needs --stack NAME or --workflow W');
  // The stack module loads aws-cdk-lib (seconds): only when the stack name must be derived.
  const stackName =
    globals.stack ?? (await import('../../infra/workflow-stack.ts')).workflowStackName(workflow ?? '');
  const stack = await resolveStackTarget(stackName, region);
  return {
    description: `stack ${stackName} in ${region}`,
    local: false,
    workflows: [
      {
        // A stack serves one workflow; its name is the one asked for, else the stack's.
        name: workflow ?? stackName,
        client: createApiClient(stack.executionsEndpoint, stack.sign),
        stateMachineArn: stack.stateMachineArn,
        services: {},
      },
    ],
    sfn: new SFNClient({ region }),
  };
}

/**
 * The target the global flags name: `--stack` (or `--region` with a workflow) is a deployed
 * stack, else the local runtime at `--api` (default {@link DEFAULT_API_URL}).
 */
export async function resolveTarget(globals: GlobalFlags, workflow?: string): Promise<Target> {
  if (globals.stack || globals.region) {
    if (globals.api)
      throw new UsageError('--api (a local runtime) and --stack/--region (AWS) exclude each other');
    return stackTarget(globals, workflow);
  }
  return localTarget((globals.api ?? DEFAULT_API_URL).replace(/\/+$/, ''));
}

/** The names of the target's workflows, for messages. */
export function workflowNames(target: Target): string {
  return target.workflows.map((workflow) => workflow.name).join(', ');
}

/**
 * The workflow `name` names, or the only one when it is omitted.
 * @throws UsageError naming the workflows to choose from
 */
export function pickWorkflow(target: Target, name: string | undefined): TargetWorkflow {
  if (name !== undefined) {
    const found = target.workflows.find((workflow) => workflow.name === name);
    if (!found)
      throw new UsageError(
        `no workflow '${name}' on ${target.description} (workflows: ${workflowNames(target)})`,
      );
    return found;
  }
  const [only, ...others] = target.workflows;
  if (only && others.length === 0) return only;
  throw new UsageError(
    `${target.description} serves several workflows: pass --workflow (one of ${workflowNames(target)})`,
  );
}
