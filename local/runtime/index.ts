/**
 * The offline runtime: synthesizes the CDK app in-process (or reads `cdk.out` for the bundled
 * assets), takes every state machine definition out of its template, and runs it on the local
 * engine (local/engine) with the real handlers in Lambda-like workers, dynalite for DynamoDB, each workflow's
 * offline services (loopback URLs as is, else its mock file), a Step Functions JSON endpoint and
 * one local API serving every workflow at its resource.
 */

import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { WorkflowSpec } from '../../infra/workflow/types.ts';
import { DEFAULTS, ENV } from '../../lambdas/contracts.ts';
import { startLocalApi } from '../api/server.ts';
import { createWorkflowTable, startDynalite } from '../dynamo.ts';
import type { RunningServices } from '../simulators/index.ts';
import { type ExecutionFiles, openExecutionFiles } from './execution-files.ts';
import { createExecutor, type ExecutionRecord, type StateMachineExecutor } from './executor.ts';
import { createLambdaAdapter, type LambdaAdapter } from './lambda-adapter.ts';
import type { LoadedWorkflow } from './load-models.ts';
import { loadModelsIsolated, type ModelsSource } from './load-models-isolated.ts';
import { type StepServiceRoute, startWorkflowServices, type WorkflowServices } from './offline-services.ts';
import { assertPortsFree } from './ports.ts';
import { type SfnEndpoint, startSfnEndpoint } from './sfn-endpoint.ts';
import { type ExecutionStatusEvent, statusEventListener } from './status-events.ts';
import { LOCAL_REGION, type LocalFunction, type LocalRoute } from './template.ts';

export type { ExecutionRecord, RecordedWait } from './executor.ts';
export type { ModelsSource } from './load-models-isolated.ts';
export type { StepServiceRoute } from './offline-services.ts';
export { PortInUseError } from './ports.ts';
export type { ExecutionStatusEvent } from './status-events.ts';
export type { LocalFunction, LocalModel } from './template.ts';

/** Fixed ports of {@link startLocalRuntime}; 0 picks a free one. */
export interface LocalRuntimePorts {
  /** The local API (every workflow at its resource). @default 0 */
  readonly api?: number;
  /** The Step Functions endpoint. @default 0 */
  readonly sfn?: number;
  /** DynamoDB (dynalite). @default 0 */
  readonly dynamodb?: number;
}

/** Options for {@link startLocalRuntime}. */
export interface LocalRuntimeOptions {
  /** Repository root. @default the folder above local/ */
  readonly rootDir?: string;
  /** Workflow files folder, passed to buildApp. @default buildApp's default (config/) */
  readonly configDir?: string;
  /** Tasker `environments.<env>` to apply. @default 'development' */
  readonly environment?: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default every port 0 (free ports; `npm start` passes 3000, 8083 and 8000) */
  readonly ports?: LocalRuntimePorts;
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
  /** Seed of the offline services' fault PRNGs and generated ids. @default 1 */
  readonly seed?: number;
  /**
   * Retry jitter source of every state machine (`JitterStrategy: FULL` waits `random() x` the
   * delay), for tests that need a known wait. @default Math.random
   */
  readonly random?: () => number;
  /** Warm workers per function at most; further invocations queue. @default os.availableParallelism() */
  readonly maxConcurrencyPerFunction?: number;
  /** Young generation cap of each Lambda sandbox's heap, in MB. @default 2 */
  readonly maxYoungGenerationSizeMb?: number;
  /** Load every function's module before returning (no cold starts in the first run). @default true */
  readonly prewarm?: boolean;
  /**
   * The local API's public base URL (a proxy in front of it): functions build their URLs from it,
   * never from the client's `Host`. @default the address it listens on
   */
  readonly apiPublicUrl?: string;
  /**
   * Callers of the local API are anonymous (`userArn` null), so a status is readable only with its
   * `status_url` token, as for a caller other than the starter in AWS. @default false (every
   * caller is LOCAL_CALLER_ARN, the starter of every execution)
   */
  readonly requireStatusToken?: boolean;
  /** Every line a function writes (JSON log lines). @default none: the sandboxes drop their output themselves */
  onLog?(line: string, functionId: string): void;
  /**
   * Every execution status change (RUNNING at start and redrive, then the end), as the
   * EventBridge "Step Functions Execution Status Change" event AWS would deliver. @default none
   */
  onExecutionStatusChange?(event: ExecutionStatusEvent): void;
  /**
   * Keep DynamoDB (`<dataDir>/dynamodb`) and the execution histories (`<dataDir>/executions`)
   * across restarts. Executions that were RUNNING when the runtime stopped come back ABORTED
   * (`Local.RuntimeRestarted`) and redrivable. @default none: every start is a clean slate
   */
  readonly dataDir?: string;
  /** Finished executions kept; older ones are dropped (and their files deleted). @default 1000 */
  readonly maxFinishedExecutions?: number;
}

/** A workflow as the runtime runs it. */
export interface LocalWorkflow {
  readonly name: string;
  /** The workflow file. */
  readonly file: string;
  readonly stackName: string;
  readonly stateMachineArn: string;
  readonly definition: Record<string, unknown>;
  /** Its DynamoDB table (idempotency keys, correlation IDs, step records). */
  readonly tableName: string;
  /** The API resource (`api.resource`): `POST <resourceUrl>`, `GET <resourceUrl>/{id}`. */
  readonly resource: string;
  /** e.g. `http://127.0.0.1:3000/orders` */
  readonly resourceUrl: string;
  /** The input schema's `examples` (the demo runs the first). */
  readonly examples: readonly unknown[];
  /** JSON Schema of the input. */
  readonly schema: Readonly<Record<string, unknown>>;
  /** The mock file, when it has one. */
  readonly mockFile: string | undefined;
  /** Its mocked/simulated services (undefined when it has none). */
  readonly services: RunningServices | undefined;
  /** How each step reaches its service. */
  readonly steps: readonly StepServiceRoute[];
  /** The parsed workflow file (the console draws its graph from it). */
  readonly spec: WorkflowSpec;
  /**
   * The Lambda function (its name, for `lambdas.killSandboxes`/`find`) each step runs on
   * (`Stepflow:Step` metadata); HTTP steps sharing one function map to the same name.
   */
  readonly stepFunctions: Readonly<Record<string, string>>;
  /** Its API Gateway methods (`POST /<resource>` starts an execution) and the functions behind them. */
  readonly routes: readonly LocalRoute[];
}

/** The running offline stack. */
export interface LocalRuntime {
  /** Base URL of the local API, e.g. `http://127.0.0.1:3000` (every workflow under it). */
  readonly apiUrl: string;
  /** API base URL per stack name (the one local API for all). */
  readonly apiUrls: Readonly<Record<string, string>>;
  readonly sfnEndpoint: string;
  /** Points at `sfnEndpoint` with dummy credentials. */
  readonly sfnClient: SFNClient;
  readonly dynamo: { readonly endpoint: string; readonly client: DynamoDBClient };
  /** The (first) workflow's table. */
  readonly tableName: string;
  readonly workflows: readonly LocalWorkflow[];
  /** Each workflow's offline services by workflow name (workflows with a mock file only). */
  readonly services: Readonly<Record<string, RunningServices>>;
  /** The workflow called `name`; throws naming the workflows there are. */
  workflow(name: string): LocalWorkflow;
  /** The Tasker environment applied. */
  readonly environment: string;
  readonly timeScale: number;
  readonly lambdas: LambdaAdapter;
  /** The in-process record of an execution (history, waits the definition asked for). */
  getExecution(executionArn: string): ExecutionRecord | undefined;
  /** Milliseconds from the call to ready. */
  readonly startupMs: number;
  /** Where the models came from (local/runtime/load-models-isolated.ts). */
  readonly synthesis: ModelsSource;
  /** Executions brought back from `dataDir` at start (0 without it). */
  readonly restoredExecutions: number;
  close(): Promise<void>;
}

/** The Tasker environment the offline runtime applies unless told otherwise. */
export const DEFAULT_ENVIRONMENT = 'development';
/** The project's root: config/ and cdk.out live here unless told otherwise. */
export const DEFAULT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

type Closers = Array<() => Promise<void>>;

async function startExecutors(
  loaded: readonly LoadedWorkflow[],
  invoke: (arn: string, payload: unknown) => Promise<unknown>,
  timeScale: number,
  onStatusChange: ((record: ExecutionRecord) => void) | undefined,
  random: (() => number) | undefined,
) {
  const executors: StateMachineExecutor[] = [];
  for (const { model } of loaded) {
    for (const machine of model.stateMachines)
      executors.push(
        await createExecutor({
          machine,
          invoke,
          timeScale,
          ...(onStatusChange ? { onStatusChange } : {}),
          ...(random ? { random } : {}),
        }),
      );
  }
  return executors;
}

/** Serves the saved executions again; those that were RUNNING are saved again as ABORTED. */
function restoreExecutions(
  files: ExecutionFiles,
  executors: readonly StateMachineExecutor[],
  endpoint: SfnEndpoint,
): number {
  let restored = 0;
  for (const saved of files.load()) {
    // A workflow that is gone (renamed, removed from config/) keeps its files for when it is back.
    const executor = executors.find((candidate) => candidate.machine.arn === saved.stateMachineArn);
    if (!executor) continue;
    const record = executor.restore(saved.snapshot);
    endpoint.adopt(record, saved.startedVia);
    if (saved.snapshot.status !== record.status) files.touch(record);
    restored += 1;
  }
  return restored;
}

/** An input schema's `examples` (none when it has no array of them). */
export function examplesOf(schema: unknown): readonly unknown[] {
  const examples = (schema as { examples?: unknown } | undefined)?.examples;
  return Array.isArray(examples) ? examples : [];
}

function workflowOf(
  loaded: LoadedWorkflow,
  apiUrl: string,
  services: WorkflowServices | undefined,
): LocalWorkflow {
  const { model, spec } = loaded;
  const machine = model.stateMachines[0]!;
  return {
    name: spec.name,
    file: spec.file,
    stackName: model.stackName,
    stateMachineArn: machine.arn,
    definition: machine.definition,
    tableName: Object.values(model.tables)[0] ?? '',
    resource: spec.api.resource,
    resourceUrl: `${apiUrl}/${spec.api.resource}`,
    examples: examplesOf(spec.schema),
    schema: spec.schema,
    mockFile: services?.mockFile,
    services: services?.services,
    steps: services?.steps ?? [],
    spec,
    stepFunctions: Object.fromEntries(
      model.functions.flatMap((fn) => (fn.step === undefined ? [] : [[fn.step, fn.functionName]])),
    ),
    routes: model.routes,
  };
}

function runtimeView(parts: {
  apiUrl: string;
  loaded: readonly LoadedWorkflow[];
  offline: readonly WorkflowServices[];
  endpoint: SfnEndpoint;
  dynamo: { endpoint: string; client: DynamoDBClient };
  sfnClient: SFNClient;
  lambdas: LambdaAdapter;
  environment: string;
  timeScale: number;
  startedAt: number;
  restoredExecutions: number;
  synthesis: ModelsSource;
  close: () => Promise<void>;
}): LocalRuntime {
  const workflows = parts.loaded.map((loaded) =>
    workflowOf(
      loaded,
      parts.apiUrl,
      parts.offline.find((entry) => entry.workflow === loaded.spec.name),
    ),
  );
  const services: Record<string, RunningServices> = {};
  for (const workflow of workflows) if (workflow.services) services[workflow.name] = workflow.services;
  return {
    apiUrl: parts.apiUrl,
    apiUrls: Object.fromEntries(workflows.map((workflow) => [workflow.stackName, parts.apiUrl])),
    sfnEndpoint: parts.endpoint.url,
    sfnClient: parts.sfnClient,
    dynamo: parts.dynamo,
    tableName: Object.values(parts.loaded[0]?.model.tables ?? {})[0] ?? '',
    workflows,
    services,
    workflow(name) {
      const found = workflows.find((workflow) => workflow.name === name);
      if (!found)
        throw new Error(`no workflow '${name}' (workflows: ${workflows.map((w) => w.name).join(', ')})`);
      return found;
    },
    environment: parts.environment,
    timeScale: parts.timeScale,
    lambdas: parts.lambdas,
    getExecution: (arn) => parts.endpoint.getExecution(arn),
    startupMs: Math.round(performance.now() - parts.startedAt),
    restoredExecutions: parts.restoredExecutions,
    synthesis: parts.synthesis,
    close: parts.close,
  };
}

/**
 * The breaker's cool-down and window on the runtime's clock: its CircuitOpen Retrier waits
 * `cool_down_seconds / timeScale` offline, so the handlers' breaker (wall clock) must cool down
 * as fast, or a scaled run spends the outage budget before one probe.
 */
function scaledBreaker(env: Readonly<Record<string, string>>, timeScale: number): Record<string, string> {
  const raw = env[ENV.circuitBreaker];
  if (timeScale === 1 || raw === undefined || raw.trim() === '' || raw.trim() === 'off') return {};
  let settings: Record<string, unknown>;
  try {
    settings = { ...DEFAULTS_BREAKER_JSON, ...(JSON.parse(raw) as Record<string, unknown>) };
  } catch {
    return {}; // the handler reports the bad value itself
  }
  for (const key of ['window_seconds', 'cool_down_seconds'] as const) {
    if (typeof settings[key] === 'number') settings[key] = (settings[key] as number) / timeScale;
  }
  return { [ENV.circuitBreaker]: JSON.stringify(settings) };
}

const DEFAULTS_BREAKER_JSON = {
  failure_threshold: DEFAULTS.circuitBreaker.failureThreshold,
  window_seconds: DEFAULTS.circuitBreaker.windowSeconds,
  cool_down_seconds: DEFAULTS.circuitBreaker.coolDownSeconds,
  max_outage_seconds: DEFAULTS.circuitBreaker.maxOutageSeconds,
};

function adapterFor(
  functions: readonly LocalFunction[],
  endpoint: SfnEndpoint,
  dynamoEndpoint: string,
  opts: LocalRuntimeOptions,
): LambdaAdapter {
  const overrides = opts.envOverrides ?? {};
  return createLambdaAdapter({
    functions: functions.map((fn) => ({
      ...fn,
      env: { ...fn.env, ...scaledBreaker(fn.env, opts.timeScale ?? 1), ...overrides },
    })),
    sharedEnv: {
      AWS_ENDPOINT_URL_SFN: endpoint.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    },
    ...(opts.onLog ? { onLog: opts.onLog } : {}),
    ...(opts.maxConcurrencyPerFunction ? { maxConcurrencyPerFunction: opts.maxConcurrencyPerFunction } : {}),
    ...(opts.maxYoungGenerationSizeMb ? { maxYoungGenerationSizeMb: opts.maxYoungGenerationSizeMb } : {}),
  });
}

/**
 * Starts everything on loopback and returns when the API answers. Fixed ports are checked first,
 * so a busy one is reported before the synthesis; every step's service is resolved before any
 * server starts (an unreachable one is a `file:line` error naming the mock file to write).
 *
 * @throws PortInUseError, WorkflowError (workflow or mock file problems), or Error
 * @example
 * const runtime = await startLocalRuntime({ timeScale: 20 });
 * const orders = runtime.workflow('order_fulfillment');
 * const res = await fetch(orders.resourceUrl, { method: 'POST', body: JSON.stringify(orders.examples[0]) });
 * await runtime.close();
 */
export async function startLocalRuntime(opts: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const startedAt = performance.now();
  const rootDir = resolve(opts.rootDir ?? DEFAULT_ROOT);
  const host = opts.host ?? '127.0.0.1';
  const timeScale = opts.timeScale ?? 1;
  const environment = opts.environment ?? DEFAULT_ENVIRONMENT;
  const ports = opts.ports ?? {};
  await assertPortsFree(
    [
      { name: 'local API', port: ports.api ?? 0 },
      { name: 'Step Functions endpoint', port: ports.sfn ?? 0 },
      { name: 'DynamoDB (dynalite)', port: ports.dynamodb ?? 0 },
    ],
    host,
  );
  const closers: Closers = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.splice(0).reverse()) await closer().catch(() => undefined);
  };
  try {
    const { loaded, source: synthesis } = await loadModelsIsolated({
      rootDir,
      environment,
      configDir: opts.configDir,
      bundled: opts.bundled,
      cdkOutDir: opts.cdkOutDir,
    });
    const offline = await startWorkflowServices(
      loaded.map(({ model, spec }) => ({ spec, functions: model.functions })),
      { rootDir, host, seed: opts.seed ?? 1 },
    );
    closers.push(offline.close);
    const dataDir = opts.dataDir === undefined ? undefined : resolve(opts.dataDir);
    const dynamo = await startDynalite({
      host,
      port: ports.dynamodb ?? 0,
      ...(dataDir ? { path: join(dataDir, 'dynamodb') } : {}),
    });
    closers.push(() => dynamo.close());
    const tables = loaded.flatMap(({ model }) => Object.values(model.tables));
    await Promise.all(tables.map((table) => createWorkflowTable(dynamo.client, table)));

    let lambdas: LambdaAdapter | undefined;
    const invoke = (functionArn: string, payload: unknown): Promise<unknown> =>
      lambdas!.invoke(functionArn, payload);
    let sfnEndpoint: SfnEndpoint | undefined;
    let files: ExecutionFiles | undefined;
    const startedVia = (arn: string) => sfnEndpoint?.startedVia(arn);
    const events = opts.onExecutionStatusChange
      ? statusEventListener(opts.onExecutionStatusChange.bind(opts), startedVia)
      : undefined;
    const onStatusChange = (record: ExecutionRecord): void => {
      events?.(record);
      // After StartExecution returned, so the file carries the alias/version it was started through.
      if (files) queueMicrotask(() => files?.touch(record));
    };
    const executors = await startExecutors(loaded, invoke, timeScale, onStatusChange, opts.random);
    const endpoint = await startSfnEndpoint({
      executors,
      host,
      port: ports.sfn ?? 0,
      ...(opts.maxFinishedExecutions === undefined
        ? {}
        : { maxFinishedExecutions: opts.maxFinishedExecutions }),
      onDropped: (record) => files?.remove(record.executionArn),
    });
    sfnEndpoint = endpoint;
    if (dataDir) files = openExecutionFiles(join(dataDir, 'executions'), { startedVia });
    const restoredExecutions = files ? restoreExecutions(files, executors, endpoint) : 0;
    closers.push(() => endpoint.close());
    const adapter = adapterFor(offline.functions, endpoint, dynamo.endpoint, opts);
    lambdas = adapter;
    closers.push(() => adapter.close());
    // Runs before the adapter closes (closers run in reverse): executions stop instead of
    // retrying against sandboxes that are going away.
    closers.push(async () => {
      for (const record of endpoint.executions()) {
        if (record.status === 'RUNNING') record.stop('Local.Shutdown', 'runtime closed');
      }
    });
    // Runs before the executions are stopped: they are saved as they were, RUNNING, and come
    // back ABORTED (Local.RuntimeRestarted) on the next start, as after a crash.
    if (files) closers.push(async () => files?.close());
    if (opts.prewarm !== false) await adapter.prewarm();

    // One API for every workflow: resources are unique across files (the loader checks).
    const api = await startLocalApi({
      host,
      port: ports.api ?? 0,
      routes: loaded.flatMap(({ model }) => model.routes),
      invoke: (functionId, event) => adapter.invoke(functionId, event) as never,
      ...(opts.apiPublicUrl ? { publicUrl: opts.apiPublicUrl } : {}),
      ...(opts.requireStatusToken ? { callerArn: null } : {}),
    });
    closers.push(() => api.close());
    const sfnClient = new SFNClient({
      endpoint: endpoint.url,
      region: LOCAL_REGION,
      credentials: CREDENTIALS,
    });
    closers.push(async () => sfnClient.destroy());
    return runtimeView({
      apiUrl: api.url,
      loaded,
      offline: offline.services,
      endpoint,
      dynamo: { endpoint: dynamo.endpoint, client: dynamo.client },
      sfnClient,
      lambdas: adapter,
      environment,
      timeScale,
      startedAt,
      restoredExecutions,
      synthesis,
      close,
    });
  } catch (error) {
    await close();
    throw error;
  }
}
