/**
 * One local Lambda "sandbox": a worker thread that loads one handler module with its own
 * environment (process.env is per worker) and runs one invocation at a time, like a Lambda
 * execution environment. Started by lambda-adapter.ts; never imported by other code.
 */
import { enableCompileCache, isBuiltin, registerHooks } from 'node:module';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { LambdaErrorPayload, WorkerInit, WorkerReply, WorkerRequest } from './lambda-protocol.ts';

const init = workerData as WorkerInit;
const port = parentPort!;

/**
 * A write that goes nowhere, with the stream's contract kept: it reports success (returns true,
 * so nobody waits for 'drain') and calls the write's callback on the next tick.
 */
function discardWrite(_chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean {
  const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
  if (typeof done === 'function') process.nextTick(done as (error: null) => void, null);
  return true;
}

// Each line would otherwise cross to the main thread as a message (the worker's stdio is a
// MessagePort stream) and be split into lines there, only to be dropped: per-invocation CPU of ours.
if (init.discardOutput) {
  for (const stream of [process.stdout, process.stderr]) stream.write = discardWrite as typeof stream.write;
}

type Handler = (
  event: unknown,
  context: unknown,
  callback?: (error: unknown, result?: unknown) => void,
) => unknown;

/** Serializes what a handler threw the way the Node.js Lambda runtime does. */
function toPayload(error: unknown): LambdaErrorPayload {
  if (error instanceof Error) {
    return {
      errorType: error.name || error.constructor?.name || 'Error',
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    };
  }
  // The runtime wraps non-Error throws; a thrown string keeps its text as the message.
  return {
    errorType: typeof error === 'string' ? 'string' : 'Error',
    errorMessage: String(error),
    trace: [],
  };
}

function initErrorPayload(error: unknown): LambdaErrorPayload {
  const payload = toPayload(error);
  const code = (error as { code?: string } | undefined)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    return {
      ...payload,
      errorType: 'Runtime.ImportModuleError',
      errorMessage: `Error: ${payload.errorMessage}`,
    };
  }
  if (error instanceof SyntaxError) return { ...payload, errorType: 'Runtime.UserCodeSyntaxError' };
  return payload;
}

/**
 * In Lambda a bundle can import Node built-ins, its own files and the runtime-provided AWS SDK,
 * nothing else. Resolve `@aws-sdk/*` from the project (standing in for the runtime's copy) and
 * fail any other bare import from the asset, so a dependency missing from the bundle fails here
 * as it would in AWS instead of being found in the repository's node_modules.
 */
function confineBundleImports(assetDir: string, sdkRoot: string): void {
  const assetUrl = pathToFileURL(assetDir).href;
  const sdkParent = pathToFileURL(join(sdkRoot, 'package.json')).href;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const bare = !/^(\.{0,2}\/|[a-z]+:)/.test(specifier);
      if (!bare || !context.parentURL?.startsWith(assetUrl) || isBuiltin(specifier)) {
        return nextResolve(specifier, context);
      }
      if (specifier.startsWith('@aws-sdk/'))
        return nextResolve(specifier, { ...context, parentURL: sdkParent });
      const error = new Error(`Cannot find package '${specifier}' imported from ${context.parentURL}`);
      Object.assign(error, { code: 'ERR_MODULE_NOT_FOUND' });
      throw error;
    },
  });
}

async function loadHandler(): Promise<Handler | LambdaErrorPayload> {
  try {
    // Reuses compiled (and type-stripped) modules across sandboxes and runs: faster cold starts.
    if (init.compileCacheDir) enableCompileCache(init.compileCacheDir);
    if (init.assetDir && init.sdkRoot) confineBundleImports(init.assetDir, init.sdkRoot);
    const mod = (await import(pathToFileURL(init.modulePath).href)) as Record<string, unknown>;
    const handler = mod[init.handler];
    if (typeof handler !== 'function') {
      const file = basename(init.modulePath).replace(/\.[^.]+$/, '');
      return {
        errorType: 'Runtime.HandlerNotFound',
        errorMessage: `${file}.${init.handler} is undefined or not exported`,
        trace: [],
      };
    }
    return handler as Handler;
  } catch (error) {
    return initErrorPayload(error);
  }
}

function makeContext(request: WorkerRequest): Record<string, unknown> {
  const invoked = request.invokedFunctionArn ?? init.arn;
  const qualifier = invoked === init.arn ? undefined : invoked.slice(invoked.lastIndexOf(':') + 1);
  return {
    functionName: init.functionName,
    functionVersion: qualifier !== undefined && /^\d+$/.test(qualifier) ? qualifier : '$LATEST',
    invokedFunctionArn: invoked,
    memoryLimitInMB: String(init.memoryMb),
    awsRequestId: request.requestId,
    logGroupName: init.logGroupName,
    logStreamName: init.logStreamName,
    // Kept for API compatibility; a worker answers as soon as the handler settles.
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, request.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function run(handler: Handler, request: WorkerRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback = (error: unknown, result?: unknown): void => (error ? reject(error) : resolve(result));
    try {
      const returned = handler(request.event, makeContext(request), callback);
      // Async handlers settle through the promise; callback handlers return undefined.
      if (returned && typeof (returned as Promise<unknown>).then === 'function') {
        (returned as Promise<unknown>).then(resolve, reject);
      } else if (handler.length < 3) {
        resolve(returned);
      }
    } catch (error) {
      reject(error);
    }
  });
}

/**
 * Like the Node.js Lambda runtime: a promise rejection nobody handles ends the sandbox, and the
 * invocation fails with `Runtime.UnhandledPromiseRejection` (retried as a crash by the compiler).
 */
process.on('unhandledRejection', (reason) => {
  const text = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
  port.postMessage({
    type: 'fatal',
    error: { errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: text, trace: [] },
  } satisfies WorkerReply);
  process.exit(128);
});

/**
 * Like the Node.js Lambda runtime: an exception thrown outside the handler's promise chain (in a
 * timer or an event listener, during an invocation or after it) fails the invocation under the
 * error's own name, with its stack as the trace, and ends the sandbox (exit status 129), so it is
 * never handed another invocation. The compiler retries the built-in error names as crashes
 * (`UNCAUGHT_EXCEPTION_ERRORS`); the step runtime names every error it lets out itself.
 */
process.on('uncaughtException', (error) => {
  port.postMessage({ type: 'fatal', error: toPayload(error) } satisfies WorkerReply);
  process.exit(129);
});

const loaded = await loadHandler();
if (typeof loaded !== 'function') {
  port.postMessage({ type: 'init-error', error: loaded } satisfies WorkerReply);
} else {
  port.on('message', async (request: WorkerRequest) => {
    let reply: WorkerReply;
    try {
      const result = await run(loaded, request);
      // Lambda returns the JSON text of the result; undefined becomes null.
      reply = { type: 'result', id: request.id, ok: true, body: JSON.stringify(result ?? null) };
    } catch (error) {
      reply = { type: 'result', id: request.id, ok: false, error: toPayload(error) };
    }
    port.postMessage(reply);
  });
  port.postMessage({ type: 'ready' } satisfies WorkerReply);
}
