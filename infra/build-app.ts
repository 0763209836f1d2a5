import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type Environment } from 'aws-cdk-lib';
import { API_ENTRIES } from './api.ts';
import { contextOptions } from './stack-options.ts';
import { checkHandlerModules, type Diagnostic, loadWorkflows, WorkflowError } from './workflow/index.ts';
import { WorkflowStack, workflowStackName } from './workflow-stack.ts';

/** The repository root (this file lives in `<root>/infra/`). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /**
   * Folder holding the workflow files (every `*.yaml`/`*.yml` becomes one stack).
   * @default process.env.WORKFLOW_CONFIG_DIR, else `<rootDir>/config`
   */
  readonly configDir?: string;
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

/** What {@link buildApp} built. */
export interface BuiltApp {
  readonly app: App;
  readonly stacks: WorkflowStack[];
}

/**
 * Builds the CDK app: one {@link WorkflowStack} per workflow file. Pure construction; nothing is
 * printed and nothing exits.
 *
 * @throws WorkflowError with every diagnostic of every file (invalid workflow, missing handler
 *   module), or an Error naming the bad context key or missing API module
 *
 * @example
 * const { app, stacks } = buildApp({ bundling: false });
 * const template = app.synth().getStackByName(stacks[0]!.stackName).template;
 */
export function buildApp(opts: BuildAppOptions = {}): BuiltApp {
  const rootDir = resolve(opts.rootDir ?? REPO_ROOT);
  const configDir = opts.configDir ?? process.env.WORKFLOW_CONFIG_DIR ?? displayPath(join(rootDir, 'config'));
  const specs = loadWorkflows(configDir);

  // Collect every missing module before failing, like the loader does for file errors.
  const diagnostics: Diagnostic[] = [];
  for (const spec of specs) {
    try {
      checkHandlerModules(spec, rootDir);
    } catch (error) {
      if (!(error instanceof WorkflowError)) throw error;
      diagnostics.push(...error.diagnostics);
    }
  }
  if (diagnostics.length > 0) throw new WorkflowError(diagnostics);
  for (const entry of Object.values(API_ENTRIES)) {
    if (!existsSync(join(rootDir, entry)))
      throw new Error(`API handler module ${entry} not found under ${rootDir}`);
  }

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
  const env = environment(app);
  const stacks = specs.map(
    (spec) =>
      new WorkflowStack(app, workflowStackName(spec.name), {
        spec,
        rootDir,
        ...(opts.bundling === undefined ? {} : { bundling: opts.bundling }),
        ...(env === undefined ? {} : { env }),
        ...options,
      }),
  );
  return { app, stacks };
}

/**
 * Account and region when known (context `account`/`region`, or what the CDK CLI found in the
 * AWS configuration); otherwise the stack stays environment-agnostic and synthesizes without
 * credentials.
 */
function environment(app: App): Environment | undefined {
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
