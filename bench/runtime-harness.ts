/**
 * What the runtime benchmarks share: the offline runtime with a DynamoDB request counter and a
 * CPU clock per thread, registrations through the local API, and the same handlers run in-process
 * against the same simulators and dynalite (the "no orchestrator" comparison): the five step
 * handlers in plain sequence, and for benchmark 2 the start function before them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { LOCAL_CALLER_ARN, undoStepId } from '../lambdas/contracts.ts';
import { buildProxyEvent } from '../local/api/api-gateway-event.ts';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../local/runtime/index.ts';
import type { LocalFunction } from '../local/runtime/template.ts';
import { type StartExecutionStub, startExecutionStub } from './start-execution-stub.ts';

/** The payload `step` suffix of a compensation's Task state. */
const COMPENSATION_SUFFIX = undoStepId('');

export {
  awaitTerminal,
  postRegistration,
  registrationBody,
  type StartedExecution,
} from './registration-client.ts';

/**
 * Warm Lambda workers per function in every runtime benchmark (benchmarks 1, 2, 4, the profile
 * and the memory run): one setting throughout, so figures annotate the same runtime. It is the
 * runtime's own default when unset (`undefined`); the notes print what it was.
 */
export const BENCH_WORKERS_PER_FUNCTION: number | undefined = undefined;

/** DynamoDB requests by operation (`PutItem`, `GetItem`, ...). */
export type DynamoCounts = Record<string, number>;

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

/** Read and write requests in a count (other operations, such as CreateTable, are left out). */
export function readsAndWrites(counts: DynamoCounts): { reads: number; writes: number } {
  let reads = 0;
  let writes = 0;
  for (const [op, n] of Object.entries(counts)) {
    if (READS.has(op)) reads += n;
    if (WRITES.has(op)) writes += n;
  }
  return { reads, writes };
}

/**
 * Counts requests reaching the local DynamoDB, by operation (`X-Amz-Target`). dynalite is a
 * node:http server in this process, so Node's `http.server.request.start` diagnostics channel
 * sees every request, from the API Lambdas and step Lambdas alike, without touching their code.
 */
export function countDynamoRequests(port: number): { snapshot(): DynamoCounts; stop(): void } {
  const counts: DynamoCounts = {};
  const onRequest = (message: unknown): void => {
    const { request } = message as { request: IncomingMessage };
    if (request.socket.localPort !== port) return;
    const target = String(request.headers['x-amz-target'] ?? '');
    const op = target.split('.').at(-1) || 'unknown';
    counts[op] = (counts[op] ?? 0) + 1;
  };
  subscribe('http.server.request.start', onRequest);
  return {
    snapshot: () => ({ ...counts }),
    stop: () => unsubscribe('http.server.request.start', onRequest),
  };
}

/** Difference of two counter snapshots. */
export function diffCounts(after: DynamoCounts, before: DynamoCounts): DynamoCounts {
  const diff: DynamoCounts = {};
  for (const [op, n] of Object.entries(after))
    if (n - (before[op] ?? 0) > 0) diff[op] = n - (before[op] ?? 0);
  return diff;
}

/** CPU time by thread since the threads started, µs: read twice and diff with {@link diffThreadCpu}. */
export interface ThreadCpu {
  /** Every thread of the process (`process.cpuUsage()`). */
  readonly totalUs: number;
  /**
   * The main thread (`process.threadCpuUsage()`): the engine, the local API, the Step Functions
   * endpoint, dynalite, the simulators and the bench's own client all run on it.
   */
  readonly mainUs: number;
  /** Each live Lambda sandbox by threadId (`rt.lambdas.cpuUsage()`, from `worker.cpuUsage()`). */
  readonly workersUs: ReadonlyMap<number, number>;
}

/** CPU ms spent between two {@link ThreadCpu} readings, by thread. */
export interface ThreadCpuSplit {
  readonly totalMs: number;
  readonly mainMs: number;
  /** Worker threads alive at the second reading (one started in between counts from 0). */
  readonly workersMs: number;
  /**
   * The rest: V8's and libuv's helper threads (concurrent GC and compilation, the thread pool),
   * and workers that exited in between (their CPU can no longer be read).
   */
  readonly otherMs: number;
  /** Workers alive at the first reading and gone at the second. */
  readonly workersExited: number;
}

/** `after - before`, by thread, in ms. */
export function diffThreadCpu(after: ThreadCpu, before: ThreadCpu): ThreadCpuSplit {
  let workersUs = 0;
  for (const [id, us] of after.workersUs) workersUs += us - (before.workersUs.get(id) ?? 0);
  let workersExited = 0;
  for (const id of before.workersUs.keys()) if (!after.workersUs.has(id)) workersExited++;
  const totalUs = after.totalUs - before.totalUs;
  const mainUs = after.mainUs - before.mainUs;
  return {
    totalMs: totalUs / 1000,
    mainMs: mainUs / 1000,
    workersMs: workersUs / 1000,
    otherMs: (totalUs - mainUs - workersUs) / 1000,
    workersExited,
  };
}

const usOf = (usage: NodeJS.CpuUsage): number => usage.user + usage.system;

/** The runtime with a DynamoDB counter attached. */
export interface BenchRuntime {
  readonly rt: LocalRuntime;
  readonly dynamo: { snapshot(): DynamoCounts };
  /** Step name -> task state's function, in the definition's order (forward steps, no compensations). */
  readonly stepFunctions: ReadonlyArray<{ step: string; functionId: string }>;
  /** The function behind the workflow's `POST` route (the start function), and the route's path. */
  readonly startFunction: { readonly fn: LocalFunction; readonly path: string };
  /** Reads every thread's CPU clock: the process, the main thread and each live Lambda sandbox. */
  threadCpu(): Promise<ThreadCpu>;
  /** The StartExecution stub the in-process start function calls (started on first use). */
  executionStub(): Promise<StartExecutionStub>;
  close(): Promise<void>;
}

/** Starts the offline runtime (synthesized in-process, handlers from source) and the counter. */
export async function startBenchRuntime(opts: LocalRuntimeOptions = {}): Promise<BenchRuntime> {
  const rt = await startLocalRuntime(opts);
  const counter = countDynamoRequests(Number(new URL(rt.dynamo.endpoint).port));
  const stepFunctions: Array<{ step: string; functionId: string }> = [];
  const visit = (
    states: Record<
      string,
      {
        Type?: string;
        Resource?: string;
        Parameters?: { step?: string };
        Branches?: Array<{ States: Record<string, never> }>;
      }
    >,
  ): void => {
    for (const [name, state] of Object.entries(states)) {
      const step = state.Parameters?.step ?? name;
      // A registration that succeeds runs the forward steps only: the compensations' Task states
      // (payload step `<step>:undo`) run only on failure, so the anchor leaves them out.
      if (state.Type === 'Task' && state.Resource && !step.endsWith(COMPENSATION_SUFFIX))
        stepFunctions.push({ step, functionId: state.Resource });
      for (const branch of state.Branches ?? []) visit(branch.States);
    }
  };
  const workflow = rt.workflows[0];
  const definition = workflow?.definition as { States?: Parameters<typeof visit>[0] } | undefined;
  visit(definition?.States ?? {});
  const route = workflow?.routes.find((r) => r.method.toUpperCase() === 'POST');
  const startFn = route === undefined ? undefined : rt.lambdas.find(route.functionId);
  if (route === undefined || startFn === undefined) {
    await rt.close();
    throw new Error(`workflow ${workflow?.name ?? '(none)'} has no POST route with a local function`);
  }
  let stub: Promise<StartExecutionStub> | undefined;
  return {
    rt,
    dynamo: counter,
    stepFunctions,
    startFunction: { fn: startFn, path: route.path },
    threadCpu: async () => {
      const sandboxes = Object.values(await rt.lambdas.cpuUsage()).flat();
      return {
        workersUs: new Map(sandboxes.map(({ threadId, us }) => [threadId, us])),
        mainUs: usOf(process.threadCpuUsage()),
        totalUs: usOf(process.cpuUsage()),
      };
    },
    executionStub: () => {
      stub ??= startExecutionStub();
      return stub;
    },
    close: async () => {
      counter.stop();
      await (await stub)?.close();
      await rt.close();
    },
  };
}

type Handler = (event: unknown, context: Context) => Promise<Record<string, unknown>>;

function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const handlers = new Map<string, Handler>();

/** The function's handler, imported once per module and export. */
async function handlerOf(fn: LocalFunction): Promise<Handler> {
  const key = `${fn.modulePath}#${fn.handler}`;
  let handler = handlers.get(key);
  if (handler === undefined) {
    const module = (await import(pathToFileURL(fn.modulePath).href)) as Record<string, Handler | undefined>;
    handler = module[fn.handler];
    if (typeof handler !== 'function') throw new Error(`${fn.modulePath} exports no ${fn.handler}`);
    handlers.set(key, handler);
  }
  return handler;
}

/** Sets the function's environment as the runtime gives it, pointed at `endpoints`. */
function enterEnvironment(fn: LocalFunction, endpoints: Record<string, string>): void {
  Object.assign(process.env, fn.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    ...endpoints,
  });
}

/** Runs `body` with process.env restored afterwards and handlers' JSON log lines dropped. */
async function inFunctionScope<T>(body: () => Promise<T>): Promise<T> {
  const savedEnv = { ...process.env };
  const restoreOutput = dropJsonLines();
  try {
    return await body();
  } finally {
    restoreOutput();
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  }
}

/** CPU of one in-process call: every thread of this process, and the main thread alone. */
interface CallCpu {
  /** µs, process.cpuUsage (all threads). */
  allUs: number;
  /** µs, process.threadCpuUsage (this thread). */
  mainUs: number;
}

/** Calls `call`, adding its CPU to `into`: only the handler's own call is in the window. */
async function timedCall<T>(into: CallCpu, call: () => Promise<T>): Promise<T> {
  const all = process.cpuUsage();
  const main = process.threadCpuUsage();
  try {
    return await call();
  } finally {
    into.allUs += usOf(process.cpuUsage(all));
    into.mainUs += usOf(process.threadCpuUsage(main));
  }
}

/** The step handlers in the definition's order on `state`, as the task states would call them. */
async function runSteps(
  bench: BenchRuntime,
  state: Record<string, unknown>,
  executionId: string,
  cpu: CallCpu,
): Promise<Record<string, number>> {
  const stepMs: Record<string, number> = {};
  for (const { step, functionId } of bench.stepFunctions) {
    const fn = bench.rt.lambdas.find(functionId);
    if (fn === undefined) throw new Error(`no local function for ${functionId}`);
    const handler = await handlerOf(fn);
    enterEnvironment(fn, { AWS_ENDPOINT_URL_DYNAMODB: bench.rt.dynamo.endpoint });
    const stepStarted = performance.now();
    const result = await timedCall(cpu, () =>
      handler(
        { workflow: 'user_registration', step, attempt: 0, execution_id: executionId, state },
        lambdaContext(fn.functionName),
      ),
    );
    stepMs[step] = performance.now() - stepStarted;
    const steps = (state.steps ?? {}) as Record<string, unknown>;
    steps[step] = result;
    state.steps = steps;
  }
  return stepMs;
}

/**
 * The five step handlers called one after another in this process, with each function's own
 * environment (as the runtime gives it), against the same simulators and dynalite. Handlers'
 * JSON log lines are dropped while they run.
 *
 * @returns total ms and ms per step
 */
export async function runPlainSequence(
  bench: BenchRuntime,
  body: Record<string, unknown>,
): Promise<{ totalMs: number; stepMs: Record<string, number> }> {
  const correlationId = `reg_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
  const state: Record<string, unknown> = { ...body, correlation_id: correlationId, steps: {} };
  const started = performance.now();
  const stepMs = await inFunctionScope(() =>
    runSteps(bench, state, `bench:${correlationId}`, { allUs: 0, mainUs: 0 }),
  );
  return { totalMs: performance.now() - started, stepMs };
}

/** CPU of one in-process registration, ms, by part. */
export interface InProcessRegistration {
  /** The start function's call (validation, idempotency records, StartExecution to the stub). */
  readonly start: { readonly cpuMs: number; readonly mainMs: number };
  /** The five step handlers' calls. */
  readonly steps: { readonly cpuMs: number; readonly mainMs: number };
}

/**
 * The API event the local API builds for `POST <path>` with the headers `fetch` sends
 * (postRegistration's request): buildProxyEvent on the same request line, headers and body.
 */
function proxyEventFor(bench: BenchRuntime, body: Buffer, idempotencyKey: string): APIGatewayProxyEvent {
  const publicUrl = new URL(bench.rt.apiUrl);
  const rawHeaders = [
    ['host', publicUrl.host],
    ['connection', 'keep-alive'],
    ['content-type', 'application/json'],
    ['idempotency-key', idempotencyKey],
    ['accept', '*/*'],
    ['accept-language', '*'],
    ['sec-fetch-mode', 'cors'],
    ['user-agent', 'node'],
    ['accept-encoding', 'gzip, deflate'],
    ['content-length', String(body.length)],
  ].flat();
  const req = {
    rawHeaders,
    headers: { 'user-agent': 'node' },
    httpVersion: '1.1',
    socket: { remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;
  const { path } = bench.startFunction;
  return buildProxyEvent({
    req,
    publicUrl,
    callerArn: LOCAL_CALLER_ARN,
    method: 'POST',
    path,
    query: new URLSearchParams(),
    resource: path,
    pathParameters: null,
    body,
    stage: 'local',
  });
}

/** The runtime the in-process start function's clients point at. */
let startAnchorOwner: BenchRuntime | undefined;

/**
 * One registration in this process, no orchestrator: the start function with the API Gateway
 * event the local API would build and its own environment (its StartExecution answered by a
 * loopback stub, so no execution starts in the runtime), then the five step handlers on the
 * input it started, all against the same dynalite and simulators. Only the handlers' calls are
 * in the CPU windows (not building the event or setting the environment).
 */
export async function runInProcessRegistration(
  bench: BenchRuntime,
  body: Record<string, unknown>,
): Promise<InProcessRegistration> {
  // The start function builds its clients on its first call (from the environment then), once
  // per process: a second runtime's anchor would reach the first one's dynalite and stub.
  startAnchorOwner ??= bench;
  if (startAnchorOwner !== bench)
    throw new Error(
      'runInProcessRegistration: the start function is bound to the first bench runtime of this process',
    );
  const stub = await bench.executionStub();
  const { fn } = bench.startFunction;
  const handler = (await handlerOf(fn)) as unknown as (
    event: APIGatewayProxyEvent,
    context: Context,
  ) => Promise<APIGatewayProxyResult>;
  const event = proxyEventFor(bench, Buffer.from(JSON.stringify(body)), `bench-${randomUUID()}`);
  const start: CallCpu = { allUs: 0, mainUs: 0 };
  const steps: CallCpu = { allUs: 0, mainUs: 0 };
  await inFunctionScope(async () => {
    enterEnvironment(fn, {
      AWS_ENDPOINT_URL_DYNAMODB: bench.rt.dynamo.endpoint,
      AWS_ENDPOINT_URL_SFN: stub.url,
    });
    const result = await timedCall(start, () => handler(event, lambdaContext(fn.functionName)));
    if (result.statusCode !== 202)
      throw new Error(`in-process start answered ${result.statusCode}: ${result.body.slice(0, 300)}`);
    const { correlation_id: correlationId } = JSON.parse(result.body) as { correlation_id: string };
    const started = stub.take(correlationId);
    if (started === undefined) throw new Error(`in-process start of ${correlationId} sent no StartExecution`);
    await runSteps(bench, JSON.parse(started.input) as Record<string, unknown>, started.executionArn, steps);
  });
  const ms = (cpu: CallCpu) => ({ cpuMs: cpu.allUs / 1000, mainMs: cpu.mainUs / 1000 });
  return { start: ms(start), steps: ms(steps) };
}

/** Swallows JSON lines (handler logs, metrics) written to stdout/stderr; returns the undo. */
function dropJsonLines(): () => void {
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write);
  for (const [i, stream] of streams.entries()) {
    const original = originals[i]!;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string' && chunk.startsWith('{')) {
        (rest.find((a) => typeof a === 'function') as (() => void) | undefined)?.();
        return true;
      }
      return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    }) as typeof stream.write;
  }
  return () => {
    for (const [i, stream] of streams.entries()) stream.write = originals[i]!;
  };
}
