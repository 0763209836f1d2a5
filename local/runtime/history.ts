import type { HistoryEventType, HistoryEvent as SdkHistoryEvent } from '@aws-sdk/client-sfn';

/**
 * Execution history in the shape GetExecutionHistory returns it: numbered events with
 * `previousEventId`, a timestamp and one `*EventDetails` member named after the event type.
 */

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

/** The `*EventDetails` member name AWS uses for each event type. */
const DETAILS_KEY: Record<string, string> = {
  ExecutionStarted: 'executionStartedEventDetails',
  ExecutionSucceeded: 'executionSucceededEventDetails',
  ExecutionFailed: 'executionFailedEventDetails',
  ExecutionAborted: 'executionAbortedEventDetails',
  ExecutionTimedOut: 'executionTimedOutEventDetails',
  LambdaFunctionScheduled: 'lambdaFunctionScheduledEventDetails',
  LambdaFunctionStartFailed: 'lambdaFunctionStartFailedEventDetails',
  LambdaFunctionSucceeded: 'lambdaFunctionSucceededEventDetails',
  LambdaFunctionFailed: 'lambdaFunctionFailedEventDetails',
  LambdaFunctionTimedOut: 'lambdaFunctionTimedOutEventDetails',
  TaskScheduled: 'taskScheduledEventDetails',
  TaskStarted: 'taskStartedEventDetails',
  TaskSucceeded: 'taskSucceededEventDetails',
  TaskFailed: 'taskFailedEventDetails',
  TaskTimedOut: 'taskTimedOutEventDetails',
  MapStateStarted: 'mapStateStartedEventDetails',
};

/** Details key for a type: `*StateEntered` → stateEnteredEventDetails, `*StateExited` → stateExitedEventDetails. */
export function detailsKeyFor(type: string): string | undefined {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return DETAILS_KEY[type];
}

/** `{ included/truncated }` companions AWS puts beside input and output strings. */
export function payloadDetails(): { truncated: boolean } {
  return { truncated: false };
}

/** Appends events with consecutive ids; timestamps come from the execution's (virtual) clock. */
export class HistoryLog {
  readonly events: HistoryEvent[] = [];
  readonly #now: () => Date;

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

/** Serializes a history event for the JSON protocol (timestamps as epoch seconds). */
export function toWireEvent(event: HistoryEvent, includeData: boolean): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === 'timestamp') wire.timestamp = event.timestamp.getTime() / 1000;
    else if (key.endsWith('EventDetails') && !includeData && value && typeof value === 'object') {
      // includeExecutionData=false drops input/output, as AWS does.
      const { input: _input, output: _output, ...rest } = value as Record<string, unknown>;
      wire[key] = rest;
    } else wire[key] = value;
  }
  return wire;
}
