/**
 * What the LocalStack suite deploys: every workflow of config/ (not one file by name), each
 * pointed at its offline services through a Tasker environment of its own (`localstack`), so the
 * step Lambdas in LocalStack's containers call the mocks and simulators running on this host.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';
import { loadWorkflows } from '../../infra/workflow/parse.ts';
import type { WorkflowSpec } from '../../infra/workflow/types.ts';
import { loadWorkflowMocks } from '../../local/mocks/load-mocks.ts';
import { type RunningServices, startServices } from '../../local/simulators/index.ts';

/** The Tasker environment the suite deploys with (`-c environment=localstack`). */
export const LOCALSTACK_ENVIRONMENT = 'localstack';

/** A workflow as deployed to LocalStack, with the services its steps call there. */
export interface DeployedWorkflow {
  readonly spec: WorkflowSpec;
  readonly services: RunningServices | undefined;
}

/**
 * Starts each workflow's offline services on every interface and writes a copy of each workflow
 * file into `workDir` whose `environments.localstack` points the mocked steps at them.
 *
 * @param hostAddress how LocalStack's containers reach this host (host.docker.internal)
 */
export async function prepareWorkflows(
  configDir: string,
  workDir: string,
  rootDir: string,
  hostAddress: string,
): Promise<{ workflows: DeployedWorkflow[]; close(): Promise<void> }> {
  const workflows: DeployedWorkflow[] = [];
  const close = async () => {
    await Promise.all(workflows.map((workflow) => workflow.services?.close()));
  };
  for (const spec of loadWorkflows(configDir)) {
    const mocks = await loadWorkflowMocks(spec.file, rootDir);
    const services = mocks ? await startServices(mocks.create, { host: '0.0.0.0' }) : undefined;
    workflows.push({ spec, services });
    const document = parseDocument(readFileSync(spec.file, 'utf8'));
    const overrides = spec.steps.flatMap((step) => {
      const urls = (services?.urls ?? {}) as Record<string, string>;
      const url = step.service === undefined ? undefined : urls[step.service];
      return url
        ? [{ name: step.name, handler_config: { url: `http://${hostAddress}:${new URL(url).port}` } }]
        : [];
    });
    document.setIn(['environments', LOCALSTACK_ENVIRONMENT], { step_templates: overrides });
    writeFileSync(join(workDir, basename(spec.file)), document.toString());
  }
  return { workflows, close };
}

/**
 * LocalStack serves every REST API under one path-style URL on its own endpoint; the stack's
 * `ExecutionsEndpoint` is AWS-shaped (`https://<id>.execute-api.<region>.amazonaws.com/<stage>/<resource>`).
 */
export function localstackResourceUrl(endpoint: string, executionsEndpoint: string): string {
  const url = new URL(executionsEndpoint);
  const [stage = 'v1', ...resource] = url.pathname.split('/').filter(Boolean);
  const apiId = url.hostname.split('.')[0];
  return `${endpoint.replace(/\/+$/, '')}/restapis/${apiId}/${stage}/_user_request_/${resource.join('/')}`;
}
