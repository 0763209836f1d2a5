/**
 * The local Lambda adapter: runs each function the way the Node.js Lambda runtime would, in
 * worker threads that each hold ONE function's module and environment (handlers read env at
 * module load, and the step functions differ only by env). A warm pool per function: one
 * invocation at a time per worker, grown on demand up to a cap, reused while warm, discarded
 * after a timeout or crash (as Lambda resets a sandbox).
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitQualifiedArn } from './intrinsics.ts';
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
  /** Receives every line a function writes to stdout/stderr. @default none: the sandboxes drop their output themselves */
  readonly onLog?: (line: string, functionId: string) => void;
  /**
   * Warm workers per function at most; further invocations queue. More sandboxes than cores only
   * JIT-warm the same code again and hold memory (issue 14). @default os.availableParallelism()
   */
  readonly maxConcurrencyPerFunction?: number;
  /**
   * An idle sandbox is stopped after this long, except the last one of each function (kept
   * warm). 0 never reaps. @default 30000
   */
  readonly idleTimeoutMs?: number;
  /** Young generation cap of each worker's heap (MB). @default 2 */
  readonly maxYoungGenerationSizeMb?: number;
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

/** One live sandbox's CPU time (user + system, µs) since its thread started. */
export interface SandboxCpu {
  /** The worker's threadId: readings taken apart are matched by it. */
  readonly threadId: number;
  readonly us: number;
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
  /** Resolves a function id (logical id, name, ARN, or a version/alias ARN or `Name:qualifier`) to its definition. */
  find(functionId: string): LocalFunction | undefined;
  /** Workers started so far (cold starts), currently alive and idle, per function name. */
  stats(): Record<string, SandboxStats>;
  /** Each live sandbox's V8 heap (used and total, bytes), per function name: for memory benchmarks. */
  heapStatistics(): Promise<Record<string, Array<{ used: number; total: number }>>>;
  /**
   * CPU time (user + system, µs) each live sandbox's thread has used since it started, per
   * function name. `process.cpuUsage()` counts every thread of the process; this splits it
   * between the sandboxes and the rest of the runtime (engine, dynalite, services).
   */
  cpuUsage(): Promise<Record<string, SandboxCpu[]>>;
  /**
   * Kills the sandboxes of one function (logical id, name or ARN) as a crash would: a running
   * invocation fails with `Runtime.ExitError`, an idle sandbox is dropped and replaced. For
   * reliability proofs. @returns how many sandboxes were killed
   */
  killSandboxes(functionId: string, which?: 'all' | 'idle' | 'busy'): number;
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

/** One function's pool, as {@link LambdaAdapter.stats} reports it. */
export interface SandboxStats {
  readonly coldStarts: number;
  readonly alive: number;
  readonly idle: number;
  readonly invocations: number;
}

interface Pool {
  readonly fn: LocalFunction;
  /** Warm sandboxes with the time each became idle. */
  readonly idle: Sandbox[];
  readonly idleSince: Map<Sandbox, number>;
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
  const cap = opts.maxConcurrencyPerFunction ?? availableParallelism();
  const idleTimeoutMs = opts.idleTimeoutMs ?? 30_000;
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
      idleSince: new Map(),
      waiters: [],
      all: new Set(),
      alive: 0,
      initializing: 0,
      coldStarts: 0,
      invocations: 0,
    });
  }
  /** A qualified ARN (`...:function:Name:1`, `...:Name:live`) or `Name:1` runs Name. */
  const lookup = (functionId: string): LocalFunction | undefined => {
    const exact = byId.get(functionId);
    if (exact) return exact;
    const split = splitQualifiedArn(functionId);
    if (split) return byId.get(split.base);
    const colon = functionId.indexOf(':');
    return colon > 0 && !functionId.startsWith('arn:') ? byId.get(functionId.slice(0, colon)) : undefined;
  };
  let closed = false;
  let nextId = 1;
  /** Idle sandboxes killSandboxes took out of the pool before their exit is reported. */
  const killedIdle = new WeakSet<Sandbox>();

  /** A function's sandboxes whose thread still runs (threadId is -1 once it stopped, before 'exit'). */
  const liveSandboxes = (pool: Pool): Sandbox[] =>
    [...pool.all].filter((sandbox) => !sandbox.dead && sandbox.worker.threadId !== -1);

  /** Takes a sandbox out of the idle list; false when it was not idle. */
  const unidle = (pool: Pool, sandbox: Sandbox): boolean => {
    const index = pool.idle.indexOf(sandbox);
    pool.idleSince.delete(sandbox);
    if (index === -1) return false;
    pool.idle.splice(index, 1);
    return true;
  };

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
      ...(opts.maxYoungGenerationSizeMb ? { maxYoungGenerationSizeMb: opts.maxYoungGenerationSizeMb } : {}),
      ...(opts.onLog ? { onLog: opts.onLog } : {}),
      onGone: () => {
        pool.alive -= 1;
        pool.all.delete(sandbox);
        // A sandbox that died while idle is never handed an invocation.
        const diedIdle = unidle(pool, sandbox) || killedIdle.has(sandbox);
        if (closed) {
          for (const waiter of pool.waiters.splice(0)) waiter(undefined);
          return;
        }
        // A freed slot lets a queued invocation start a fresh sandbox.
        grow(pool);
        // The function's last warm sandbox crashed: start a fresh one, as Lambda would on the next call.
        if (diedIdle && pool.alive === 0) void warmOne(pool);
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
    for (let warm = pool.idle.pop(); warm; warm = pool.idle.pop()) {
      pool.idleSince.delete(warm);
      // threadId is -1 once the thread stopped, which can be before its 'exit' event arrives.
      if (!warm.dead && warm.worker.threadId !== -1) return Promise.resolve(warm);
      if (!warm.dead) killedIdle.add(warm);
    }
    if (canSpawn(pool)) return Promise.resolve(spawn(pool));
    return new Promise((resolve) => pool.waiters.push(resolve));
  };

  const release = (pool: Pool, sandbox: Sandbox): void => {
    if (sandbox.dead) return;
    const waiter = pool.waiters.shift();
    if (waiter) waiter(sandbox);
    else {
      pool.idle.push(sandbox);
      pool.idleSince.set(sandbox, Date.now());
    }
  };

  /** Starts one sandbox and parks it warm (a module that fails to load is left to its first call). */
  const warmOne = async (pool: Pool): Promise<void> => {
    if (!canSpawn(pool)) return;
    const sandbox = spawn(pool);
    const initError = await sandbox.ready;
    if (initError) sandbox.kill();
    else release(pool, sandbox);
  };

  /** Stops sandboxes idle longer than the timeout, keeping the newest of each function warm. */
  const reap = (): void => {
    const now = Date.now();
    for (const pool of pools.values()) {
      // The idle list is a stack: the oldest idle sandboxes are at the front.
      while (pool.alive > 1 && pool.idle.length > 0) {
        const oldest = pool.idle[0]!;
        if (now - (pool.idleSince.get(oldest) ?? now) < idleTimeoutMs) break;
        unidle(pool, oldest);
        oldest.kill();
      }
    }
  };
  const reaper = idleTimeoutMs > 0 ? setInterval(reap, Math.max(10, idleTimeoutMs / 2)) : undefined;
  reaper?.unref();

  /**
   * A loaded, live sandbox, or the init error of the one that failed to load (Lambda retries the
   * init on the next invocation, so that sandbox is dropped). A sandbox that died while this
   * invocation waited for its init is skipped, never handed the invocation.
   */
  const readySandbox = async (pool: Pool): Promise<Sandbox | LambdaErrorPayload | undefined> => {
    for (;;) {
      const sandbox = await acquire(pool);
      if (!sandbox || closed) return undefined;
      const initError = await sandbox.ready;
      if (!sandbox.dead && !initError) return sandbox;
      if (initError && initError.errorType !== 'Lambda.ServiceException') {
        sandbox.kill();
        return initError;
      }
      // Killed before it could serve (a crash or killSandboxes while loading): take another one.
      sandbox.kill();
    }
  };

  const invokeRaw = async (functionId: string, event: unknown): Promise<InvokeOutcome> => {
    const fn = lookup(functionId);
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
    const sandbox = await readySandbox(pool);
    if (!sandbox || closed) {
      return {
        ok: false,
        requestId,
        error: { errorType: 'Lambda.ServiceException', errorMessage: 'runtime closed' },
      };
    }
    pool.invocations += 1;
    if ('errorType' in sandbox) return { ok: false, requestId, error: sandbox };
    const timeoutMs = fn.timeoutSeconds * 1000;
    const request: WorkerRequest = {
      id: nextId++,
      requestId,
      deadline: Date.now() + timeoutMs,
      event,
      ...(functionId.startsWith(`${fn.arn}:`) ? { invokedFunctionArn: functionId } : {}),
    };
    const reply = await new Promise<SandboxReply | 'timeout'>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs);
      sandbox.requestId = requestId;
      sandbox.pending = (value) => {
        clearTimeout(timer);
        resolve(value);
      };
      sandbox.worker.postMessage(request);
    });
    sandbox.pending = undefined;
    sandbox.requestId = undefined;
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
      // A module that fails to load is reported by its first invocation, as in Lambda.
      await Promise.all([...pools.values()].filter((pool) => pool.alive === 0).map(warmOne));
    },
    find: lookup,
    stats() {
      const out: Record<string, SandboxStats> = {};
      for (const [name, pool] of pools) {
        out[name] = {
          coldStarts: pool.coldStarts,
          alive: pool.alive,
          idle: pool.idle.length,
          invocations: pool.invocations,
        };
      }
      return out;
    },
    async heapStatistics() {
      const out: Record<string, Array<{ used: number; total: number }>> = {};
      for (const [name, pool] of pools) {
        const heaps = await Promise.all(
          liveSandboxes(pool).map((sandbox) => sandbox.worker.getHeapStatistics().catch(() => undefined)),
        );
        out[name] = heaps
          .filter((heap) => heap !== undefined)
          .map((heap) => ({ used: heap.used_heap_size, total: heap.total_heap_size }));
      }
      return out;
    },
    async cpuUsage() {
      const out: Record<string, SandboxCpu[]> = {};
      for (const [name, pool] of pools) {
        const usages = await Promise.all(
          liveSandboxes(pool).map(({ worker }) =>
            worker.cpuUsage().then(
              (usage) => ({ threadId: worker.threadId, us: usage.user + usage.system }),
              () => undefined, // stopped between the listing and the read
            ),
          ),
        );
        out[name] = usages.filter((usage) => usage !== undefined);
      }
      return out;
    },
    killSandboxes(functionId, which = 'all') {
      const fn = lookup(functionId);
      const pool = fn ? pools.get(fn.functionName) : undefined;
      if (!pool) throw new Error(`killSandboxes: no function '${functionId}'`);
      let killed = 0;
      for (const sandbox of [...pool.all]) {
        const idle = pool.idle.includes(sandbox);
        if (which === 'idle' ? !idle : which === 'busy' ? idle : false) continue;
        killed += 1;
        if (idle) {
          // Out of the pool now: the exit is reported asynchronously, and no call may get it before.
          unidle(pool, sandbox);
          killedIdle.add(sandbox);
        }
        // terminate() without kill(): the worker's exit reports it like any crash.
        void sandbox.worker.terminate();
      }
      return killed;
    },
    async close() {
      closed = true;
      if (reaper) clearInterval(reaper);
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
