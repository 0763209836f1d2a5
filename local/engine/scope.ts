/**
 * What a running state can reach: the execution-wide parts (clock, history, `$$`, task
 * integrations, hooks) and its own run (event chain, cancellation, checkpoint for redrive).
 */
import type { VirtualClock } from './clock.ts';
import { RunCancelled } from './errors.ts';
import type { EventChain, HistoryLog } from './history.ts';
import type { TaskIntegrations } from './integrations.ts';
import type { Json, JsonObject } from './json.ts';
import type { TaskTokens } from './task-tokens.ts';

/** A delay the definition asked for (Retry interval after backoff and jitter, or a Wait state). */
export interface RecordedWait {
  readonly kind: 'retry' | 'wait';
  readonly stateName: string;
  /** Milliseconds the definition asked for (before the time scale). */
  readonly askedMs: number;
  /** Retry number this wait precedes (1 = first retry); absent for Wait states. */
  readonly attempt?: number;
}

/** The `$$.Execution` and `$$.StateMachine` parts of the context object. */
export interface ExecutionContext {
  readonly Execution: JsonObject;
  readonly StateMachine: JsonObject;
}

/** Execution-wide parts every state shares. */
export interface ExecutionScope {
  readonly clock: VirtualClock;
  readonly log: HistoryLog;
  readonly context: ExecutionContext;
  readonly integrations: TaskIntegrations;
  readonly tokens: TaskTokens;
  readonly executionArn: string;
  /** Jitter source for Retry. */
  readonly random: () => number;
  onWait(wait: RecordedWait): void;
}

/**
 * Where a run stopped, so RedriveExecution can go on from there: the state it was in, that
 * state's input, and for Parallel/Map the outcome of each branch or iteration.
 */
export interface Checkpoint {
  readonly stateName: string;
  readonly input: Json;
  children?: ChildCheckpoint[];
}

/** A branch or iteration: done (its output is kept) or to run again (from `resume`, or from the start). */
export type ChildCheckpoint = { readonly output: Json } | { readonly resume: Checkpoint | undefined };

/** One run of a state list: the top level, a Parallel branch or a Map iteration. */
export class RunScope {
  readonly execution: ExecutionScope;
  readonly chain: EventChain;
  readonly signal: AbortSignal;
  checkpoint: Checkpoint | undefined;

  constructor(execution: ExecutionScope, chain: EventChain, signal: AbortSignal) {
    this.execution = execution;
    this.chain = chain;
    this.signal = signal;
  }

  /** Throws {@link RunCancelled} when this run was cancelled. */
  throwIfCancelled(): void {
    if (this.signal.aborted) throw new RunCancelled();
  }
}

/** What a state's handler gets: its run, its name and its `$$` object. */
export interface StateScope {
  readonly run: RunScope;
  readonly name: string;
  /** The context object for this attempt (`$$`). */
  readonly context: JsonObject;
  /** Set on the first attempt after a redrive: where this state's branches stopped. */
  readonly resume: Checkpoint | undefined;
}

/** How a state ends: its output, and the next state (undefined: the run ends here). */
export interface StateOutcome {
  readonly output: Json;
  readonly next: string | undefined;
}

/** Resolves with `promise`, or rejects with RunCancelled as soon as `signal` aborts. */
export function untilCancelled<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new RunCancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new RunCancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** An AbortController that also aborts when `parent` does. */
export function childController(parent: AbortSignal): AbortController {
  const controller = new AbortController();
  if (parent.aborted) controller.abort();
  else parent.addEventListener('abort', () => controller.abort(), { once: true });
  return controller;
}
