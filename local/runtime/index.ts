/**
 * The offline runtime: synthesizes the CDK app in-process (or reads `cdk.out` for the bundled
 * assets), takes every state machine definition out of its template, and runs it on the local
 * engine (local/engine) with the real handlers in Lambda-like workers, dynalite for DynamoDB,
 * the service simulators, a Step Functions JSON endpoint and the local API.
 */
import { readFileSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { startLocalApi } from '../api/server.ts';
import { createWorkflowTable, startDynalite } from '../dynamo.ts';
import { type Simulators, startSimulators } from '../simulators/index.ts';
import { createExecutor, type ExecutionRecord, type StateMachineExecutor } from './executor.ts';
import { createLambdaAdapter, type LambdaAdapter } from './lambda-adapter.ts';
import { type SfnEndpoint, startSfnEndpoint } from './sfn-endpoint.ts';
import {
  type CfnTemplate,
  LOCAL_REGION,
  type LocalFunction,
  type LocalModel,
  readTemplate,
} from './template.ts';

export type { ExecutionRecord, RecordedWait } from './executor.ts';
export type { LocalFunction, LocalModel } from './template.ts';

/** Options for {@link startLocalRuntime}. */
export interface LocalRuntimeOptions {
  /** Repository root. @default the folder above local/ */
  readonly rootDir?: string;
  /** Workflow files folder, passed to buildApp. @default buildApp's default (config/) */
  readonly configDir?: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Port of the local API. @default 0 (a free port) */
  readonly apiPort?: number;
  /**
   * Run the bundled assets from `cdk.out` (run `npx cdk synth` first) instead of synthesizing
   * in-process and running handlers from source. @default false
   */
  readonly bundled?: boolean;
  /** Folder of the cloud assembly for `bundled`. @default `<rootDir>/cdk.out` */
  readonly cdkOutDir?: string;
  /** Retry intervals and Wait states run this many times faster (history keeps the asked delay). @default 1 */
  readonly timeScale?: number;
  /** Extra variables for every function, applied last. @default {} */
  readonly envOverrides?: Readonly<Record<string, string>>;
  /** Simulators to use instead of starting new ones (the caller closes them). @default new ones */
  readonly simulators?: Simulators;
  /** Seed for simulators started here. @default 1 */
  readonly seed?: number;
  /** Warm workers per function at most; further invocations queue. @default 4 */
  readonly maxConcurrencyPerFunction?: number;
  /** Load every function's module before returning (no cold starts in the first run). @default true */
  readonly prewarm?: boolean;
  /** Every line a function writes (JSON log lines). @default dropped */
  onLog?(line: string, functionId: string): void;
}

/** A workflow's state machine as the runtime runs it. */
export interface LocalWorkflow {
  readonly name: string;
  readonly stackName: string;
  readonly stateMachineArn: string;
  readonly definition: Record<string, unknown>;
}

/** The running offline stack. */
export interface LocalRuntime {
  /** Base URL of the (first) workflow's API, e.g. `http://127.0.0.1:3000`. */
  readonly apiUrl: string;
  /** API base URL per stack name. */
  readonly apiUrls: Readonly<Record<string, string>>;
  readonly sfnEndpoint: string;
  /** Points at `sfnEndpoint` with dummy credentials. */
  readonly sfnClient: SFNClient;
  readonly simulators: Simulators;
  readonly dynamo: { readonly endpoint: string; readonly client: DynamoDBClient };
  /** The (first) workflow's table. */
  readonly tableName: string;
  readonly workflows: readonly LocalWorkflow[];
  readonly timeScale: number;
  readonly lambdas: LambdaAdapter;
  /** The in-process record of an execution (history, waits the definition asked for). */
  getExecution(executionArn: string): ExecutionRecord | undefined;
  /** Milliseconds from the call to ready. */
  readonly startupMs: number;
  close(): Promise<void>;
}

const DEFAULT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function loadModels(opts: LocalRuntimeOptions, rootDir: string): Promise<LocalModel[]> {
  const templates: Array<[string, CfnTemplate]> = [];
  let cdkOutDir: string | undefined;
  if (opts.bundled) {
    cdkOutDir = resolve(opts.cdkOutDir ?? join(rootDir, 'cdk.out'));
    let manifest: { artifacts?: Record<string, { type?: string; properties?: { templateFile?: string } }> };
    try {
      manifest = JSON.parse(readFileSync(join(cdkOutDir, 'manifest.json'), 'utf8')) as typeof manifest;
    } catch {
      throw new Error(`${join(cdkOutDir, 'manifest.json')}: no cloud assembly; run 'npx cdk synth' first`);
    }
    for (const [name, artifact] of Object.entries(manifest.artifacts ?? {})) {
      if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
      const file = join(cdkOutDir, artifact.properties.templateFile);
      templates.push([name, JSON.parse(readFileSync(file, 'utf8')) as CfnTemplate]);
    }
  } else {
    // aws-cdk-lib is large: Node's on-disk compile cache makes later starts load it faster.
    enableCompileCache(join(tmpdir(), 'stepflow-node-compile-cache'));
    const { buildApp } = await import('../../infra/build-app.ts');
    const { app, stacks } = buildApp({
      bundling: false,
      rootDir,
      ...(opts.configDir === undefined ? {} : { configDir: opts.configDir }),
    });
    // CDK's built-in CloudFormation validation (a WASM rules engine) takes seconds and only
    // matters for deployment; `cdk synth`/`cdk deploy` still run it. Skip it for this in-process synth.
    const previous = process.env.CDK_VALIDATION;
    process.env.CDK_VALIDATION = 'false';
    let assembly: ReturnType<typeof app.synth>;
    try {
      assembly = app.synth();
    } finally {
      if (previous === undefined) delete process.env.CDK_VALIDATION;
      else process.env.CDK_VALIDATION = previous;
    }
    for (const stack of stacks) {
      templates.push([stack.stackName, assembly.getStackByName(stack.stackName).template as CfnTemplate]);
    }
  }
  if (templates.length === 0) throw new Error('no workflow stack found to run');
  // Logical ids repeat across stacks (each has its own API functions): qualify names then.
  const qualify = templates.length > 1;
  return templates.map(([stackName, template]) =>
    readTemplate(stackName, template, {
      rootDir,
      ...(cdkOutDir === undefined ? {} : { cdkOutDir }),
      ...(qualify ? { namePrefix: `${stackName}-` } : {}),
    }),
  );
}

/** Points each step at its simulator: `SERVICE_NAME` names the service (handler_config.service). */
function localEnv(fn: LocalFunction, simulators: Simulators, overrides: Readonly<Record<string, string>>) {
  const service = fn.env.SERVICE_NAME as keyof Simulators['urls'] | undefined;
  const url = service ? simulators.urls[service] : undefined;
  return { ...fn, env: { ...fn.env, ...(url ? { SERVICE_URL: url } : {}), ...overrides } };
}

/**
 * Starts everything on loopback and returns when the API answers.
 *
 * @example
 * const runtime = await startLocalRuntime({ timeScale: 20 });
 * const res = await fetch(`${runtime.apiUrl}/registrations`, { method: 'POST', body: JSON.stringify(body) });
 * await runtime.close();
 */
export async function startLocalRuntime(opts: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const startedAt = performance.now();
  const rootDir = resolve(opts.rootDir ?? DEFAULT_ROOT);
  const host = opts.host ?? '127.0.0.1';
  const timeScale = opts.timeScale ?? 1;
  const closers: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.splice(0).reverse()) await closer().catch(() => undefined);
  };
  try {
    const [models, dynamo, simulators] = await Promise.all([
      loadModels(opts, rootDir),
      startDynalite({ host }),
      opts.simulators ? Promise.resolve(opts.simulators) : startSimulators({ host, seed: opts.seed ?? 1 }),
    ]);
    closers.push(() => dynamo.close());
    if (!opts.simulators) closers.push(() => simulators.close());
    const tables = models.flatMap((model) => Object.values(model.tables));
    await Promise.all(tables.map((table) => createWorkflowTable(dynamo.client, table)));

    let lambdas: LambdaAdapter | undefined;
    const invoke = (functionArn: string, payload: unknown): Promise<unknown> =>
      lambdas!.invoke(functionArn, payload);
    const executors: StateMachineExecutor[] = [];
    const workflows: LocalWorkflow[] = [];
    for (const model of models) {
      for (const machine of model.stateMachines) {
        executors.push(await createExecutor({ machine, invoke, timeScale }));
        const { workflow, stackName, arn, definition } = { ...machine, stackName: model.stackName };
        workflows.push({ name: workflow, stackName, stateMachineArn: arn, definition });
      }
    }
    const endpoint: SfnEndpoint = await startSfnEndpoint({ executors, host });
    closers.push(() => endpoint.close());

    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    lambdas = createLambdaAdapter({
      functions: models.flatMap((model) =>
        model.functions.map((fn) => localEnv(fn, simulators, opts.envOverrides ?? {})),
      ),
      sharedEnv: {
        AWS_ENDPOINT_URL_SFN: endpoint.url,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      },
      ...(opts.onLog ? { onLog: opts.onLog } : {}),
      ...(opts.maxConcurrencyPerFunction
        ? { maxConcurrencyPerFunction: opts.maxConcurrencyPerFunction }
        : {}),
    });
    const adapter = lambdas;
    closers.push(() => adapter.close());
    // Runs before the adapter closes (closers run in reverse): executions stop instead of
    // retrying against sandboxes that are going away.
    closers.push(async () => {
      for (const record of endpoint.executions()) {
        if (record.status === 'RUNNING') record.stop('Local.Shutdown', 'runtime closed');
      }
    });
    if (opts.prewarm !== false) await adapter.prewarm();

    const apiUrls: Record<string, string> = {};
    for (const [index, model] of models.entries()) {
      if (model.routes.length === 0) continue;
      const api = await startLocalApi({
        host,
        // A fixed port can serve one API only; further stacks get free ports.
        port: index === 0 ? (opts.apiPort ?? 0) : 0,
        routes: model.routes,
        invoke: (functionId, event) => adapter.invoke(functionId, event) as never,
      });
      closers.push(() => api.close());
      apiUrls[model.stackName] = api.url;
    }
    const sfnClient = new SFNClient({ endpoint: endpoint.url, region: LOCAL_REGION, credentials });
    closers.push(async () => sfnClient.destroy());
    const first = models[0]!;
    return {
      apiUrl: apiUrls[first.stackName] ?? '',
      apiUrls,
      sfnEndpoint: endpoint.url,
      sfnClient,
      simulators,
      dynamo: { endpoint: dynamo.endpoint, client: dynamo.client },
      tableName: Object.values(first.tables)[0] ?? '',
      workflows,
      timeScale,
      lambdas: adapter,
      getExecution: (arn) => endpoint.getExecution(arn),
      startupMs: Math.round(performance.now() - startedAt),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
