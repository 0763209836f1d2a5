/**
 * Loading workflow files: YAML text -> zod validation -> cross-field checks -> typed WorkflowSpec.
 * Every problem becomes a `file:line:` diagnostic; all of them are thrown together.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { DEFAULTS as SHARED_DEFAULTS } from '../../lambdas/contracts.ts';
import { checkBudget, EXPRESS_LIMIT_SECONDS } from './budget.ts';
import { semanticChecks } from './checks.ts';
import { type Diagnostic, sortDiagnostics, WorkflowError } from './diagnostics.ts';
import { type RawStep, type RawWorkflow, workflowSchema } from './schema.ts';
import { checkInputSchema } from './schema-check.ts';
import type { StepSpec, WorkflowSpec } from './types.ts';
import { parseYaml, type YamlSource } from './yaml-source.ts';
import { describe, zodDiagnostics } from './zod-diagnostics.ts';

/** Built-in defaults, mirroring Tasker's backoff (1 s doubling, capped at 30 s, full jitter). */
export const DEFAULTS = {
  retryLimit: SHARED_DEFAULTS.retryLimit,
  intervalSeconds: 1,
  backoffRate: 2,
  maxDelaySeconds: 30,
  jitter: 'full',
  timeoutSeconds: SHARED_DEFAULTS.stepTimeoutSeconds,
  maxRetryAfterSeconds: SHARED_DEFAULTS.maxRetryAfterSeconds,
  namespace: 'default',
  version: '0.1.0',
} as const;

/**
 * Parses and validates one workflow file's text.
 *
 * @param file - the path shown in diagnostics
 * @throws WorkflowError with every diagnostic found
 * @example parseWorkflow(readFileSync('config/user_registration.yaml', 'utf8'), 'config/user_registration.yaml')
 */
export function parseWorkflow(text: string, file: string): WorkflowSpec {
  const { source, diagnostics: syntax } = parseYaml(text, file);
  if (!source) throw new WorkflowError(syntax);
  const { data } = source;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    const got =
      data === null || data === undefined
        ? 'an empty document'
        : Array.isArray(data)
          ? 'a list'
          : describe(data);
    throw new WorkflowError([
      {
        file,
        line: source.lineOf([]),
        message: `the workflow must be a YAML mapping with name and step_templates, got ${got}`,
      },
    ]);
  }
  const record = data as Record<string, unknown>;
  const diagnostics: Diagnostic[] = [];
  const parsed = workflowSchema.safeParse(record);
  if (!parsed.success) diagnostics.push(...zodDiagnostics(parsed.error.issues, record, source, file));
  diagnostics.push(...semanticChecks(record, source, file));
  diagnostics.push(...checkInputSchema(record.schema, source, file));
  if (record.execution_type === 'express' && typeof record.timeout_seconds === 'number') {
    if (record.timeout_seconds > EXPRESS_LIMIT_SECONDS) {
      diagnostics.push({
        file,
        line: source.lineOf(['timeout_seconds']),
        message: `timeout_seconds ${record.timeout_seconds} is over Express's ${EXPRESS_LIMIT_SECONDS} s limit (lower it or use execution_type: standard)`,
      });
    }
  }
  if (diagnostics.length > 0 || !parsed.success)
    throw new WorkflowError(sortDiagnostics(dedupe(diagnostics)));
  const spec = buildSpec(parsed.data, source, file);
  const budget = checkBudget(spec);
  if (budget.errors.length > 0) throw new WorkflowError(budget.errors);
  return spec;
}

/**
 * Reads and parses one workflow file. The path is shown as given (relative to the working
 * directory when it lies inside it).
 */
export function loadWorkflowFile(path: string): WorkflowSpec {
  const shown = displayPath(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT' ? `${shown}: no such workflow file` : `${shown}: cannot read (${code ?? error})`,
    );
  }
  return parseWorkflow(text, shown);
}

/**
 * Loads every `*.yaml` / `*.yml` under `dir` (recursively, sorted), aggregating the diagnostics of
 * all files; workflow names must be unique across files.
 *
 * @param dir - folder holding workflow files
 * @default dir 'config'
 */
export function loadWorkflows(dir = 'config'): WorkflowSpec[] {
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    throw new Error(`${displayPath(dir)}: workflow folder not found`);
  }
  const files = entries.filter((f) => /\.ya?ml$/.test(f)).sort();
  if (files.length === 0)
    throw new Error(`no workflow files (*.yaml, *.yml) found under ${displayPath(dir)}`);
  const specs: WorkflowSpec[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const f of files) {
    try {
      specs.push(loadWorkflowFile(join(dir, f)));
    } catch (error) {
      if (!(error instanceof WorkflowError)) throw error;
      diagnostics.push(...error.diagnostics);
    }
  }
  const seen = new Map<string, WorkflowSpec>();
  const resources = new Map<string, WorkflowSpec>();
  for (const spec of specs) {
    const first = seen.get(spec.name);
    if (first) {
      diagnostics.push({
        file: spec.file,
        line: 1,
        message: `workflow name '${spec.name}' is already used by ${first.file} (rename one of them)`,
      });
    } else {
      seen.set(spec.name, spec);
    }
    // The local API serves every workflow on one port, each at its resource: two may not share one.
    const claimed = resources.get(spec.api.resource);
    if (claimed) {
      diagnostics.push({
        file: spec.file,
        line: spec.api.line,
        message: `API resource '/${spec.api.resource}' is already served by workflow '${claimed.name}' (${claimed.file}:${claimed.api.line}); set a different api.resource in one of them`,
      });
    } else {
      resources.set(spec.api.resource, spec);
    }
  }
  if (diagnostics.length > 0) throw new WorkflowError(diagnostics);
  return specs;
}

/**
 * Fails when a step's handler module is missing. Separate from parsing because `npm run asl`
 * prints definitions without handlers; synth needs them.
 *
 * @param rootDir - project root the repo-relative handler paths are resolved against
 */
export function checkHandlerModules(spec: WorkflowSpec, rootDir: string): void {
  const diagnostics = spec.steps
    .filter((step) => !existsSync(join(rootDir, step.handlerPath)))
    .map((step) => ({
      file: spec.file,
      line: step.line,
      message: `step '${step.name}' handler module ${step.handlerPath} not found (create it or set handler:)`,
    }));
  if (diagnostics.length > 0) throw new WorkflowError(diagnostics);
}

/**
 * A step's handler module when `handler:` is not given: one folder per workflow, one file per step,
 * so two workflows may both have a step called `notify`. `(user_registration, create_user_account)`
 * -> `lambdas/steps/user_registration/create-user-account.ts` (camelCase also becomes kebab-case;
 * characters a folder name should not hold become `_`).
 */
export function defaultHandlerPath(workflowName: string, stepName: string): string {
  const kebab = stepName
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
  return `lambdas/steps/${pathSafeName(workflowName)}/${kebab}.ts`;
}

/**
 * A workflow name as one URL path segment or folder name: runs of characters outside
 * `A-Z a-z 0-9 _ . -` become `_` (Tasker names such as `api_task/example` load unchanged), and a
 * leading dot becomes `_` so the result is never `.` or `..`.
 */
export function pathSafeName(name: string): string {
  return name
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^\./, '_')
    .slice(0, 128);
}

function displayPath(path: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

function buildSpec(raw: RawWorkflow, source: YamlSource, file: string): WorkflowSpec {
  const events = [...(raw.custom_events ?? []), ...raw.step_templates.flatMap((s) => s.custom_events ?? [])];
  const spec: WorkflowSpec = {
    file,
    name: raw.name,
    namespace: raw.namespace_name ?? DEFAULTS.namespace,
    version: raw.version ?? DEFAULTS.version,
    executionType: raw.execution_type === 'express' ? 'EXPRESS' : 'STANDARD',
    executionTypeLine: source.lineOf(raw.execution_type === undefined ? [] : ['execution_type']),
    schema: raw.schema ?? {},
    api: {
      resource: raw.api?.resource ?? pathSafeName(raw.name),
      line: source.lineOf(raw.api?.resource === undefined ? ['name'] : ['api', 'resource']),
    },
    customEvents: [...new Set(events.map((e) => (typeof e === 'string' ? e : e.name)))],
    steps: raw.step_templates.map((step, i) => buildStep(step, raw, source.lineOf(['step_templates', i]))),
  };
  if (raw.description !== undefined) spec.description = raw.description;
  if (raw.task_handler_class !== undefined) spec.taskHandlerClass = raw.task_handler_class;
  if (raw.default_dependent_system !== undefined) spec.defaultDependentSystem = raw.default_dependent_system;
  if (raw.timeout_seconds !== undefined) spec.timeoutSeconds = raw.timeout_seconds;
  return spec;
}

function buildStep(raw: RawStep, workflow: RawWorkflow, line: number): StepSpec {
  const defaults = workflow.retry_defaults ?? {};
  const retry = raw.retry ?? {};
  const dependsOn = [
    ...new Set([...(raw.depends_on_step ? [raw.depends_on_step] : []), ...(raw.depends_on_steps ?? [])]),
  ];
  const continues = raw.on_failure === 'continue';
  const step: StepSpec = {
    name: raw.name,
    handlerPath: raw.handler ?? defaultHandlerPath(workflow.name, raw.name),
    dependsOn,
    retryable: raw.default_retryable ?? true,
    retry: {
      limit: retry.limit ?? raw.default_retry_limit ?? defaults.limit ?? DEFAULTS.retryLimit,
      intervalSeconds: retry.interval_seconds ?? defaults.interval_seconds ?? DEFAULTS.intervalSeconds,
      backoffRate: retry.backoff_rate ?? defaults.backoff_rate ?? DEFAULTS.backoffRate,
      maxDelaySeconds: retry.max_delay_seconds ?? defaults.max_delay_seconds ?? DEFAULTS.maxDelaySeconds,
      jitter: (retry.jitter ?? defaults.jitter ?? DEFAULTS.jitter) === 'full' ? 'FULL' : 'NONE',
      retryOn: [...new Set(retry.retry_on ?? [])],
    },
    timeoutSeconds: raw.timeout_seconds ?? taskerTimeout(raw.handler_config) ?? DEFAULTS.timeoutSeconds,
    honorRetryAfter: raw.honor_retry_after ?? false,
    maxRetryAfterSeconds: raw.max_retry_after_seconds ?? DEFAULTS.maxRetryAfterSeconds,
    onFailure: continues ? 'continue' : 'fail',
    handlerConfig: raw.handler_config ?? {},
    line,
  };
  if (raw.description !== undefined) step.description = raw.description;
  if (raw.handler_class !== undefined) step.handlerClass = raw.handler_class;
  if (continues) step.fallback = raw.fallback ?? {};
  return step;
}

/**
 * Tasker templates put a step's timeout in `handler_config.timeout_seconds`; it is the step's
 * timeout when `timeout_seconds` is absent (the checks have rejected invalid values).
 */
function taskerTimeout(handlerConfig: Record<string, unknown> | undefined): number | undefined {
  const value = handlerConfig?.timeout_seconds;
  return typeof value === 'number' ? value : undefined;
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.line}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
