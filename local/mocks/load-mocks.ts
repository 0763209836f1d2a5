/**
 * Finds and loads a workflow's mock file (`<dir>/<base>.mocks.yaml` beside `<dir>/<base>.yaml`),
 * including the module its `simulators:` field names, into one service set for the kit.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { didYouMean, WorkflowError } from '../../infra/workflow/diagnostics.ts';
import {
  type CreateServiceSet,
  SIMULATOR_MODULE_EXPORT,
  type SimulatedService,
} from '../simulators/types.ts';
import { loadMockFile, type MockFile } from './mock-file.ts';
import { mockServiceSet } from './mock-services.ts';

/** The mock file that belongs to a workflow file (whether or not it exists). */
export function mockFilePath(workflowFile: string): string {
  const base = basename(workflowFile).replace(/\.ya?ml$/, '');
  const dir = dirname(workflowFile);
  const yml = join(dir, `${base}.mocks.yml`);
  return existsSync(yml) ? yml : join(dir, `${base}.mocks.yaml`);
}

/** A loaded mock file: its services by name and the set the kit runs. */
export interface WorkflowMocks {
  readonly file: string;
  readonly mock: MockFile;
  /** Every service the file provides (declared mocks and the simulators module's). */
  readonly services: readonly string[];
  readonly create: CreateServiceSet;
}

async function importSimulators(mock: MockFile, rootDir: string): Promise<CreateServiceSet | undefined> {
  const { simulators } = mock;
  if (!simulators) return undefined;
  const path = join(rootDir, simulators.module);
  const fail = (message: string): never => {
    throw new WorkflowError([{ file: mock.file, line: simulators.line, message }]);
  };
  if (!existsSync(path)) fail(`simulators module ${simulators.module} not found (create it or fix the path)`);
  const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const create = module[SIMULATOR_MODULE_EXPORT];
  if (typeof create !== 'function') {
    fail(`simulators module ${simulators.module} does not export a function '${SIMULATOR_MODULE_EXPORT}'`);
  }
  return create as CreateServiceSet;
}

/**
 * Loads the mock file of `workflowFile`, or returns undefined when it has none.
 * @throws WorkflowError naming the file and line of every problem
 */
export async function loadWorkflowMocks(
  workflowFile: string,
  rootDir: string,
): Promise<WorkflowMocks | undefined> {
  const file = mockFilePath(workflowFile);
  if (!existsSync(file)) return undefined;
  const mock = loadMockFile(file);
  const create = mockServiceSet(mock, await importSimulators(mock, rootDir));
  // Creating a set is cheap and has no side effects: list its services once.
  const created = create({ random: Math.random }).services;
  const services = created.map((service) => service.name);
  const twice = services.find((name, index) => services.indexOf(name) !== index);
  if (twice !== undefined) {
    const line = mock.services.find((service) => service.name === twice)?.line ?? 1;
    throw new WorkflowError([
      {
        file,
        line,
        message: `service '${twice}' is both mocked here and simulated by ${mock.simulators?.module}`,
      },
    ]);
  }
  checkOutages(mock, created);
  return { file, mock, services, create };
}

/** Each outage names a service of the file (mocked or simulated) and one of its routes. */
function checkOutages(mock: MockFile, services: readonly SimulatedService[]): void {
  const problems = (mock.outages ?? []).flatMap(({ service, route, line }) => {
    const found = services.find((candidate) => candidate.name === service);
    if (!found) {
      const names = services.map((candidate) => candidate.name);
      return [
        {
          file: mock.file,
          line,
          message: `outage: unknown service '${service}'${didYouMean(service, names)} (services: ${names.join(', ')})`,
        },
      ];
    }
    if (route === '*' || found.routes.some((candidate) => candidate.key === route)) return [];
    return [
      {
        file: mock.file,
        line,
        message: `outage: service '${service}' has no route '${route}' (routes: ${found.routes.map((r) => r.key).join(', ')}, or *)`,
      },
    ];
  });
  if (problems.length > 0) throw new WorkflowError(problems);
}
