import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { App, type Environment } from 'aws-cdk-lib';
import { HTTP_STEP_ENTRY, OPERATOR_ENTRY } from '../lambdas/contracts.ts';
import { API_ENTRIES } from './api.ts';
import { REPO_ROOT } from './repo-root.ts';
import { contextEnvironment, contextOptions, environmentStackName } from './stack-options.ts';
import {
  type AnalyzedWorkflow,
  analyzeWorkflow,
  closestMatch,
  collectWorkflows,
  type Diagnostic,
  WorkflowError,
  type WorkflowSpec,
} from './workflow/index.ts';
import { awaitsOperator } from './workflow-options.ts';
import { WorkflowStack, workflowStackName } from './workflow-stack.ts';

export { REPO_ROOT };

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /**
   * Folder holding the workflow files (every `*.yaml`/`*.yml` but `*.mocks.yaml` becomes one stack).
   * @default process.env.WORKFLOW_CONFIG_DIR, else `<rootDir>/config`
   */
  readonly configDir?: string;
  /**
   * Tasker environment whose `environments.<env>` overrides apply to every workflow (the
   * offline runtime passes `development`).
   * @default the `environment` context (`-c environment=<env>`), else none: the base values
   */
  readonly environment?: string;
  /**
   * Bundle the Lambda code with esbuild. `false` is for in-process synthesis (offline runtime,
   * tests): no esbuild run, the same template otherwise.
   * @default true
   */
  readonly bundling?: boolean;
  /**
   * CDK context, as `-c key=value` would give it (see `CONTEXT_KEYS` in stack-options.ts).
   * @default {}
   */
  readonly context?: Record<string, unknown>;
  /**
   * Run CDK's built-in CloudFormation template validation at synthesis. It costs about 3 s of CPU
   * per synth; in-process users that never deploy (tests) may turn it off. `cdk synth` keeps it.
   * @default true
   */
  readonly cloudFormationValidation?: boolean;
  /**
   * Repository root: handler paths and package-lock.json are resolved against it.
   * @default the folder above infra/
   */
  readonly rootDir?: string;
}

/** What the offline runtime and the CLI need to know about one workflow of the app. */
export interface BuiltWorkflow {
  /** The workflow's `name`. */
  readonly name: string;
  /** Its API resource: `POST /<resource>`, `GET /<resource>/{correlation_id}`. */
  readonly resource: string;
  /** The stack (and the CloudFormation stack name) it is deployed as. */
  readonly stackName: string;
  /** The workflow file, as shown in diagnostics. */
  readonly file: string;
  /** Each step's service key and URL (after the environment), in file order. */
  readonly services: readonly { step: string; service?: string; url?: string; http: boolean }[];
  /** The stack itself. */
  readonly stack: WorkflowStack;
}

/** What {@link buildApp} built. */
export interface BuiltApp {
  readonly app: App;
  readonly stacks: WorkflowStack[];
  /** One entry per workflow file, in file order. */
  readonly workflows: readonly BuiltWorkflow[];
  /** The environment that was applied, if any. */
  readonly environment: string | undefined;
  /** Every warning to print (`file:line: warning: ...`, or `warning: ...` for the app as a whole). */
  readonly warnings: readonly string[];
}

/**
 * Builds the CDK app: one {@link WorkflowStack} per workflow file. Pure construction; nothing is
 * printed and nothing exits. Each workflow goes through the compiler's stages once.
 *
 * @throws WorkflowError with every diagnostic of every file (invalid workflow, missing handler
 *   module, failed check), or an Error naming the bad context key or missing built-in module
 *
 * @example
 * const { app, workflows } = buildApp({ bundling: false, environment: 'development' });
 * const template = app.synth().getStackByName(workflows[0]!.stackName).template;
 */
export function buildApp(opts: BuildAppOptions = {}): BuiltApp {
  const rootDir = resolve(opts.rootDir ?? REPO_ROOT);
  const configDir = opts.configDir ?? process.env.WORKFLOW_CONFIG_DIR ?? displayPath(join(rootDir, 'config'));
  const context: Record<string, unknown> = { ...opts.context };
  if (opts.bundling === false) context['aws:cdk:bundling-stacks'] = [];
  // No stack traces in construct metadata (faster synth, smaller manifests); no CDKMetadata
  // resource, so the template is the same offline and in CI.
  const app = new App({
    context,
    stackTraces: false,
    analyticsReporting: false,
    ...(opts.cloudFormationValidation === false ? { builtinCloudFormationValidation: false } : {}),
  });
  const options = contextOptions(app.node);
  const fromContext = contextEnvironment(app.node);
  const environment = opts.environment ?? fromContext;
  // Only `-c environment` (a deployment) names the stacks after it; the offline runtime's
  // `environment: 'development'` keeps the plain names.
  const nameEnvironment = opts.environment === undefined ? fromContext : undefined;

  const { specs, diagnostics } = collectWorkflows(configDir, { environment });
  const analyzed = analyzeAll(specs, diagnostics, rootDir);
  if (diagnostics.length > 0) throw new WorkflowError(diagnostics);
  checkBuiltInModules(rootDir, specs);

  const env = awsEnvironment(app);
  // A stack's own check (the definition size) fails per workflow: report every file's at once.
  const workflows = analyzed.flatMap((workflow) => {
    try {
      const stackName = environmentStackName(workflowStackName(workflow.spec.name), nameEnvironment);
      const stack = new WorkflowStack(app, stackName, {
        workflow,
        rootDir,
        ...(opts.bundling === undefined ? {} : { bundling: opts.bundling }),
        ...(env === undefined ? {} : { env }),
        ...options,
      });
      return [builtWorkflow(workflow, stack)];
    } catch (error) {
      if (!(error instanceof WorkflowError)) throw error;
      diagnostics.push(...error.diagnostics);
      return [];
    }
  });
  if (diagnostics.length > 0) throw new WorkflowError(diagnostics);
  return {
    app,
    stacks: workflows.map((workflow) => workflow.stack),
    workflows,
    environment,
    warnings: [
      ...environmentWarnings(environment, specs),
      ...workflows.flatMap((workflow) => workflow.stack.warnings),
    ],
  };
}

/**
 * The plan and checks stages on every file that loaded, even when others did not, so one synth
 * reports every problem of the folder; their errors join `diagnostics`.
 */
function analyzeAll(
  specs: readonly WorkflowSpec[],
  diagnostics: Diagnostic[],
  rootDir: string,
): AnalyzedWorkflow[] {
  const analyzed: AnalyzedWorkflow[] = [];
  for (const spec of specs) {
    try {
      analyzed.push(analyzeWorkflow(spec, { rootDir }));
    } catch (error) {
      if (!(error instanceof WorkflowError)) throw error;
      diagnostics.push(...error.diagnostics);
    }
  }
  return analyzed;
}

function builtWorkflow(workflow: AnalyzedWorkflow, stack: WorkflowStack): BuiltWorkflow {
  const { spec } = workflow;
  return {
    name: spec.name,
    resource: spec.api.resource,
    stackName: stack.stackName,
    file: spec.file,
    services: spec.steps.map((step) => ({
      step: step.name,
      ...(step.service === undefined ? {} : { service: step.service }),
      ...(step.serviceUrl === undefined ? {} : { url: step.serviceUrl }),
      http: step.handlerOrigin === 'http',
    })),
    stack,
  };
}

/**
 * The modules the project itself provides: the API handlers (start, status, operations), the
 * HTTP step handler when used
 * (HTTP steps and `compensate.request` run it), the operator function when a step awaits one.
 */
function checkBuiltInModules(rootDir: string, specs: readonly WorkflowSpec[]): void {
  const steps = specs.flatMap((spec) => spec.steps);
  const usesHttp = steps.some(
    (step) =>
      step.handlerOrigin === 'http' ||
      (step as { compensate?: { request?: unknown } }).compensate?.request !== undefined,
  );
  const usesOperator = steps.some(awaitsOperator);
  for (const entry of [
    ...Object.values(API_ENTRIES),
    ...(usesHttp ? [HTTP_STEP_ENTRY] : []),
    ...(usesOperator ? [OPERATOR_ENTRY] : []),
  ]) {
    if (!existsSync(join(rootDir, entry)))
      throw new Error(`built-in handler module ${entry} not found under ${rootDir}`);
  }
}

/**
 * A chosen environment that no file defines, while some define others, is most likely a typo:
 * every workflow then runs with its base (production) values.
 */
function environmentWarnings(environment: string | undefined, specs: readonly WorkflowSpec[]): string[] {
  if (environment === undefined) return [];
  const defined = [...new Set(specs.flatMap((spec) => spec.environments))];
  if (defined.length === 0 || defined.includes(environment)) return [];
  const match = closestMatch(environment, defined);
  return [
    `warning: no workflow file defines environment '${environment}'${match === undefined ? '' : ` (did you mean '${match}'?)`}; every workflow uses its base values (defined: ${defined.join(', ')})`,
  ];
}

/**
 * Account and region when known (context `account`/`region`, or what the CDK CLI found in the
 * AWS configuration); otherwise the stack stays environment-agnostic and synthesizes without
 * credentials.
 */
function awsEnvironment(app: App): Environment | undefined {
  const account = app.node.tryGetContext('account') ?? process.env.CDK_DEFAULT_ACCOUNT;
  const region = app.node.tryGetContext('region') ?? process.env.CDK_DEFAULT_REGION;
  if (account === undefined && region === undefined) return undefined;
  return {
    ...(account === undefined ? {} : { account: String(account) }),
    ...(region === undefined ? {} : { region: String(region) }),
  };
}

/** Relative to the working directory when inside it, so diagnostics read `config/x.yaml:3:`. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
