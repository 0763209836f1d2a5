/** Reading execution histories: billed transitions, retries, durations. */
import { type HistoryEvent, paginateGetExecutionHistory, type SFNClient } from '@aws-sdk/client-sfn';

/** The parts of a history event these helpers read (the SDK's `HistoryEvent` fits). */
export interface HistoryEventLike {
  readonly type?: string | undefined;
  readonly timestamp?: Date | undefined;
  readonly stateEnteredEventDetails?: { readonly name?: string | undefined } | undefined;
  readonly stateExitedEventDetails?: { readonly name?: string | undefined } | undefined;
}

/** What an execution is billed for on Standard, read from its history. */
export interface TransitionCount {
  /** `*StateEntered` events, each state entry counted once. */
  readonly statesEntered: number;
  /** `*StateEntered` events repeating an entry of a state not exited yet (not billed; see notes). */
  readonly duplicateEntries: number;
  /** Attempts beyond the first of each Task entry (a Retrier re-running the task). */
  readonly retries: number;
  /** Billed transitions: states entered plus retries (AWS bills each retry as a transition). */
  readonly billed: number;
  /** First to last event, ms. */
  readonly durationMs: number;
}

const SCHEDULED = new Set(['LambdaFunctionScheduled', 'TaskScheduled']);

/**
 * Counts an execution's transitions. A state entered again before it exited is counted once:
 * that is an event logged twice (one state can't run twice at once), not a second transition.
 */
export function countTransitions(events: readonly HistoryEventLike[]): TransitionCount {
  const open = new Map<string, number>();
  let statesEntered = 0;
  let duplicateEntries = 0;
  let taskEntries = 0;
  let scheduled = 0;
  for (const event of events) {
    const type = event.type ?? '';
    if (type.endsWith('StateEntered')) {
      const name = event.stateEnteredEventDetails?.name ?? '';
      if ((open.get(name) ?? 0) > 0) {
        duplicateEntries++;
        continue;
      }
      open.set(name, 1);
      statesEntered++;
      if (type === 'TaskStateEntered') taskEntries++;
    } else if (type.endsWith('StateExited')) {
      open.set(event.stateExitedEventDetails?.name ?? '', 0);
    } else if (SCHEDULED.has(type)) scheduled++;
  }
  const retries = Math.max(0, scheduled - taskEntries);
  const first = events[0]?.timestamp?.getTime() ?? 0;
  const last = events.at(-1)?.timestamp?.getTime() ?? first;
  return {
    statesEntered,
    duplicateEntries,
    retries,
    billed: statesEntered + retries,
    durationMs: last - first,
  };
}

/** Time each Task state spent from its first entry to its last exit, ms, by state name. */
export function taskDurations(events: readonly HistoryEventLike[]): Map<string, number> {
  const entered = new Map<string, number>();
  const spent = new Map<string, number>();
  for (const event of events) {
    const time = event.timestamp?.getTime() ?? 0;
    if (event.type === 'TaskStateEntered') {
      const name = event.stateEnteredEventDetails?.name ?? '';
      if (!entered.has(name)) entered.set(name, time);
    } else if (event.type === 'TaskStateExited') {
      const name = event.stateExitedEventDetails?.name ?? '';
      const start = entered.get(name);
      if (start !== undefined) spent.set(name, time - start);
    }
  }
  return spent;
}

/** Every event of an execution (the SDK's paginator follows `nextToken`). */
export async function fetchHistory(client: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for await (const page of paginateGetExecutionHistory({ client, pageSize: 1000 }, { executionArn })) {
    events.push(...(page.events ?? []));
  }
  return events;
}

/** Each execution's duration (first to last event, ms) and billed transitions, in order. */
export async function executionFigures(
  client: SFNClient,
  executionArns: readonly string[],
): Promise<{ executionMs: number[]; transitions: number[] }> {
  const executionMs: number[] = [];
  const transitions: number[] = [];
  for (const arn of executionArns) {
    const counted = countTransitions(await fetchHistory(client, arn));
    executionMs.push(counted.durationMs);
    transitions.push(counted.billed);
  }
  return { executionMs, transitions };
}
