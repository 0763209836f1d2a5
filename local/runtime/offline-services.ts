/**
 * Where each step's service is found offline, decided once at start from what the template ships
 * (`SERVICE_NAME` and the resolved `SERVICE_URL` of each step function):
 * 1. a URL on loopback is called as is (the user's own local service);
 * 2. else the workflow's mock file provides the service (declared mocks, or the module its
 *    `simulators:` field names), and the step is pointed at it through `STEPFLOW_SERVICE_URLS`;
 * 3. else starting fails, naming the step, the service and the file to write.
 * The template is never edited: the override is one more variable in the function's environment.
 */

import { type Diagnostic, WorkflowError } from '../../infra/workflow/diagnostics.ts';
import type { WorkflowSpec } from '../../infra/workflow/types.ts';
import { ENV } from '../../lambdas/contracts.ts';
import { loadWorkflowMocks, mockFilePath, type WorkflowMocks } from '../mocks/load-mocks.ts';
import { type RunningServices, startServices } from '../simulators/index.ts';
import type { LocalFunction } from './template.ts';

/** How one step reaches its service offline. */
export interface StepServiceRoute {
  readonly step: string;
  readonly service: string | undefined;
  /** The URL the template gives the step (`SERVICE_URL`). */
  readonly url: string | undefined;
  /** `loopback`: called as is; `mock`: the mock file's service; `none`: the step names no service. */
  readonly via: 'loopback' | 'mock' | 'none';
}

/** A workflow's offline services, running. */
export interface WorkflowServices {
  readonly workflow: string;
  /** The mock file, when the workflow has one. */
  readonly mockFile: string | undefined;
  /** Its mocked/simulated services (undefined when every step calls a loopback URL). */
  readonly services: RunningServices | undefined;
  readonly steps: readonly StepServiceRoute[];
}

/** Options for {@link startWorkflowServices}. */
export interface StartWorkflowServicesOptions {
  readonly rootDir: string;
  readonly host: string;
  /** Seed of each workflow's fault PRNG. */
  readonly seed: number;
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]', '::1']);

/** Whether `url` points at this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return LOOPBACK_HOSTS.has(host) || host.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(host);
}

function routeStep(fn: LocalFunction, mocks: WorkflowMocks | undefined): StepServiceRoute {
  const service = fn.env[ENV.serviceName] || undefined;
  const url = fn.env[ENV.serviceUrl] || undefined;
  const step = fn.step ?? fn.logicalId;
  if (url !== undefined && isLoopbackUrl(url)) return { step, service, url, via: 'loopback' };
  if (service !== undefined && mocks?.services.includes(service)) return { step, service, url, via: 'mock' };
  return { step, service, url, via: 'none' };
}

function unresolved(
  spec: WorkflowSpec,
  route: StepServiceRoute,
  mocks: WorkflowMocks | undefined,
): Diagnostic {
  const step = spec.steps.find((candidate) => candidate.name === route.step);
  // The URL's own line (in the step, or in the environment override that set it), else the step's.
  const line = step?.lines['handler_config.url'] ?? step?.line ?? 1;
  const file = mocks?.file ?? mockFilePath(spec.file);
  const target = route.service === undefined ? 'its service' : `service '${route.service}'`;
  const where =
    route.url === undefined ? 'has no handler_config.url' : `is at ${route.url}, not on loopback,`;
  const fix =
    route.service === undefined
      ? 'set handler_config.service (or the workflow default_dependent_system)'
      : `add '${route.service}' under services: in ${file}`;
  return {
    file: spec.file,
    line,
    message: `step '${route.step}': ${target} ${where} and has no mock offline: ${fix}, or point handler_config.url at a service on 127.0.0.1 under environments.development (docs/local-runtime.md, "Services offline")`,
  };
}

/** Whether a step needs a service offline: it names one or has a URL that is not on loopback. */
function needsService(route: StepServiceRoute): boolean {
  return route.via === 'none' && (route.service !== undefined || route.url !== undefined);
}

/**
 * Resolves every step's service for each workflow and starts the services its mock file
 * provides. The returned functions carry `STEPFLOW_SERVICE_URLS` for their mocked service.
 *
 * @throws WorkflowError listing every step whose service cannot be reached offline (and every
 *   problem in a mock file), before anything is started
 */
export async function startWorkflowServices(
  workflows: ReadonlyArray<{ readonly spec: WorkflowSpec; readonly functions: readonly LocalFunction[] }>,
  opts: StartWorkflowServicesOptions,
): Promise<{ services: WorkflowServices[]; functions: LocalFunction[]; close(): Promise<void> }> {
  const diagnostics: Diagnostic[] = [];
  const loaded: Array<{
    spec: WorkflowSpec;
    mocks: WorkflowMocks | undefined;
    functions: readonly LocalFunction[];
  }> = [];
  for (const { spec, functions } of workflows) {
    try {
      loaded.push({ spec, mocks: await loadWorkflowMocks(spec.file, opts.rootDir), functions });
    } catch (error) {
      if (!(error instanceof WorkflowError)) throw error;
      diagnostics.push(...error.diagnostics);
    }
  }
  for (const { spec, mocks, functions } of loaded) {
    for (const fn of functions) {
      if (fn.step === undefined) continue;
      const route = routeStep(fn, mocks);
      if (needsService(route)) diagnostics.push(unresolved(spec, route, mocks));
    }
  }
  if (diagnostics.length > 0) throw new WorkflowError(diagnostics);

  const started: WorkflowServices[] = [];
  const out: LocalFunction[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(started.map((entry) => entry.services?.close()));
  };
  try {
    for (const { spec, mocks, functions } of loaded) {
      const services = mocks
        ? await startServices(mocks.create, { host: opts.host, seed: opts.seed })
        : undefined;
      const routes: StepServiceRoute[] = [];
      for (const fn of functions) if (fn.step !== undefined) routes.push(routeStep(fn, mocks));
      // Every function of the workflow (steps, compensations, a shared HTTP-step function) gets
      // the mocked services' URLs, except services a step reaches on loopback as configured.
      const overrides = services ? mockedUrls(services, routes) : undefined;
      for (const fn of functions) out.push(overrides ? withServiceUrls(fn, overrides) : fn);
      started.push({ workflow: spec.name, mockFile: mocks?.file, services, steps: routes });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { services: started, functions: out, close };
}

function mockedUrls(services: RunningServices, routes: readonly StepServiceRoute[]): Record<string, string> {
  const onLoopback = new Set(
    routes.filter((route) => route.via === 'loopback').map((route) => route.service),
  );
  const overrides: Record<string, string> = {};
  for (const [service, url] of Object.entries(services.urls as Record<string, string>)) {
    if (!onLoopback.has(service)) Object.defineProperty(overrides, service, { value: url, enumerable: true });
  }
  return overrides;
}

function withServiceUrls(fn: LocalFunction, overrides: Record<string, string>): LocalFunction {
  if (Object.keys(overrides).length === 0) return fn;
  return { ...fn, env: { ...fn.env, [ENV.serviceUrlOverrides]: JSON.stringify(overrides) } };
}
