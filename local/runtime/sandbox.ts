/**
 * One local Lambda execution environment: a worker thread running lambda-worker.ts with the
 * function's own environment, its stdout/stderr split into lines for the caller's log sink, and
 * the failure modes the Node.js runtime has (init errors, crashes, exits) turned into Lambda's
 * error payloads. The pool around sandboxes lives in lambda-adapter.ts.
 */
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { LambdaErrorPayload, WorkerInit, WorkerReply } from './lambda-protocol.ts';
import { LOCAL_REGION, type LocalFunction } from './template.ts';

const WORKER_FILE = new URL('./lambda-worker.ts', import.meta.url);

/**
 * The worker's entry, plain JavaScript: it turns on Node's compile cache before lambda-worker.ts
 * and the handler's TypeScript files load. A cache hit then skips type stripping as well as
 * compiling, so the worker never loads Node's TypeScript stripper (amaro: a 3.7 MB source string
 * and a WASM instance in every sandbox). lambda-worker.ts enabling it again is a no-op. Its
 * import settles once the handler has loaded (top-level await); the cache is written then, so
 * the next sandbox hits it even when this one is terminated rather than exiting.
 */
const WORKER_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const nodeModule = require('node:module');
if (workerData.compileCacheDir) nodeModule.enableCompileCache(workerData.compileCacheDir);
import(${JSON.stringify(WORKER_FILE.href)}).then(() => {
  if (workerData.compileCacheDir) nodeModule.flushCompileCache();
});
`;

/** What a pending invocation receives: the worker's reply, or the sandbox's death. */
export type SandboxReply = WorkerReply | { readonly type: 'crash'; readonly error: LambdaErrorPayload };

/** A started sandbox. */
export interface Sandbox {
  readonly worker: Worker;
  /** Settles once the module is loaded: undefined, or the init error. */
  readonly ready: Promise<LambdaErrorPayload | undefined>;
  /** The running invocation's callback, if any. */
  pending: ((reply: SandboxReply) => void) | undefined;
  /** The running invocation's request id (for the crash message Lambda prints). */
  requestId: string | undefined;
  dead: boolean;
  /** Terminates the worker (idempotent). */
  kill(): void;
}

/** Options for {@link startSandbox}. */
export interface SandboxOptions {
  readonly fn: LocalFunction;
  /** Variables added after the template's (endpoints, credentials). */
  readonly env: Readonly<Record<string, string>>;
  readonly initTimeoutMs: number;
  /** '' disables Node's compile cache. */
  readonly compileCacheDir: string;
  /** Where bundled functions find the runtime-provided `@aws-sdk/*`. */
  readonly sdkRoot: string;
  /** Every stdout/stderr line. @default none: the worker drops its writes (nothing crosses to this thread) */
  readonly onLog?: (line: string, functionId: string) => void;
  /** Called once when the sandbox dies (killed, crashed or exited). */
  readonly onGone: () => void;
  /**
   * Young generation cap of the worker's heap (V8 semi-spaces). Small caps keep many sandboxes
   * lean; too small costs scavenges. Measured at 100 concurrent executions (npm run bench): 16 MB
   * peaked at 1036 MB RSS, 8 at 959, 4 at 917. Later, A/B in one run of 17 sandboxes: 2 MB held
   * 25 MB less sandbox heap than 4 (437 vs 462 MB) and peaked 32 MB lower on average, with the
   * same CPU per execution at concurrency 1 and 10; 1 MB saved nothing more. @default 2
   */
  readonly maxYoungGenerationSizeMb?: number;
}

/**
 * Options of the parent process a worker must not inherit: they name the parent's own entry
 * (`-e`, `--input-type`, `--print`) or its debugger port, or set the main heap's young generation
 * (`--max-semi-space-size`, which `npm start` passes; a sandbox's own cap is its resourceLimits).
 * With them every sandbox fails to start.
 */
const PARENT_ONLY_OPTION =
  /^(--input-type|--eval|-e|--print|-p|--inspect|--inspect-brk|--inspect-port|--debug-port|--max-semi-space-size)(=|$)/;

/** The parent's Node options a sandbox keeps (`--enable-source-maps`, `--conditions`, ...). */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const option = execArgv[i]!;
    if (!PARENT_ONLY_OPTION.test(option)) {
      kept.push(option);
      continue;
    }
    // `-e CODE`, `--input-type module`: the value is the next argument.
    const next = execArgv[i + 1];
    if (!option.includes('=') && next !== undefined && !next.startsWith('-')) i += 1;
  }
  return kept;
}

/** Worker options for the parent's Node options: none (inherit), or the list without its entry options. */
export function inheritedExecArgv(): { execArgv?: string[] } {
  // Only an entry option (`-e`, `--input-type`, `--print`) breaks the inherited list; anything
  // else (the runner's own list, a debugger port) a worker inherits fine by default.
  const entry = /^(--input-type|--eval|-e|--print|-p)(=|$)/;
  if (!process.execArgv.some((option) => entry.test(option))) return {};
  return { execArgv: workerExecArgv(process.execArgv) };
}

/**
 * Clears `--max-semi-space-size` for the isolates created from now on. `npm start` runs its process
 * with `--max-semi-space-size=16`: left to itself V8 lets the main thread's young generation grow
 * to 128 MB on a machine this size, most of it resident after a burst (dynalite, the simulators,
 * the engine and the local API allocate fast). The flag is process-wide, and while it is set it
 * overrides every worker's `resourceLimits.maxYoungGenerationSizeMb`. The main heap read it once,
 * when it was created, so clearing it before a sandbox starts keeps the main thread's limit and
 * gives the sandbox its own cap. Clearing an unset flag changes nothing.
 */
function releaseYoungGenerationFlag(): void {
  setFlagsFromString('--max-semi-space-size=0');
}

/** The V8 heap limit of a sandbox: the function's memory, as Lambda's process limit (at least 64 MB). */
export function heapLimitMb(memoryMb: number): number {
  return Math.max(64, memoryMb);
}

/** The errorType Lambda reports for a worker that died: out of memory, else the exit. */
function deathPayload(
  error: unknown,
  code: number | undefined,
  requestId: string | undefined,
): LambdaErrorPayload {
  const id = requestId ?? 'unknown';
  if ((error as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return {
      errorType: 'Runtime.OutOfMemory',
      errorMessage: `RequestId: ${id} Error: Runtime exited with error: signal: killed (out of memory)`,
    };
  }
  return {
    errorType: 'Runtime.ExitError',
    errorMessage: `RequestId: ${id} Error: Runtime exited with error: exit status ${code ?? 1}`,
  };
}

/** The variables the Lambda service sets in every Node.js function. */
function lambdaEnv(fn: LocalFunction, logStreamName: string): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
    LAMBDA_TASK_ROOT: dirname(fn.modulePath),
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
  };
}

function pipeLines(stream: Readable, sink: (line: string) => void): void {
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline !== -1) {
      sink(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
    }
  });
  stream.on('end', () => {
    if (buffer) sink(buffer);
  });
}

/** Starts a worker for `fn`; it loads the module at once (the init phase). */
export function startSandbox(opts: SandboxOptions): Sandbox {
  const { fn } = opts;
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const logStreamName = `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
  const init: WorkerInit = {
    modulePath: fn.modulePath,
    handler: fn.handler,
    functionName: fn.functionName,
    arn: fn.arn,
    memoryMb: fn.memoryMb,
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName,
    compileCacheDir: opts.compileCacheDir,
    ...(opts.onLog ? {} : { discardOutput: true }),
    ...(fn.assetDir === undefined ? {} : { assetDir: fn.assetDir, sdkRoot: opts.sdkRoot }),
  };
  const env = { ...lambdaEnv(fn, logStreamName), ...fn.env, ...opts.env };
  releaseYoungGenerationFlag();
  const worker = new Worker(WORKER_BOOTSTRAP, {
    eval: true,
    workerData: init,
    env,
    stdout: true,
    stderr: true,
    // Only when an option had to go: Node validates an explicit execArgv more strictly than the
    // one a worker inherits by default (under `node --test` the inherited list holds per-process
    // options, such as --v8-pool-size, that an explicit list may not).
    ...inheritedExecArgv(),
    resourceLimits: {
      maxOldGenerationSizeMb: heapLimitMb(fn.memoryMb),
      maxYoungGenerationSizeMb: opts.maxYoungGenerationSizeMb ?? 2,
    },
  });
  const sink = (line: string): void => opts.onLog?.(line, fn.logicalId);
  pipeLines(worker.stdout, sink);
  pipeLines(worker.stderr, sink);

  let settleReady: (error: LambdaErrorPayload | undefined) => void = () => undefined;
  const sandbox: Sandbox = {
    worker,
    dead: false,
    pending: undefined,
    requestId: undefined,
    kill: () => undefined,
    ready: new Promise((resolve) => {
      settleReady = resolve;
    }),
  };
  const initTimer = setTimeout(() => {
    settleReady({
      errorType: 'Sandbox.Timedout',
      errorMessage: `INIT_REPORT Init Duration exceeded ${opts.initTimeoutMs} ms`,
    });
  }, opts.initTimeoutMs);
  sandbox.kill = () => {
    if (sandbox.dead) return;
    sandbox.dead = true;
    clearTimeout(initTimer);
    // Nobody may wait forever on a sandbox that is gone.
    settleReady({ errorType: 'Lambda.ServiceException', errorMessage: 'sandbox terminated' });
    void worker.terminate();
    opts.onGone();
  };
  const crash = (error: LambdaErrorPayload): void => {
    settleReady(error);
    sandbox.pending?.({ type: 'crash', error });
    sandbox.kill();
  };
  worker.on('message', (reply: WorkerReply) => {
    if (reply.type === 'fatal') {
      crash(reply.error);
      return;
    }
    if (reply.type === 'ready') {
      clearTimeout(initTimer);
      settleReady(undefined);
    } else if (reply.type === 'init-error') {
      clearTimeout(initTimer);
      settleReady(reply.error);
    } else sandbox.pending?.(reply);
  });
  worker.on('error', (error) => {
    if ((error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
      crash(deathPayload(error, undefined, sandbox.requestId));
      return;
    }
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    // Like the Node.js runtime: an error escaping the handler's promise chain kills the sandbox.
    crash({ errorType: `Runtime.Unhandled${name}`, errorMessage: message, trace: [] });
  });
  // process.exit(), a terminate() from outside (killSandboxes) or a fatal error: the sandbox is
  // gone, and so is the invocation it was running.
  worker.on('exit', (code) => {
    if (!sandbox.dead) crash(deathPayload(undefined, code, sandbox.requestId));
  });
  return sandbox;
}
