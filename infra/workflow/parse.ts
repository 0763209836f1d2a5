/**
 * Loading workflow files, the first two compiler stages: parse (YAML text -> data with the line of
 * every path) and spec (zod validation, cross-field and environment checks -> typed WorkflowSpec).
 * Every problem becomes a `file:line:` diagnostic; all of them are thrown together.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { EXPRESS_LIMIT_SECONDS } from './budget.ts';
import { type Diagnostic, sortDiagnostics, WorkflowError } from './diagnostics.ts';
import { environmentProblems, handlerConfigDiagnostics } from './environments.ts';
import { workflowStackName } from './names.ts';
import { operationsDiagnostics } from './operations.ts';
import { workflowSchema } from './schema.ts';
import { checkInputSchema } from './schema-check.ts';
import { buildSpec } from './spec.ts';
import { semanticChecks } from './spec-checks.ts';
import { stageRan } from './stage-events.ts';
import type { WorkflowSpec } from './types.ts';
import { MAX_YAML_SOURCE_CHARS, parseYaml, type YamlSource } from './yaml-source.ts';
import { describe, zodDiagnostics } from './zod-diagnostics.ts';

/** Options of the loaders. */
export interface LoadOptions {
  /**
   * Tasker environment whose `environments.<env>` overrides are merged into the steps'
   * `handler_config` (a file without that environment keeps its base values).
   * @default none: the base values
   */
  readonly environment?: string | undefined;
}

/** Mock files sit beside the workflows (`config/<workflow>.mocks.yaml`); they are not workflows. */
export const MOCK_FILE_PATTERN = /\.mocks\.ya?ml$/;

/**
 * Parses and validates one workflow file's text: the parse and spec stages. The later stages
 * (plan, checks) are `analyzeWorkflow`'s.
 *
 * @param file - the path shown in diagnostics
 * @param options - the environment whose overrides to merge
 * @throws WorkflowError with every diagnostic found
 * @example parseWorkflow(readFileSync('config/order_fulfillment.yaml', 'utf8'), 'config/order_fulfillment.yaml')
 */
export function parseWorkflow(text: string, file: string, options: LoadOptions = {}): WorkflowSpec {
  const { source, diagnostics: syntax } = parseYaml(text, file);
  stageRan('parse', file);
  if (!source) throw new WorkflowError(syntax);
  const record = documentOf(source, file);
  stageRan('spec', file);
  const diagnostics: Diagnostic[] = [];
  const parsed = workflowSchema.safeParse(record);
  if (!parsed.success) diagnostics.push(...zodDiagnostics(parsed.error.issues, record, source, file));
  diagnostics.push(
    ...semanticChecks(record, source, file),
    ...handlerConfigDiagnostics(record, source, file),
    ...environmentProblems(record, source, file),
    ...checkInputSchema(record.schema, source, file),
    ...expressTimeoutProblems(record, source, file),
    ...operationsDiagnostics(record, source, file),
  );
  if (diagnostics.length > 0 || !parsed.success)
    throw new WorkflowError(sortDiagnostics(dedupe(diagnostics)));
  return buildSpec(parsed.data, source, file, options.environment);
}

/** The document as a mapping, or the diagnostic saying what it is instead. */
function documentOf(source: YamlSource, file: string): Record<string, unknown> {
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
  return data as Record<string, unknown>;
}

function expressTimeoutProblems(
  record: Record<string, unknown>,
  source: YamlSource,
  file: string,
): Diagnostic[] {
  const timeout = record.timeout_seconds;
  if (record.execution_type !== 'express' || typeof timeout !== 'number' || timeout <= EXPRESS_LIMIT_SECONDS)
    return [];
  return [
    {
      file,
      line: source.lineOf(['timeout_seconds']),
      message: `timeout_seconds ${timeout} is over Express's ${EXPRESS_LIMIT_SECONDS} s limit (lower it or use execution_type: standard)`,
    },
  ];
}

/**
 * Reads and parses one workflow file. The path is shown as given (relative to the working
 * directory when it lies inside it).
 */
export function loadWorkflowFile(path: string, options: LoadOptions = {}): WorkflowSpec {
  const shown = displayPath(path);
  let text: string;
  try {
    // A file far past the reader's limit is refused before it is read into memory (UTF-8 takes
    // at least one byte per character, so more bytes than 4x the limit cannot fit it).
    const bytes = statSync(path).size;
    if (bytes > 4 * MAX_YAML_SOURCE_CHARS)
      throw new Error(
        `${shown}:1: the file is ${bytes} bytes, over the ${MAX_YAML_SOURCE_CHARS}-character limit of a workflow file`,
      );
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw new Error(
      code === 'ENOENT' ? `${shown}: no such workflow file` : `${shown}: cannot read (${code ?? error})`,
    );
  }
  return parseWorkflow(text, shown, options);
}

/**
 * Loads every `*.yaml` / `*.yml` under `dir` (recursively, sorted; `*.mocks.yaml` mock files are
 * skipped), aggregating the diagnostics of all files. Across files, workflow names, API
 * resources and stack names must be unique.
 *
 * @param dir - folder holding workflow files
 * @default dir 'config'
 * @throws WorkflowError with the diagnostics of every file
 */
export function loadWorkflows(dir = 'config', options: LoadOptions = {}): WorkflowSpec[] {
  const { specs, diagnostics } = collectWorkflows(dir, options);
  if (diagnostics.length > 0) throw new WorkflowError(diagnostics);
  return specs;
}

/**
 * Like {@link loadWorkflows}, but returns the files that loaded beside the diagnostics of those
 * that did not, so a caller can run the later stages on the good ones and report every problem
 * of the folder in one go (as `cdk synth` does).
 */
export function collectWorkflows(
  dir = 'config',
  options: LoadOptions = {},
): { specs: WorkflowSpec[]; diagnostics: Diagnostic[] } {
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    throw new Error(`${displayPath(dir)}: workflow folder not found`);
  }
  const files = entries.filter((f) => /\.ya?ml$/.test(f) && !MOCK_FILE_PATTERN.test(f)).sort();
  if (files.length === 0)
    throw new Error(`no workflow files (*.yaml, *.yml) found under ${displayPath(dir)}`);
  const specs: WorkflowSpec[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const f of files) {
    try {
      specs.push(loadWorkflowFile(join(dir, f), options));
    } catch (error) {
      if (!(error instanceof WorkflowError)) throw error;
      diagnostics.push(...error.diagnostics);
    }
  }
  diagnostics.push(...crossFileProblems(specs));
  return { specs, diagnostics };
}

/** What two workflows of one app may not share: a name, an API resource, a stack name. */
function crossFileProblems(specs: readonly WorkflowSpec[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const names = new Map<string, WorkflowSpec>();
  const resources = new Map<string, WorkflowSpec>();
  const stacks = new Map<string, WorkflowSpec>();
  for (const spec of specs) {
    const first = names.get(spec.name);
    const stackName = workflowStackName(spec.name);
    const sameStack = stacks.get(stackName);
    if (first) {
      diagnostics.push({
        file: spec.file,
        line: 1,
        message: `workflow name '${spec.name}' is already used by ${first.file} (rename one of them)`,
      });
    } else if (sameStack) {
      // `order-fulfilment` and `order_fulfilment` would both be OrderFulfilmentWorkflow.
      diagnostics.push({
        file: spec.file,
        line: spec.lines.name ?? 1,
        message: `workflow '${spec.name}' gets the stack name ${stackName}, already taken by workflow '${sameStack.name}' (${sameStack.file}); rename one of them`,
      });
    }
    if (!first) names.set(spec.name, spec);
    if (!sameStack) stacks.set(stackName, spec);
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
  return diagnostics;
}

function displayPath(path: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
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
