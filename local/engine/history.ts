/**
 * Execution history in the shape GetExecutionHistory returns it: numbered events, each with the
 * `previousEventId` of the event it follows in its own branch, a timestamp from the execution's
 * virtual clock, and one `*EventDetails` member named after its type.
 */
import type { HistoryEventType, HistoryEvent as SdkHistoryEvent } from '@aws-sdk/client-sfn';

/**
 * One history event, typed as the SDK's (so code written for GetExecutionHistory reads the
 * in-process records too) with id, previousEventId, timestamp and type always present.
 */
export type HistoryEvent = SdkHistoryEvent & {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: Date;
  readonly type: HistoryEventType;
};

/** The `*EventDetails` member AWS uses for each event type that has details. */
const DETAILS_KEY: Readonly<Record<string, string>> = {
  ExecutionStarted: 'executionStartedEventDetails',
  ExecutionSucceeded: 'executionSucceededEventDetails',
  ExecutionFailed: 'executionFailedEventDetails',
  ExecutionAborted: 'executionAbortedEventDetails',
  ExecutionTimedOut: 'executionTimedOutEventDetails',
  ExecutionRedriven: 'executionRedrivenEventDetails',
  LambdaFunctionScheduled: 'lambdaFunctionScheduledEventDetails',
  LambdaFunctionScheduleFailed: 'lambdaFunctionScheduleFailedEventDetails',
  LambdaFunctionStartFailed: 'lambdaFunctionStartFailedEventDetails',
  LambdaFunctionSucceeded: 'lambdaFunctionSucceededEventDetails',
  LambdaFunctionFailed: 'lambdaFunctionFailedEventDetails',
  LambdaFunctionTimedOut: 'lambdaFunctionTimedOutEventDetails',
  TaskScheduled: 'taskScheduledEventDetails',
  TaskStarted: 'taskStartedEventDetails',
  TaskStartFailed: 'taskStartFailedEventDetails',
  TaskSubmitted: 'taskSubmittedEventDetails',
  TaskSubmitFailed: 'taskSubmitFailedEventDetails',
  TaskSucceeded: 'taskSucceededEventDetails',
  TaskFailed: 'taskFailedEventDetails',
  TaskTimedOut: 'taskTimedOutEventDetails',
  MapStateStarted: 'mapStateStartedEventDetails',
  MapIterationStarted: 'mapIterationStartedEventDetails',
  MapIterationSucceeded: 'mapIterationSucceededEventDetails',
  MapIterationFailed: 'mapIterationFailedEventDetails',
  MapIterationAborted: 'mapIterationAbortedEventDetails',
};

/** Details key for a type: `*StateEntered` → stateEnteredEventDetails, `*StateExited` → stateExitedEventDetails. */
export function detailsKeyFor(type: string): string | undefined {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return DETAILS_KEY[type];
}

/** The `{ truncated }` companion AWS puts beside every input and output string. */
export function payloadDetails(): { truncated: boolean } {
  return { truncated: false };
}

/** Appends events with consecutive ids; timestamps come from the given (virtual) clock. */
export class HistoryLog {
  readonly events: HistoryEvent[] = [];
  readonly #now: () => Date;
  /** A closed log (the execution ended) ignores further events until it is reopened (redrive). */
  closed = false;

  constructor(now: () => Date) {
    this.#now = now;
  }

  /** Id of the newest event (0 before the first). */
  get lastId(): number {
    return this.events.length;
  }

  /**
   * Adds an event and returns its id.
   * @param previousEventId the event this one follows in its branch @default the newest event
   */
  add(type: string, details?: Record<string, unknown>, previousEventId?: number): number {
    if (this.closed) return this.lastId;
    const id = this.events.length + 1;
    const key = detailsKeyFor(type);
    const event = {
      id,
      previousEventId: previousEventId ?? this.lastId,
      timestamp: this.#now(),
      type: type as HistoryEventType,
      ...(key && details ? { [key]: details } : {}),
    } as HistoryEvent;
    this.events.push(event);
    return id;
  }
}

/**
 * The causal chain of one run (the top level, a branch, a Map iteration): every event it adds
 * follows the previous one, as AWS chains `previousEventId`.
 */
export class EventChain {
  readonly log: HistoryLog;
  readonly #signal: AbortSignal | undefined;
  /** Id of the last event of this chain (0 before its first). */
  last: number;

  /** @param signal once it aborts (the run was cancelled) the chain records nothing more */
  constructor(log: HistoryLog, last: number, signal?: AbortSignal) {
    this.log = log;
    this.last = last;
    this.#signal = signal;
  }

  add(type: string, details?: Record<string, unknown>): number {
    if (this.#signal?.aborted) return this.last;
    this.last = this.log.add(type, details, this.last);
    return this.last;
  }

  /** A new chain that starts after this one's last event (a branch or an iteration). */
  fork(signal: AbortSignal): EventChain {
    return new EventChain(this.log, this.last, signal);
  }
}
