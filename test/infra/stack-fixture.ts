/** Shared set-up of the CDK assertion tests: the real app, synthesized in-process without bundling. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { API_ENTRIES, OPERATIONS_ENTRY } from '../../infra/api.ts';
import { type BuildAppOptions, buildApp } from '../../infra/build-app.ts';
import { analyzeWorkflow, loadWorkflows, parseWorkflow } from '../../infra/workflow/index.ts';
import { compensationOf } from '../../infra/workflow-options.ts';
import { WorkflowStack, type WorkflowStackProps } from '../../infra/workflow-stack.ts';
import { HTTP_STEP_ENTRY, OPERATOR_ENTRY } from '../../lambdas/contracts.ts';

/**
 * In-process synthesis for assertions: no esbuild run and no CloudFormation validation plugin
 * (3 s of CPU per synth). The real `cdk synth` in bundled-synth.test.ts runs both.
 */
export const FAST = { bundling: false, cloudFormationValidation: false } as const;

/** The user registration stack of the real config/, as `npm start` builds it (no esbuild run). */
export function userRegistrationStack(options: Omit<BuildAppOptions, 'bundling'> = {}): {
  stack: WorkflowStack;
  template: Template;
} {
  const { stacks } = buildApp({ ...FAST, ...options });
  const stack = stacks.find((candidate) => candidate.spec.name === 'user_registration');
  if (stack === undefined) throw new Error('config/ has no user_registration workflow');
  return { stack, template: Template.fromStack(stack) };
}

/** Resources of one type, by logical ID. */
export function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/** The parts of a template resource the tests read. */
export interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

/**
 * The state machine's definition as JSON: the `Fn::Join` of the DefinitionString with every
 * token replaced by a readable placeholder (`<LogicalId.Arn>`).
 */
export function definitionOf(template: Template): AslState & { States: Record<string, AslState> } {
  const [machine] = Object.values(resourcesOf(template, 'AWS::StepFunctions::StateMachine'));
  const body = machine?.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] } | string;
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1]
          .map((part) => {
            if (typeof part === 'string') return part;
            const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
            if (getAtt) return `<${getAtt[0]}.${getAtt[1]}>`;
            return `<${JSON.stringify(part).replace(/"/g, '')}>`;
          })
          .join(body['Fn::Join'][0]);
  return JSON.parse(text);
}

/** Enough of an ASL state for the assertions. */
export interface AslState {
  Type?: string;
  Resource?: string;
  Next?: string;
  End?: boolean;
  Retry?: Array<{
    ErrorEquals: string[];
    MaxAttempts?: number;
    IntervalSeconds?: number;
    BackoffRate?: number;
  }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
  Branches?: Array<{ StartAt: string; States: Record<string, AslState> }>;
  TimeoutSeconds?: number;
  StartAt?: string;
  States?: Record<string, AslState>;
}

/** Every state of a definition, nested Parallel branches included, by name. */
export function allStates(definition: { States?: Record<string, AslState> }): Map<string, AslState> {
  const found = new Map<string, AslState>();
  const visit = (states: Record<string, AslState> | undefined) => {
    for (const [name, state] of Object.entries(states ?? {})) {
      found.set(name, state);
      for (const branch of state.Branches ?? []) visit(branch.States);
    }
  };
  visit(definition.States);
  return found;
}

/** A throwaway project for buildApp: workflow files in `config/`, a stub for every module. */
export interface StubProject {
  readonly rootDir: string;
  readonly configDir: string;
}

/**
 * Writes `files` (name -> YAML) into a fresh project's `config/` and a one-line stub for every
 * handler module they name (and `extraModules`), the API handlers (operations included), the
 * built-in HTTP step handler and the operator function, so buildApp can
 * synthesize workflows whose modules do not exist in this repository. The caller removes
 * `rootDir`.
 */
export function stubProject(
  files: Record<string, string>,
  extraModules: readonly string[] = [],
): StubProject {
  const rootDir = mkdtempSync(join(tmpdir(), 'stepflow-project-'));
  const configDir = join(rootDir, 'config');
  mkdirSync(configDir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(configDir, name), text);
  writeFileSync(join(rootDir, 'package-lock.json'), '{}');
  const modules = handlerModulesOf(configDir);
  for (const entry of new Set([
    ...Object.values(API_ENTRIES),
    OPERATIONS_ENTRY,
    HTTP_STEP_ENTRY,
    OPERATOR_ENTRY,
    ...modules,
    ...extraModules,
  ])) {
    mkdirSync(dirname(join(rootDir, entry)), { recursive: true });
    writeFileSync(join(rootDir, entry), 'export const handler = async (event: unknown) => event;\n');
  }
  return { rootDir, configDir };
}

/** Every handler module the workflows in `configDir` name: their steps' and their compensations'. */
export function handlerModulesOf(configDir: string): string[] {
  return loadWorkflows(configDir).flatMap((spec) =>
    spec.steps.flatMap((step) => {
      const compensation = compensationOf(spec, step);
      return [step.handlerPath, ...(compensation?.kind === 'handler' ? [compensation.handlerPath] : [])];
    }),
  );
}

/** The environment variables of the step function of `step`. */
export function stepVariables(template: Template, step: string): Record<string, unknown> {
  const fn = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).find(
    (resource) => resource.Metadata?.['Stepflow:Step'] === step,
  );
  if (fn === undefined) throw new Error(`no function for step ${step}`);
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

/**
 * A workflow for the operating tests: a module step (`reserve`, service inventory) and a
 * declarative HTTP step (`charge`, service payments) after it.
 */
export const OPERATED_WORKFLOW = `name: orders
version: 2.3.4
api:
  resource: orders
step_templates:
  - name: reserve
    handler_config: { service: inventory, url: "https://inventory.example.com" }
  - name: charge
    depends_on_step: reserve
    handler_config:
      service: payments
      url: "https://payments.example.com"
      request: { method: POST, path: /charges }
`;

/**
 * The stack of `yaml` in a stub project, with `edit` applied to the analysed spec first: the
 * fields the compiler will parse (deployment, alarms, notifications, compensate, ...) are set on
 * the spec as the compiler exposes them, so the stack's reading is tested today. The caller
 * removes `project.rootDir`.
 */
export function editedStack(
  yaml: string,
  edit: (spec: Record<string, unknown> & { steps: Array<Record<string, unknown>> }) => void = () => {},
  props: Partial<WorkflowStackProps> = {},
  extraModules: readonly string[] = [],
): { stack: WorkflowStack; template: Template; project: StubProject } {
  const project = stubProject({ 'workflow.yaml': yaml }, extraModules);
  const analyzed = analyzeWorkflow(parseWorkflow(yaml, 'config/workflow.yaml'), { rootDir: project.rootDir });
  edit(analyzed.spec as never);
  const stack = new WorkflowStack(new App({ builtinCloudFormationValidation: false }), 'Operated', {
    workflow: analyzed,
    rootDir: project.rootDir,
    bundling: false,
    ...props,
  });
  return { stack, template: Template.fromStack(stack), project };
}

/** The function whose `Stepflow:Entry` metadata is `entry` (the first, when several run it). */
export function functionIdOf(
  template: Template,
  match: (metadata: Record<string, unknown>) => boolean,
): string {
  const functions = resourcesOf(template, 'AWS::Lambda::Function');
  const id = Object.keys(functions).find((candidate) => match(functions[candidate]?.Metadata ?? {}));
  if (id === undefined) throw new Error('no such function');
  return id;
}

/** The logical ID of the version `functionId` publishes. */
export function versionIdOf(template: Template, functionId: string): string {
  const versions = resourcesOf(template, 'AWS::Lambda::Version');
  const id = Object.keys(versions).find(
    (candidate) =>
      JSON.stringify(versions[candidate]?.Properties.FunctionName) === JSON.stringify({ Ref: functionId }),
  );
  if (id === undefined) throw new Error(`${functionId} publishes no version`);
  return id;
}
