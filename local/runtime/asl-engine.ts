/**
 * Loads aws-local-stepfunctions with a few small, exact source patches that close fidelity gaps
 * with AWS Step Functions. The library keeps its StateExecutor and EventLogger internal, so the
 * only way to change them without forking is to patch the built module text. Every patch is an
 * exact string replacement that must match exactly once: if the library changes, start-up fails
 * loudly naming the patch instead of silently running a different engine.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** One textual patch: `find` must occur exactly `count` times (default 1). */
interface SourcePatch {
  readonly name: string;
  readonly why: string;
  readonly find: string;
  readonly replace: string;
  readonly count?: number;
}

const PATCHES: readonly SourcePatch[] = [
  {
    name: 'context-state',
    why:
      'AWS exposes $$.State {Name, EnteredTime, RetryCount} to Parameters; the library does not. ' +
      'RetryCount is the number of retries so far (sum over retriers); EnteredTime stays the time ' +
      'the state was first entered (retries do not re-enter the state in AWS history).',
    find: '  async execute(input, context, options) {\n    const rawInput = cloneJSON(input);\n',
    replace:
      '  async execute(input, context, options) {\n    const rawInput = cloneJSON(input);\n' +
      '    this.enteredTime ??= (options.runOptions?._now?.() ?? new Date()).toISOString();\n' +
      '    context.State = { Name: this.stateName, EnteredTime: this.enteredTime, ' +
      'RetryCount: this.retrierAttempts.reduce((sum, n) => sum + n, 0) };\n',
  },
  {
    name: 'context-execution',
    why:
      'The library overwrites $$.Execution.Input/StartTime in every nested run (Parallel branches), ' +
      'so branches would see the branch input. In AWS they are the execution-wide values; let the ' +
      'caller-provided context win.',
    find:
      '      Execution: {\n        ...options.runOptions?.context?.Execution,\n        Input: input,\n' +
      '        StartTime: (/* @__PURE__ */ new Date()).toISOString()\n      }',
    replace:
      '      Execution: {\n        Input: input,\n        StartTime: (/* @__PURE__ */ new Date()).toISOString(),\n' +
      '        ...options.runOptions?.context?.Execution\n      }',
  },
  {
    name: 'retry-sleep-hook',
    why:
      'Retry waits go through a caller hook so the runtime can apply a time scale and record the ' +
      'delay the definition asked for (AWS history does not show it, but its timestamps do).',
    find: '        await sleep(waitTimeBeforeRetry, options.abortSignal);\n',
    replace:
      '        await (options.runOptions?._sleep ?? sleep)(waitTimeBeforeRetry, options.abortSignal, ' +
      '{ kind: "retry", stateName: this.stateName, retrierIndex, attempt: this.retrierAttempts[retrierIndex] });\n',
  },
  {
    name: 'wait-sleep-hook-pass',
    why: 'Wait states use the same sleep hook (time scale, virtual clock).',
    find: '      waitTimeOverrideOption,\n      abortSignal: options.abortSignal\n',
    replace:
      '      waitTimeOverrideOption,\n      abortSignal: options.abortSignal,\n' +
      '      sleepFn: options.runOptions?._sleep,\n      stateName\n',
  },
  {
    name: 'wait-sleep-hook-use',
    why: 'Every sleep inside WaitStateAction goes through the hook (the retry sleep is patched above).',
    find: 'await sleep(',
    replace: 'await (options.sleepFn ?? sleep)(',
    count: 5,
  },
  {
    name: 'wait-sleep-hook-info',
    why: 'The hook records which Wait state asked for the delay.',
    find: ', options.abortSignal);\n',
    replace: ', options.abortSignal, { kind: "wait", stateName: options.stateName });\n',
    count: 5,
  },
  {
    name: 'task-default-timeout',
    why:
      'The library times every Task out after 60 s when TimeoutSeconds is absent; AWS has no such ' +
      'default for Lambda tasks (the function timeout applies). setTimeout also overflows past 2^31 ms.',
    find: 'var DEFAULT_TIMEOUT_SECONDS = 60;',
    replace: 'var DEFAULT_TIMEOUT_SECONDS = 99999999;',
  },
  {
    name: 'task-timeout-clamp',
    why:
      'Clamp to the largest delay setTimeout accepts, and unref the timer: a Task still waiting when ' +
      'the runtime closes must not keep the process alive until its TimeoutSeconds (up to 900 s).',
    find: 'setTimeout(() => rejectTimeout(new StatesTimeoutError()), timeoutMs);',
    replace:
      'setTimeout(() => rejectTimeout(new StatesTimeoutError()), Math.min(timeoutMs, 2147483647)).unref();',
  },
  {
    name: 'execution-timeout-unref',
    why:
      "The execution's TimeoutSeconds timer is cleared only when the run loop ends; an execution " +
      'stopped while its Task waits on a closed sandbox never ends, and the ref-ed timer kept the ' +
      'process alive for up to TimeoutSeconds after the runtime closed.',
    find: '}, this.definition.TimeoutSeconds * 1e3);',
    replace: '}, Math.min(this.definition.TimeoutSeconds * 1e3, 2147483647));\n        timeoutId.unref();',
  },
  {
    name: 'event-hook-install',
    why:
      'History needs events in the order they happen. The library forwards nested (Parallel branch) ' +
      'events to the root logger asynchronously; a synchronous hook on every logger keeps the order ' +
      'and tells which run (branch) an event belongs to.',
    find: '    const eventLogger = new EventLogger();\n',
    replace:
      '    const eventLogger = new EventLogger();\n' +
      '    eventLogger.hook = options?._eventHook;\n    eventLogger.parent = options?._parentLogger;\n',
  },
  {
    name: 'event-hook-parent',
    why: 'Nested runs learn their parent logger, so branch events can be chained to the Parallel state.',
    find: '        runOptions: { ...options, _rootAbortSignal: abortSignal },\n',
    replace:
      '        runOptions: { ...options, _rootAbortSignal: abortSignal, _parentLogger: eventLogger },\n',
  },
  {
    name: 'event-hook-call',
    why: 'Call the hook synchronously on dispatch.',
    find: '  dispatch(event) {\n    if (this.isLoggerClosed) return;\n',
    replace: '  dispatch(event) {\n    if (this.isLoggerClosed) return;\n    this.hook?.(event, this);\n',
  },
];

function countOccurrences(text: string, find: string): number {
  let count = 0;
  for (let at = text.indexOf(find); at !== -1; at = text.indexOf(find, at + find.length)) count += 1;
  return count;
}

/**
 * Applies every patch to the library source; throws naming the patch when its text is not found
 * the expected number of times (library version drift).
 */
export function patchLibrarySource(source: string, version: string): string {
  let text = source;
  for (const patch of PATCHES) {
    const expected = patch.count ?? 1;
    const found = countOccurrences(text, patch.find);
    if (found !== expected) {
      throw new Error(
        `aws-local-stepfunctions ${version}: patch '${patch.name}' expected ${expected} match(es), found ${found}. ` +
          'The library changed; review local/runtime/asl-engine.ts against the new build.',
      );
    }
    text = text.split(patch.find).join(patch.replace);
  }
  return `// Patched at runtime by local/runtime/asl-engine.ts; do not edit.\n${text}`;
}

/** The subset of the patched library the executor uses. */
export interface AslEngine {
  readonly StateMachine: typeof import('aws-local-stepfunctions').StateMachine;
  readonly ExecutionError: typeof import('aws-local-stepfunctions').ExecutionError;
  readonly ExecutionAbortedError: typeof import('aws-local-stepfunctions').ExecutionAbortedError;
  readonly ExecutionTimeoutError: typeof import('aws-local-stepfunctions').ExecutionTimeoutError;
}

let enginePromise: Promise<AslEngine> | undefined;

/**
 * Writes the patched copy next to the original (so its bare imports resolve from the same
 * node_modules) and imports it. Cached per process.
 */
export function loadAslEngine(): Promise<AslEngine> {
  enginePromise ??= (async () => {
    const require = createRequire(import.meta.url);
    // The package's exports map hides package.json; its CommonJS entry sits in build/.
    const buildDir = dirname(require.resolve('aws-local-stepfunctions'));
    const pkg = JSON.parse(readFileSync(join(buildDir, '..', 'package.json'), 'utf8')) as { version: string };
    const patched = patchLibrarySource(readFileSync(join(buildDir, 'main.node.esm.js'), 'utf8'), pkg.version);
    const target = join(buildDir, 'main.node.esm.patched.mjs');
    let current: string | undefined;
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== patched) {
      // Write then rename: test files run in parallel processes and must never import half a file.
      const temp = `${target}.${process.pid}.${randomUUID()}.tmp`;
      writeFileSync(temp, patched);
      renameSync(temp, target);
    }
    return (await import(pathToFileURL(target).href)) as AslEngine;
  })();
  return enginePromise;
}
