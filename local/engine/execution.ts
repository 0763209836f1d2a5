/**
 * One execution: its status, its history, its checkpoint. Starts the top-level run, ends it on
 * success, failure, StopExecution or the execution's TimeoutSeconds, and redrives it (same ARN,
 * only the unsuccessful states and branches run again).
 */
import { VirtualClock } from './clock.ts';
import type { MachineDefinition } from './definition.ts';
import { RunCancelled, toStatesError } from './errors.ts';
import { EventChain, type HistoryEvent, HistoryLog, payloadDetails } from './history.ts';
import type { TaskIntegrations } from './integrations.ts';
import type { Json } from './json.ts';
import { type RedriveStatus, redriveStatusOf } from './redrive.ts';
import { runStates } from './run.ts';
import { type Checkpoint, type ExecutionScope, type RecordedWait, RunScope } from './scope.ts';
import type { TaskTokens } from './task-tokens.ts';

/** Execution status values DescribeExecution reports. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** The state machine an execution belongs to. */
export interface MachineInfo {
  readonly arn: string;
  readonly name: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  readonly definition: MachineDefinition;
  readonly roleArn: string;
}

/** What {@link Execution} needs from its engine. */
export interface ExecutionOptions {
  readonly machine: MachineInfo;
  readonly executionArn: string;
  readonly name: string;
  /** The input JSON text as given to StartExecution. */
  readonly input: string;
  readonly integrations: TaskIntegrations;
  readonly tokens: TaskTokens;
  /** @default 1 */
  readonly timeScale?: number;
  /** Jitter source for Retry. @default Math.random */
  readonly random?: () => number;
  /**
   * Called on every status change: RUNNING at the start and at each redrive, then the terminal
   * status (what EventBridge's "Step Functions Execution Status Change" events report).
   * @default none
   */
  readonly onStatusChange?: (execution: Execution) => void;
  /**
   * Bring back an execution saved by {@link Execution.snapshot} instead of starting one: nothing
   * runs. One that was RUNNING when it was saved comes back ABORTED (see RESTART_ERROR), with the
   * checkpoint it had, so RedriveExecution goes on from the state it was in.
   */
  readonly restore?: ExecutionSnapshot;
}

/** Everything an execution needs to come back after a restart: JSON-serializable. */
export interface ExecutionSnapshot {
  readonly executionArn: string;
  readonly name: string;
  readonly input: string;
  readonly status: ExecutionStatus;
  /** Epoch milliseconds. */
  readonly startDate: number;
  readonly stopDate?: number;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly redriveCount: number;
  readonly redriveDate?: number;
  /** History events with epoch-millisecond timestamps. */
  readonly events: ReadonlyArray<Record<string, unknown> & { readonly timestamp: number }>;
  readonly waits: readonly RecordedWait[];
  /** Where a redrive goes on (also for a RUNNING execution: the state it is in). */
  readonly checkpoint?: Checkpoint;
}

/** The error of an execution that was RUNNING when the offline runtime stopped (redrivable). */
export const RESTART_ERROR = 'Local.RuntimeRestarted';
export const RESTART_CAUSE =
  'The offline runtime stopped while this execution was running. It was restored ABORTED from --data-dir; RedriveExecution goes on from the state it was in.';

const TIMEOUT_CAUSE = 'The execution timed out (TimeoutSeconds elapsed).';

/** One execution: what DescribeExecution and GetExecutionHistory read. */
export class Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: Date;
  status: ExecutionStatus = 'RUNNING';
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  redriveCount = 0;
  redriveDate?: Date;
  readonly events: HistoryEvent[];
  readonly waits: RecordedWait[] = [];
  readonly clock: VirtualClock;
  readonly #opts: ExecutionOptions;
  readonly #log: HistoryLog;
  #done!: PromiseWithResolvers<void>;
  #abort = new AbortController();
  #root: RunScope | undefined;
  #checkpoint: Checkpoint | undefined;
  #cancelTimeout: () => void = () => undefined;

  constructor(opts: ExecutionOptions) {
    this.#opts = opts;
    this.executionArn = opts.executionArn;
    this.stateMachineArn = opts.machine.arn;
    this.name = opts.name;
    this.input = opts.input;
    this.clock = new VirtualClock({ timeScale: opts.timeScale ?? 1 });
    this.#log = new HistoryLog(() => this.clock.now());
    this.events = this.#log.events;
    this.#done = Promise.withResolvers<void>();
    if (opts.restore) {
      this.startDate = new Date(opts.restore.startDate);
      this.#restore(opts.restore);
      return;
    }
    this.startDate = this.clock.now();
    this.#log.add('ExecutionStarted', {
      input: opts.input,
      inputDetails: payloadDetails(),
      roleArn: opts.machine.roleArn,
    });
    // RUNNING is reported before the run can reach (and report) a terminal status.
    opts.onStatusChange?.(this);
    this.#run(JSON.parse(opts.input) as Json, 0, undefined);
  }

  /** What {@link ExecutionOptions.restore} needs to bring this execution back. */
  snapshot(): ExecutionSnapshot {
    const checkpoint = this.status === 'RUNNING' ? this.#root?.checkpoint : this.#checkpoint;
    return {
      executionArn: this.executionArn,
      name: this.name,
      input: this.input,
      status: this.status,
      startDate: this.startDate.getTime(),
      ...(this.stopDate ? { stopDate: this.stopDate.getTime() } : {}),
      ...(this.output === undefined ? {} : { output: this.output }),
      ...(this.error === undefined ? {} : { error: this.error }),
      ...(this.cause === undefined ? {} : { cause: this.cause }),
      redriveCount: this.redriveCount,
      ...(this.redriveDate ? { redriveDate: this.redriveDate.getTime() } : {}),
      events: this.events.map((event) => ({ ...event, timestamp: event.timestamp.getTime() })),
      waits: [...this.waits],
      // A deep copy: a running Parallel keeps writing into its live checkpoint.
      ...(checkpoint ? { checkpoint: structuredClone(checkpoint) } : {}),
    };
  }

  #restore(saved: ExecutionSnapshot): void {
    for (const event of saved.events) {
      this.events.push({ ...event, timestamp: new Date(event.timestamp) } as unknown as HistoryEvent);
    }
    this.waits.push(...saved.waits);
    // Time never runs backwards for this execution: its clock resumes after its last event.
    const last = saved.events.at(-1)?.timestamp ?? saved.startDate;
    if (last > this.clock.nowMs()) this.clock.advanceTo(last);
    this.redriveCount = saved.redriveCount;
    if (saved.redriveDate !== undefined) this.redriveDate = new Date(saved.redriveDate);
    if (saved.output !== undefined) this.output = saved.output;
    if (saved.error !== undefined) this.error = saved.error;
    if (saved.cause !== undefined) this.cause = saved.cause;
    this.#checkpoint = saved.checkpoint;
    this.status = saved.status;
    this.#log.closed = true;
    if (saved.stopDate !== undefined) this.stopDate = new Date(saved.stopDate);
    if (saved.status === 'RUNNING') {
      this.error = RESTART_ERROR;
      this.cause = RESTART_CAUSE;
      this.status = 'ABORTED';
      this.#log.closed = false;
      this.#log.add('ExecutionAborted', { error: RESTART_ERROR, cause: RESTART_CAUSE });
      this.#log.closed = true;
      this.stopDate = this.clock.now();
    }
    this.#done.resolve();
  }

  /** Settles when the execution reaches a terminal status (again, after a redrive). */
  get done(): Promise<void> {
    return this.#done.promise;
  }

  /** Whether RedriveExecution would accept this execution now, and why not. */
  get redriveStatus(): RedriveStatus {
    return redriveStatusOf(this, this.#opts.machine.type, this.clock.nowMs());
  }

  /** Aborts a running execution (StopExecution); a closed one is left as it is. */
  stop(error?: string, cause?: string): void {
    if (this.status !== 'RUNNING') return;
    if (error !== undefined) this.error = error;
    if (cause !== undefined) this.cause = cause;
    this.#finish('ABORTED', 'ExecutionAborted', {
      ...(error ? { error } : {}),
      ...(cause ? { cause } : {}),
    });
  }

  /**
   * Runs the unsuccessful part again on the same ARN (RedriveExecution): the state each run
   * stopped in, with that state's input; finished branches and iterations keep their output.
   * @throws Error when {@link redriveStatus} says NOT_REDRIVABLE (the endpoint checks first)
   */
  redrive(): Date {
    const status = this.redriveStatus;
    if (status.status !== 'REDRIVABLE') throw new Error(status.reason);
    this.redriveCount += 1;
    this.redriveDate = this.clock.now();
    this.status = 'RUNNING';
    for (const field of ['stopDate', 'output', 'error', 'cause'] as const) delete this[field];
    this.#done = Promise.withResolvers<void>();
    this.#abort = new AbortController();
    this.#log.closed = false;
    const redriven = this.#log.add('ExecutionRedriven', { redriveCount: this.redriveCount });
    this.#opts.onStatusChange?.(this);
    this.#run(null, redriven, this.#checkpoint);
    return this.redriveDate;
  }

  #scope(): ExecutionScope {
    const { machine, integrations, tokens } = this.#opts;
    const Execution: Record<string, Json> = {
      Id: this.executionArn,
      Input: JSON.parse(this.input) as Json,
      Name: this.name,
      RoleArn: machine.roleArn,
      StartTime: this.startDate.toISOString(),
      RedriveCount: this.redriveCount,
      ...(this.redriveDate ? { RedriveTime: this.redriveDate.toISOString() } : {}),
    };
    return {
      clock: this.clock,
      log: this.#log,
      context: { Execution, StateMachine: { Id: machine.arn, Name: machine.name } },
      integrations,
      tokens,
      executionArn: this.executionArn,
      random: this.#opts.random ?? Math.random,
      onWait: (wait) => this.waits.push(wait),
    };
  }

  #run(input: Json, previousEventId: number, resume: Checkpoint | undefined): void {
    const signal = this.#abort.signal;
    const root = new RunScope(this.#scope(), new EventChain(this.#log, previousEventId, signal), signal);
    this.#root = root;
    this.#armTimeout();
    runStates(this.#opts.machine.definition, input, root, resume).then(
      (output) => {
        if (this.status !== 'RUNNING' || signal.aborted) return;
        this.output = JSON.stringify(output);
        this.#finish('SUCCEEDED', 'ExecutionSucceeded', {
          output: this.output,
          outputDetails: payloadDetails(),
        });
      },
      (thrown: unknown) => {
        if (thrown instanceof RunCancelled || this.status !== 'RUNNING' || signal.aborted) return;
        const error = toStatesError(thrown);
        this.error = error.name;
        this.cause = error.causeText;
        this.#finish(
          'FAILED',
          'ExecutionFailed',
          {
            ...(error.name ? { error: error.name } : {}),
            ...(error.causeText ? { cause: error.causeText } : {}),
          },
          root.chain.last,
        );
      },
    );
  }

  /** TimeoutSeconds counts from the start (or the redrive: AWS resets it) on the virtual clock. */
  #armTimeout(): void {
    const seconds = this.#opts.machine.definition.TimeoutSeconds;
    if (seconds === undefined) return;
    const deadline = this.clock.nowMs() + seconds * 1000;
    this.clock.horizonMs = deadline;
    let timer: NodeJS.Timeout | undefined;
    const check = (): void => {
      clearTimeout(timer);
      const left = deadline - this.clock.nowMs();
      if (left > 0) {
        timer = setTimeout(check, Math.min(left, 2_147_483_647));
        timer.unref();
        return;
      }
      this.error = 'States.Timeout';
      this.cause = TIMEOUT_CAUSE;
      this.#finish('TIMED_OUT', 'ExecutionTimedOut', { error: this.error, cause: this.cause });
    };
    const unsubscribe = this.clock.onJump(check);
    this.#cancelTimeout = () => {
      clearTimeout(timer);
      unsubscribe();
      this.clock.horizonMs = Number.POSITIVE_INFINITY;
    };
    check();
  }

  #finish(
    status: ExecutionStatus,
    type: string,
    details: Record<string, unknown>,
    previousEventId?: number,
  ): void {
    if (this.status !== 'RUNNING') return;
    this.status = status;
    this.#cancelTimeout();
    this.#log.add(type, details, previousEventId);
    this.#log.closed = true;
    this.stopDate = this.clock.now();
    this.#checkpoint = status === 'SUCCEEDED' ? undefined : this.#root?.checkpoint;
    this.#abort.abort();
    this.#done.resolve();
    this.#opts.onStatusChange?.(this);
  }
}
