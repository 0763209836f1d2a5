/**
 * Runs a state machine definition on aws-local-stepfunctions (patched, see asl-engine.ts) and
 * records each execution's status and AWS-shaped history. Task states call the local Lambda
 * adapter; waits (Retry intervals, Wait states) run `timeScale` times faster in real time while
 * history timestamps advance by the full delay the definition asked for (a per-execution
 * virtual clock), so "not retried before 2 s" stays checkable under a time scale.
 */
import { type AslEngine, loadAslEngine } from './asl-engine.ts';
import { type HistoryEvent, HistoryLog, payloadDetails } from './history.ts';
import { LOCAL_ACCOUNT, LOCAL_PARTITION, LOCAL_REGION, type LocalStateMachine } from './template.ts';

/** Execution status values DescribeExecution reports. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** A delay the definition asked for (Retry interval incl. backoff/jitter, or a Wait state). */
export interface RecordedWait {
  readonly kind: 'retry' | 'wait';
  readonly stateName: string;
  /** Milliseconds the definition asked for (before the time scale). */
  readonly askedMs: number;
  /** Retry number this wait precedes (1 = first retry); absent for Wait states. */
  readonly attempt?: number;
}

/** One execution: what DescribeExecution and GetExecutionHistory read. */
export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  /** The input JSON text as given to StartExecution. */
  readonly input: string;
  readonly startDate: Date;
  status: ExecutionStatus;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  readonly events: HistoryEvent[];
  readonly waits: RecordedWait[];
  /** Settles when the execution reaches a terminal status. */
  readonly done: Promise<void>;
  /** Aborts a running execution (StopExecution). */
  stop(error?: string, cause?: string): void;
}

/** Calls a Lambda function by ARN or name; rejects with Error(name=errorType, message=cause JSON). */
export type InvokeFunction = (functionArnOrName: string, payload: unknown) => Promise<unknown>;

/** Options for {@link createExecutor}. */
export interface ExecutorOptions {
  readonly machine: LocalStateMachine;
  readonly invoke: InvokeFunction;
  /** Waits run this many times faster than asked. @default 1 */
  readonly timeScale?: number;
}

/** Starts executions of one state machine. */
export interface StateMachineExecutor {
  readonly machine: LocalStateMachine;
  start(name: string, input: string): ExecutionRecord;
}

interface TaskInfo {
  readonly type: 'lambda' | 'sdk-invoke';
  readonly functionArn?: string;
  readonly timeoutSeconds?: number;
}

interface LoggerRef {
  readonly parent?: LoggerRef;
}

interface LibraryEvent {
  readonly type: string;
  readonly state?: {
    readonly name: string;
    readonly type: string;
    readonly input: unknown;
    readonly output?: unknown;
  };
  readonly Error?: string;
  readonly Cause?: unknown;
}

const LAMBDA_INVOKE = /^arn:[^:]+:states:::lambda:invoke$/;

/** Every Task state (also inside Parallel branches and Map iterators) by state name. */
export function collectTaskStates(definition: Record<string, unknown>): Map<string, TaskInfo> {
  const tasks = new Map<string, TaskInfo>();
  const visit = (machine: unknown): void => {
    const states =
      (machine as { States?: Record<string, Record<string, unknown>> } | undefined)?.States ?? {};
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') {
        const resource = String(state.Resource);
        const timeout =
          typeof state.TimeoutSeconds === 'number' ? { timeoutSeconds: state.TimeoutSeconds } : {};
        if (LAMBDA_INVOKE.test(resource)) tasks.set(name, { type: 'sdk-invoke', ...timeout });
        else if (/^arn:[^:]+:lambda:/.test(resource))
          tasks.set(name, { type: 'lambda', functionArn: resource, ...timeout });
        else
          throw new Error(
            `state '${name}': Task resource ${resource} is not supported by the offline runtime`,
          );
      }
      for (const branch of (state.Branches as unknown[] | undefined) ?? []) visit(branch);
      visit(state.ItemProcessor ?? state.Iterator);
    }
  };
  visit(definition);
  return tasks;
}

const json = (value: unknown): string => JSON.stringify(value ?? null);

/**
 * Prepares one state machine (validates the definition once) for repeated executions.
 *
 * @example
 * const executor = await createExecutor({ machine, invoke: lambdas.invoke, timeScale: 20 });
 * const record = executor.start('reg_1', '{"user_info":{}}');
 * await record.done;
 */
export async function createExecutor(opts: ExecutorOptions): Promise<StateMachineExecutor> {
  const engine: AslEngine = await loadAslEngine();
  const { machine } = opts;
  const scale = opts.timeScale ?? 1;
  if (!(scale > 0)) throw new Error(`timeScale must be a positive number, got ${String(opts.timeScale)}`);
  const tasks = collectTaskStates(machine.definition);
  const stateMachine = new engine.StateMachine(machine.definition as never, {
    validationOptions: { checkArn: true, checkPaths: true },
  });

  const start = (name: string, input: string): ExecutionRecord => {
    const executionArn = `arn:${LOCAL_PARTITION}:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${machine.name}:${name}`;
    const startedAt = Date.now();
    let offset = 0;
    const now = (): Date => new Date(Date.now() + offset);
    const log = new HistoryLog(now);
    const waits: RecordedWait[] = [];
    let settle: () => void = () => undefined;
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.arn,
      name,
      input,
      startDate: new Date(startedAt),
      status: 'RUNNING',
      events: log.events,
      waits,
      done: new Promise<void>((resolve) => {
        settle = resolve;
      }),
      stop: () => undefined,
    };
    const running = (): boolean => record.status === 'RUNNING';
    const finish = (status: ExecutionStatus, type: string, details: Record<string, unknown>): void => {
      if (!running()) return;
      log.add(type, details);
      record.status = status;
      record.stopDate = now();
      settle();
    };

    const sleep = async (
      ms: number,
      signal: AbortSignal | undefined,
      info: Omit<RecordedWait, 'askedMs'>,
    ) => {
      waits.push({ ...info, askedMs: ms });
      if (!(ms > 0) || signal?.aborted) return;
      const virtualStart = Date.now() + offset;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms / scale);
        function done(): void {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        }
        signal?.addEventListener('abort', done, { once: true });
      });
      // Advance the virtual clock so the wake-up is at least `ms` after the wait began.
      offset = Math.max(offset, virtualStart + ms - Date.now());
    };

    // Per-branch bookkeeping for previousEventId: last event of each run (branch) and state.
    const lastOfRun = new Map<LoggerRef, number>();
    const lastOfState = new Map<string, number>();
    const attempts = new Map<string, { settled: boolean; sdk: boolean }>();
    const failedStates = new Set<string>();
    // The library re-dispatches a branch's events to the root logger (same object): count once.
    const seen = new WeakSet<LibraryEvent>();
    const onLibraryEvent = (event: LibraryEvent, logger: LoggerRef): void => {
      const state = event.state;
      if (!running() || !state || seen.has(event)) return;
      seen.add(event);
      const runPrev = (): number | undefined =>
        lastOfRun.get(logger) ?? (logger.parent ? lastOfRun.get(logger.parent) : undefined);
      if (event.type === 'StateEntered') {
        failedStates.delete(state.name);
        let id = log.add(
          `${state.type}StateEntered`,
          { name: state.name, input: json(state.input), inputDetails: payloadDetails() },
          runPrev(),
        );
        if (state.type === 'Parallel' || state.type === 'Map')
          id = log.add(`${state.type}StateStarted`, undefined, id);
        lastOfState.set(state.name, id);
        lastOfRun.set(logger, id);
      } else if (event.type === 'StateExited') {
        let prev = lastOfState.get(state.name);
        if ((state.type === 'Parallel' || state.type === 'Map') && !failedStates.has(state.name)) {
          prev = log.add(`${state.type}StateSucceeded`);
        }
        const id = log.add(
          `${state.type}StateExited`,
          { name: state.name, output: json(state.output), outputDetails: payloadDetails() },
          prev,
        );
        lastOfRun.set(logger, id);
      } else if (event.type === 'StateFailed') {
        const attempt = attempts.get(state.name);
        if (state.type === 'Task' && attempt && !attempt.settled && event.Error === 'States.Timeout') {
          // The library's TimeoutSeconds timer fired while the function was still running.
          attempt.settled = true;
          const details = { error: 'States.Timeout', cause: 'The task timed out (TimeoutSeconds elapsed).' };
          const type = attempt.sdk ? 'TaskTimedOut' : 'LambdaFunctionTimedOut';
          const extra = attempt.sdk ? { resourceType: 'lambda', resource: 'invoke' } : {};
          lastOfState.set(state.name, log.add(type, { ...extra, ...details }, lastOfState.get(state.name)));
        } else if (state.type === 'Parallel' || state.type === 'Map') {
          failedStates.add(state.name);
          lastOfState.set(state.name, log.add(`${state.type}StateFailed`));
        }
      }
    };

    const taskHandler =
      (stateName: string, task: TaskInfo) =>
      async (input: unknown): Promise<unknown> => {
        const sdk = task.type === 'sdk-invoke';
        const params = (input ?? {}) as { FunctionName?: string; Payload?: unknown };
        const functionArn = sdk ? String(params.FunctionName) : task.functionArn!;
        const payload = sdk ? (params.Payload ?? {}) : input;
        const sdkIds = { resourceType: 'lambda', resource: 'invoke' };
        const timeout = task.timeoutSeconds === undefined ? {} : { timeoutInSeconds: task.timeoutSeconds };
        const add = (type: string, details?: Record<string, unknown>): void => {
          if (running()) lastOfState.set(stateName, log.add(type, details, lastOfState.get(stateName)));
        };
        if (sdk) {
          add('TaskScheduled', { ...sdkIds, region: LOCAL_REGION, parameters: json(input), ...timeout });
          add('TaskStarted', sdkIds);
        } else {
          add('LambdaFunctionScheduled', {
            resource: functionArn,
            input: json(payload),
            inputDetails: payloadDetails(),
            ...timeout,
          });
          add('LambdaFunctionStarted');
        }
        const attempt = { settled: false, sdk };
        attempts.set(stateName, attempt);
        let result: unknown;
        try {
          result = await opts.invoke(functionArn, payload);
        } catch (error) {
          if (!attempt.settled) {
            attempt.settled = true;
            const name = error instanceof Error ? error.name : 'Error';
            const cause = error instanceof Error ? error.message : String(error);
            add(sdk ? 'TaskFailed' : 'LambdaFunctionFailed', { ...(sdk ? sdkIds : {}), error: name, cause });
          }
          throw error;
        }
        if (!attempt.settled) {
          attempt.settled = true;
          const output = { output: json(result), outputDetails: payloadDetails() };
          add(sdk ? 'TaskSucceeded' : 'LambdaFunctionSucceeded', sdk ? { ...sdkIds, ...output } : output);
        }
        if (!sdk) return result;
        return { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
      };

    const parsedInput = JSON.parse(input) as unknown;
    log.add('ExecutionStarted', {
      input,
      inputDetails: payloadDetails(),
      roleArn: `arn:${LOCAL_PARTITION}:iam::${LOCAL_ACCOUNT}:role/${machine.name}-role`,
    });
    const run = stateMachine.run(parsedInput as never, {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(
          [...tasks].map(([stateName, task]) => [stateName, taskHandler(stateName, task)]),
        ) as never,
      },
      context: {
        Execution: {
          Id: executionArn,
          Name: name,
          Input: parsedInput as never,
          StartTime: record.startDate.toISOString(),
          RoleArn: `arn:${LOCAL_PARTITION}:iam::${LOCAL_ACCOUNT}:role/${machine.name}-role`,
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
      },
      // Extension options read by the patched library (asl-engine.ts).
      ...({ _sleep: sleep, _eventHook: onLibraryEvent, _now: now } as object),
    });
    record.stop = (error, cause) => {
      if (!running()) return;
      if (error !== undefined) record.error = error;
      if (cause !== undefined) record.cause = cause;
      finish('ABORTED', 'ExecutionAborted', { ...(error ? { error } : {}), ...(cause ? { cause } : {}) });
      run.abort();
    };
    run.result.then(
      (output) => {
        if (!running()) return;
        record.output = json(output);
        finish('SUCCEEDED', 'ExecutionSucceeded', { output: record.output, outputDetails: payloadDetails() });
      },
      (error: unknown) => {
        if (error instanceof engine.ExecutionAbortedError || !running()) return;
        if (error instanceof engine.ExecutionTimeoutError) {
          record.error = 'States.Timeout';
          record.cause = 'The execution timed out (TimeoutSeconds elapsed).';
          finish('TIMED_OUT', 'ExecutionTimedOut', { error: record.error, cause: record.cause });
          return;
        }
        const failure = error instanceof engine.ExecutionError ? (error.cause as Error) : (error as Error);
        record.error = failure?.name ?? 'States.Runtime';
        record.cause = typeof failure?.message === 'string' ? failure.message : String(failure);
        finish('FAILED', 'ExecutionFailed', { error: record.error, cause: record.cause });
      },
    );
    return record;
  };
  return { machine, start };
}
