/**
 * The artifacts the offline runtime runs: each stack's synthesized template (in-process, or the
 * bundled cloud assembly in `cdk.out`) read into a local model, with the workflow spec it was
 * built from (for file:line messages, the API resource and the input examples).
 *
 * In-process, the start function runs from source: it gets `WORKFLOW_VALIDATOR_MODULE`, the
 * validator module the synth step generates for its bundle (standalone-validator.ts), so local
 * requests validate with the same generated code as the deployed function and no sandbox compiles
 * the schema with ajv. A bundled `cdk.out` asset has that module inside already.
 */
import { readFileSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { WorkflowSpec } from '../../infra/workflow/types.ts';
import { API_ENV } from '../../lambdas/contracts.ts';
import { type CfnTemplate, type LocalModel, readTemplate } from './template.ts';

/** What {@link loadModels} reads. */
export interface LoadModelsOptions {
  readonly rootDir: string;
  /** @default buildApp's default (config/) */
  readonly configDir?: string | undefined;
  /** Tasker `environments.<env>` applied by buildApp. @default none (base values) */
  readonly environment?: string | undefined;
  /** Read `cdk.out` instead of synthesizing. @default false */
  readonly bundled?: boolean | undefined;
  /** @default `<rootDir>/cdk.out` */
  readonly cdkOutDir?: string | undefined;
}

/** A stack's model with the spec of its workflow. */
export interface LoadedWorkflow {
  readonly model: LocalModel;
  readonly spec: WorkflowSpec;
}

type Manifest = { artifacts?: Record<string, { type?: string; properties?: { templateFile?: string } }> };

function readCloudAssembly(cdkOutDir: string): Array<[string, CfnTemplate]> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(cdkOutDir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    throw new Error(`${join(cdkOutDir, 'manifest.json')}: no cloud assembly; run 'npx cdk synth' first`);
  }
  const templates: Array<[string, CfnTemplate]> = [];
  for (const [name, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const file = join(cdkOutDir, artifact.properties.templateFile);
    templates.push([name, JSON.parse(readFileSync(file, 'utf8')) as CfnTemplate]);
  }
  return templates;
}

interface Synthesized {
  readonly templates: Array<[string, CfnTemplate]>;
  readonly specs: WorkflowSpec[];
  /** Gives a model's start function the generated validator module (in-process synthesis only). */
  readonly withValidatorModule?: (model: LocalModel, spec: WorkflowSpec) => LocalModel;
}

async function synthesize(opts: LoadModelsOptions): Promise<Synthesized> {
  // aws-cdk-lib is large: Node's on-disk compile cache makes later starts load it faster.
  enableCompileCache(join(tmpdir(), 'stepflow-node-compile-cache'));
  const { buildApp } = await import('../../infra/build-app.ts');
  const { app, stacks } = buildApp({
    bundling: false,
    rootDir: opts.rootDir,
    // CDK's CloudFormation validation (a WASM rules engine) takes seconds and only matters for
    // deployment; `cdk synth`/`cdk deploy` still run it.
    cloudFormationValidation: false,
    ...(opts.configDir === undefined ? {} : { configDir: opts.configDir }),
    ...(opts.environment === undefined ? {} : { environment: opts.environment }),
  });
  const assembly = app.synth();
  const { API_ENTRIES } = await import('../../infra/api.ts');
  const { writeStartEntry } = await import('../../lambdas/api/standalone-validator.ts');
  const startModule = join(opts.rootDir, API_ENTRIES.start);
  return {
    templates: stacks.map((stack) => [
      stack.stackName,
      assembly.getStackByName(stack.stackName).template as CfnTemplate,
    ]),
    specs: stacks.map((stack) => stack.spec),
    withValidatorModule: (model, spec) => {
      if (!model.functions.some((fn) => fn.modulePath === startModule)) return model;
      const { validatorModule } = writeStartEntry(opts.rootDir, spec.schema);
      const functions = model.functions.map((fn) =>
        fn.modulePath === startModule
          ? { ...fn, env: { ...fn.env, [API_ENV.validatorModule]: validatorModule } }
          : fn,
      );
      return { ...model, functions };
    },
  };
}

/**
 * The workflow files without the synthesis (a parse and the compiler's checks: milliseconds),
 * from the folder the app reads: `configDir`, else `WORKFLOW_CONFIG_DIR`, else `<rootDir>/config`.
 * @throws WorkflowError with the files' diagnostics
 */
export async function loadSpecs(
  opts: Pick<LoadModelsOptions, 'rootDir' | 'configDir' | 'environment'>,
): Promise<WorkflowSpec[]> {
  const { loadWorkflows } = await import('../../infra/workflow/parse.ts');
  const dir = opts.configDir ?? process.env.WORKFLOW_CONFIG_DIR ?? join(opts.rootDir, 'config');
  return loadWorkflows(dir, { environment: opts.environment });
}

/**
 * Every workflow stack as a local model with its spec.
 * @throws WorkflowError (the compiler's diagnostics) or Error naming what is missing
 */
export async function loadModels(opts: LoadModelsOptions): Promise<LoadedWorkflow[]> {
  const cdkOutDir = opts.bundled ? resolve(opts.cdkOutDir ?? join(opts.rootDir, 'cdk.out')) : undefined;
  const { templates, specs, withValidatorModule }: Synthesized = cdkOutDir
    ? { templates: readCloudAssembly(cdkOutDir), specs: await loadSpecs(opts) }
    : await synthesize(opts);
  if (templates.length === 0) throw new Error('no workflow stack found to run');
  // Logical ids repeat across stacks (each has its own API functions), so local names carry the
  // stack name; always, so a workflow's ARNs do not change when another workflow is added.
  return templates.map(([stackName, template]) => {
    const model = readTemplate(stackName, template, {
      rootDir: opts.rootDir,
      ...(cdkOutDir === undefined ? {} : { cdkOutDir }),
      namePrefix: `${stackName}-`,
    });
    const workflow = model.stateMachines[0]?.workflow;
    const spec = specs.find((candidate) => candidate.name === workflow);
    if (!spec) {
      throw new Error(
        `stack ${stackName} runs workflow '${workflow}', which no workflow file defines${cdkOutDir ? ` (is ${cdkOutDir} older than the workflow files? run 'npx cdk synth')` : ''}`,
      );
    }
    return { model: withValidatorModule?.(model, spec) ?? model, spec };
  });
}
