/**
 * The local Lambda adapter: runs each function the way the Node.js Lambda runtime would, in
 * worker threads that each hold ONE function's module and environment (handlers read env at
 * module load, and the step functions differ only by env). A warm pool per function: one
 * invocation at a time per worker, grown on demand up to a cap, reused while warm, discarded
 * after a timeout or crash (as Lambda resets a sandbox).
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LambdaErrorPayload, WorkerRequest } from './lambda-protocol.ts';
import { type Sandbox, type SandboxReply, startSandbox } from './sandbox.ts';
import type { LocalFunction } from './template.ts';

export type { LambdaErrorPayload } from './lambda-protocol.ts';

/** Outcome of one invocation, as Lambda's Invoke API reports it. */
export type InvokeOutcome =
  | { readonly ok: true; readonly result: unknown; readonly requestId: string }
  | { readonly ok: false; readonly error: LambdaErrorPayload; readonly requestId: string };

/** Options for {@link createLambdaAdapter}. */
export interface LambdaAdapterOptions {
  readonly functions: readonly LocalFunction[];
  /**
   * Variables added to every function's environment after the template's (endpoints, dummy
   * credentials). @default {}
   */
  readonly sharedEnv?: Readonly<Record<string, string>>;
  /** Receives every line a function writes to stdout/stderr. @default lines are dropped */
  readonly onLog?: (line: string, functionId: string) => void;
  /** Warm workers per function at most; further invocations queue. @default 4 */
  readonly maxConcurrencyPerFunction?: number;
  /**
   * Limit for loading the handler module. Lambda's init phase allows 10 s; locally many sandboxes
   * compete for a few cores, so the default is looser. @default 30000
   */
  readonly initTimeoutMs?: number;
  /**
   * Sandboxes of one function loading their module at the same time; more invocations wait for
   * a warm sandbox instead of starting yet another cold one (a thundering herd of module loads
   * on 2 cores makes every one of them slow). @default 2
   */
  readonly maxConcurrentInitsPerFunction?: number;
  /**
   * Node's on-disk compile cache for the handler modules (halves a sandbox's cold start).
   * @default `<os tmpdir>/stepflow-node-compile-cache`; '' disables it
   */
  readonly compileCacheDir?: string;
  /**
   * Folder whose node_modules provides `@aws-sdk/*` to bundled functions, as the Lambda runtime
   * provides the SDK. @default the repository root
   */
  readonly sdkRoot?: string;
}

/** Invokes local functions by logical id, function name or ARN. */
export interface LambdaAdapter {
  /** Runs the function; resolves with its result or the error payload Lambda would return. */
  invokeRaw(functionId: string, event: unknown): Promise<InvokeOutcome>;
  /**
   * Runs the function as a Step Functions Lambda task sees it: rejects with an Error whose
   * `name` is the errorType and whose `message` (the state's Cause) is the JSON error payload.
   */
  invoke(functionId: string, event: unknown): Promise<unknown>;
  /**
   * Starts one sandbox per function that has none and waits until each has loaded its module,
   * like provisioned concurrency: the first invocations then skip the cold start.
   */
  prewarm(): Promise<void>;
  /** Resolves a function id (logical id, name or ARN) to its definition. */
  find(functionId: string): LocalFunction | undefined;
  /** Workers started so far (cold starts) and currently alive, per function name. */
  stats(): Record<string, { coldStarts: number; alive: number; invocations: number }>;
  close(): Promise<void>;
}

/** An error as a Lambda task reports it to the state machine. */
export class LambdaFunctionError extends Error {
  readonly payload: LambdaErrorPayload;
  constructor(payload: LambdaErrorPayload) {
    super(JSON.stringify(payload));
    this.name = payload.errorType;
    this.payload = payload;
  }
}

interface Pool {
  readonly fn: LocalFunction;
  readonly idle: Sandbox[];
  readonly waiters: Array<(sandbox: Sandbox | undefined) => void>;
  readonly all: Set<Sandbox>;
  alive: number;
  initializing: number;
  coldStarts: number;
  invocations: number;
}

/**
 * Creates the adapter. Workers start lazily on the first invocation of each function.
 *
 * @example
 * const lambdas = createLambdaAdapter({ functions: model.functions, onLog: (line) => lines.push(line) });
 * const result = await lambdas.invoke('CreateUserAccountFn', payload);
 */
export function createLambdaAdapter(opts: LambdaAdapterOptions): LambdaAdapter {
  const cap = opts.maxConcurrencyPerFunction ?? 4;
  const initTimeoutMs = opts.initTimeoutMs ?? 30_000;
  const maxInits = opts.maxConcurrentInitsPerFunction ?? 2;
  const compileCacheDir = opts.compileCacheDir ?? join(tmpdir(), 'stepflow-node-compile-cache');
  const sdkRoot = opts.sdkRoot ?? fileURLToPath(new URL('../..', import.meta.url));
  const pools = new Map<string, Pool>();
  const byId = new Map<string, LocalFunction>();
  for (const fn of opts.functions) {
    for (const key of [fn.logicalId, fn.functionName, fn.arn]) byId.set(key, fn);
    pools.set(fn.functionName, {
      fn,
      idle: [],
      waiters: [],
      all: new Set(),
      alive: 0,
      initializing: 0,
      coldStarts: 0,
      invocations: 0,
    });
  }
  let closed = false;
  let nextId = 1;

  const spawn = (pool: Pool): Sandbox => {
    pool.alive += 1;
    pool.coldStarts += 1;
    pool.initializing += 1;
    const sandbox = startSandbox({
      fn: pool.fn,
      env: opts.sharedEnv ?? {},
      initTimeoutMs,
      compileCacheDir,
      sdkRoot,
      ...(opts.onLog ? { onLog: opts.onLog } : {}),
      onGone: () => {
        pool.alive -= 1;
        pool.all.delete(sandbox);
        // A freed slot lets a queued invocation start a fresh sandbox.
        if (closed) for (const waiter of pool.waiters.splice(0)) waiter(undefined);
        else grow(pool);
      },
    });
    pool.all.add(sandbox);
    void sandbox.ready.then(() => {
      pool.initializing -= 1;
      grow(pool);
    });
    return sandbox;
  };

  const canSpawn = (pool: Pool): boolean => !closed && pool.alive < cap && pool.initializing < maxInits;

  /** Starts another sandbox for a queued invocation when the limits allow. */
  const grow = (pool: Pool): void => {
    if (pool.waiters.length > 0 && canSpawn(pool)) pool.waiters.shift()!(spawn(pool));
  };

  const acquire = (pool: Pool): Promise<Sandbox | undefined> => {
    const warm = pool.idle.pop();
    if (warm) return Promise.resolve(warm);
    if (canSpawn(pool)) return Promise.resolve(spawn(pool));
    return new Promise((resolve) => pool.waiters.push(resolve));
  };

  const release = (pool: Pool, sandbox: Sandbox): void => {
    if (sandbox.dead) return;
    const waiter = pool.waiters.shift();
    if (waiter) waiter(sandbox);
    else pool.idle.push(sandbox);
  };

  const invokeRaw = async (functionId: string, event: unknown): Promise<InvokeOutcome> => {
    const fn = byId.get(functionId);
    const requestId = randomUUID();
    if (!fn) {
      return {
        ok: false,
        requestId,
        error: {
          errorType: 'Lambda.ResourceNotFoundException',
          errorMessage: `Function not found: ${functionId}`,
        },
      };
    }
    const pool = pools.get(fn.functionName)!;
    const sandbox = await acquire(pool);
    if (!sandbox || closed) {
      return {
        ok: false,
        requestId,
        error: { errorType: 'Lambda.ServiceException', errorMessage: 'runtime closed' },
      };
    }
    pool.invocations += 1;
    const initError = await sandbox.ready;
    if (initError) {
      // Lambda retries init on the next invocation; this sandbox is gone.
      sandbox.kill();
      return { ok: false, requestId, error: initError };
    }
    const timeoutMs = fn.timeoutSeconds * 1000;
    const request: WorkerRequest = { id: nextId++, requestId, deadline: Date.now() + timeoutMs, event };
    const reply = await new Promise<SandboxReply | 'timeout'>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs);
      sandbox.pending = (value) => {
        clearTimeout(timer);
        resolve(value);
      };
      sandbox.worker.postMessage(request);
    });
    sandbox.pending = undefined;
    if (reply === 'timeout') {
      sandbox.kill();
      return {
        ok: false,
        requestId,
        error: {
          errorType: 'Sandbox.Timedout',
          errorMessage: `RequestId: ${requestId} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
        },
      };
    }
    if (reply.type === 'crash') return { ok: false, requestId, error: reply.error };
    release(pool, sandbox);
    if (reply.type !== 'result') {
      return {
        ok: false,
        requestId,
        error: { errorType: 'Runtime.Unknown', errorMessage: 'unexpected reply' },
      };
    }
    return reply.ok
      ? { ok: true, requestId, result: JSON.parse(reply.body) as unknown }
      : { ok: false, requestId, error: reply.error };
  };

  return {
    invokeRaw,
    async invoke(functionId, event) {
      const outcome = await invokeRaw(functionId, event);
      if (outcome.ok) return outcome.result;
      throw new LambdaFunctionError(outcome.error);
    },
    async prewarm() {
      const starting = [...pools.values()]
        .filter((pool) => pool.alive === 0 && !closed)
        .map(async (pool) => {
          const sandbox = spawn(pool);
          const initError = await sandbox.ready;
          // A module that fails to load is reported by its first invocation, as in Lambda.
          if (initError) sandbox.kill();
          else release(pool, sandbox);
        });
      await Promise.all(starting);
    },
    find: (functionId) => byId.get(functionId),
    stats() {
      const out: Record<string, { coldStarts: number; alive: number; invocations: number }> = {};
      for (const [name, pool] of pools) {
        out[name] = { coldStarts: pool.coldStarts, alive: pool.alive, invocations: pool.invocations };
      }
      return out;
    },
    async close() {
      closed = true;
      const workers: Promise<number>[] = [];
      for (const pool of pools.values()) {
        for (const waiter of pool.waiters.splice(0)) waiter(undefined);
        pool.idle.length = 0;
        for (const sandbox of [...pool.all]) {
          sandbox.pending?.({
            type: 'crash',
            error: { errorType: 'Lambda.ServiceException', errorMessage: 'runtime closed' },
          });
          sandbox.kill();
          workers.push(sandbox.worker.terminate());
        }
      }
      await Promise.all(workers);
    },
  };
}
