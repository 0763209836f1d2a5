/**
 * What the runtime benchmarks share: the offline runtime with a DynamoDB request counter,
 * registrations through the local API, and the same five step handlers run in-process in plain
 * sequence against the same simulators and dynalite (the "no orchestrator" comparison).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../local/runtime/index.ts';

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

/** The runtime with a DynamoDB counter attached. */
export interface BenchRuntime {
  readonly rt: LocalRuntime;
  readonly dynamo: { snapshot(): DynamoCounts };
  /** Step name -> task state's function, in the definition's order. */
  readonly stepFunctions: ReadonlyArray<{ step: string; functionId: string }>;
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
      if (state.Type === 'Task' && state.Resource)
        stepFunctions.push({ step: state.Parameters?.step ?? name, functionId: state.Resource });
      for (const branch of state.Branches ?? []) visit(branch.States);
    }
  };
  const definition = rt.workflows[0]?.definition as { States?: Parameters<typeof visit>[0] } | undefined;
  visit(definition?.States ?? {});
  return {
    rt,
    dynamo: counter,
    stepFunctions,
    close: async () => {
      counter.stop();
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
  const { rt } = bench;
  const correlationId = `reg_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
  const state: Record<string, unknown> = { ...body, correlation_id: correlationId, steps: {} };
  const stepMs: Record<string, number> = {};
  const savedEnv = { ...process.env };
  const restoreOutput = dropJsonLines();
  const started = performance.now();
  try {
    for (const { step, functionId } of bench.stepFunctions) {
      const fn = rt.lambdas.find(functionId);
      if (fn === undefined) throw new Error(`no local function for ${functionId}`);
      const handler = ((await import(pathToFileURL(fn.modulePath).href)) as Record<string, Handler>)[
        fn.handler
      ]!;
      Object.assign(process.env, fn.env, {
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: rt.dynamo.endpoint,
        AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
      });
      const stepStarted = performance.now();
      const result = await handler(
        { workflow: 'user_registration', step, attempt: 0, execution_id: `bench:${correlationId}`, state },
        lambdaContext(fn.functionName),
      );
      stepMs[step] = performance.now() - stepStarted;
      (state.steps as Record<string, unknown>)[step] = result;
    }
  } finally {
    restoreOutput();
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  }
  return { totalMs: performance.now() - started, stepMs };
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
