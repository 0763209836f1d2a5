/**
 * Execution history -> a timeline of every attempt: each step's Lambda attempts, the retry waits
 * between them (Retry-After waits told apart by their `RetryAfter.<n>s` error), its fallback, and
 * the Parallel branches it ran in. Pure and browser-safe: the console server builds it from
 * GetExecutionHistory and the page only draws it.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { readableCause } from '../../lambdas/api/execution-steps.ts';

/** One Lambda invocation of a step. Times are ms since the execution started. */
export interface Attempt {
  /** 1 = the first try. */
  readonly attempt: number;
  readonly start: number;
  /** undefined while it runs. */
  readonly end?: number;
  readonly outcome: 'running' | 'succeeded' | 'failed' | 'timed_out';
  readonly error?: string;
  readonly cause?: string;
}

/** The pause between a failed attempt and the next one. */
export interface RetryWait {
  readonly start: number;
  /** undefined while waiting. */
  readonly end?: number;
  /** `retry_after`: the service asked for the delay (error `RetryAfter.<n>s`). */
  readonly kind: 'retry' | 'retry_after';
  /** The delay asked for, for Retry-After waits. */
  readonly seconds?: number;
}

/** One step's row. */
export interface Lane {
  readonly kind: 'lane';
  readonly step: string;
  readonly attempts: Attempt[];
  readonly waits: RetryWait[];
  /** When its `<step> (fallback)` Pass ran. */
  fallbackAt?: number;
  /** The step's result: the last successful attempt's output, or the fallback's value. */
  result?: unknown;
}

/** One run of a Parallel state: its branches side by side. */
export interface ParallelRun {
  readonly kind: 'parallel';
  readonly name: string;
  readonly start: number;
  end?: number;
  readonly branches: TimelineItem[][];
}

export type TimelineItem = Lane | ParallelRun;

/** The whole timeline; `items` are top-level lanes and Parallel runs in the order they started. */
export interface Timeline {
  /** ISO time of ExecutionStarted. */
  readonly startedAt: string | null;
  /** The axis length in ms: to the execution's end, or to `now` while it runs. */
  readonly spanMs: number;
  readonly items: TimelineItem[];
}

const RETRY_AFTER = /^RetryAfter\.(\d+)s$/;
const FALLBACK_SUFFIX = ' (fallback)';
const PARALLEL_ENDS = new Set(['ParallelStateSucceeded', 'ParallelStateFailed', 'ParallelStateAborted']);

/** Where an event ran: the top level, or one branch of one Parallel run. */
interface Context {
  readonly items: TimelineItem[];
  readonly run?: ParallelRun;
  /** The context the Parallel itself ran in. */
  readonly outer?: Context;
}

/**
 * Builds the timeline. Lambda events name no state, so each is attributed by following
 * `previousEventId` to its TaskStateEntered (AWS chains every event of a branch to the one
 * before); a state entered right after ParallelStateStarted opens a new branch of that run.
 *
 * @param now - end of the axis while the execution runs (ms since the epoch) @default Date.now()
 */
export function buildTimeline(
  events: readonly HistoryEvent[],
  execution: { readonly running: boolean; readonly stoppedAt?: Date | undefined },
  now = Date.now(),
): Timeline {
  const started = events.find((e) => e.type === 'ExecutionStarted')?.timestamp;
  const t0 = started?.getTime() ?? events[0]?.timestamp?.getTime() ?? now;
  const at = (event: HistoryEvent): number => (event.timestamp?.getTime() ?? t0) - t0;
  const root: Context = { items: [] };
  const contextOf = new Map<number, Context>();
  const stepOf = new Map<number, string>();
  const lanes = new Map<string, Lane>();
  const runs = new Map<number, { run: ParallelRun; context: Context }>();
  const lane = (step: string, context: Context): Lane => {
    let found = lanes.get(step);
    if (!found) {
      found = { kind: 'lane', step, attempts: [], waits: [] };
      lanes.set(step, found);
      context.items.push(found);
    }
    return found;
  };

  for (const event of events) {
    const id = event.id ?? 0;
    const previous = event.previousEventId ?? 0;
    let context = contextOf.get(previous) ?? root;
    const type = event.type ?? '';
    if (type === 'ParallelStateStarted') {
      const entered = events.find((e) => e.id === previous);
      const run: ParallelRun = {
        kind: 'parallel',
        name: entered?.stateEnteredEventDetails?.name ?? 'Parallel',
        start: at(entered ?? event),
        branches: [],
      };
      context.items.push(run);
      runs.set(id, { run, context });
    } else if (type.endsWith('StateEntered') && runs.has(previous)) {
      const { run, context: outer } = runs.get(previous)!;
      const branch: TimelineItem[] = [];
      run.branches.push(branch);
      context = { items: branch, run, outer };
    } else if (PARALLEL_ENDS.has(type)) {
      // The last branch event precedes it: step out to where the Parallel itself ran.
      if (context.run) context.run.end = at(event);
      context = context.outer ?? root;
    }
    contextOf.set(id, context);

    if (type === 'TaskStateEntered') {
      const name = event.stateEnteredEventDetails?.name ?? '?';
      stepOf.set(id, name);
      lane(name, context);
    } else if (type === 'PassStateEntered') {
      const name = event.stateEnteredEventDetails?.name ?? '';
      if (name.endsWith(FALLBACK_SUFFIX))
        lane(name.slice(0, -FALLBACK_SUFFIX.length), context).fallbackAt = at(event);
    } else if (type === 'PassStateExited') {
      const name = event.stateExitedEventDetails?.name ?? '';
      if (name.endsWith(FALLBACK_SUFFIX)) {
        const step = name.slice(0, -FALLBACK_SUFFIX.length);
        const output = parseJsonText(event.stateExitedEventDetails?.output) as {
          steps?: Record<string, unknown>;
        };
        if (output?.steps && step in output.steps) lane(step, context).result = output.steps[step];
      }
    } else if (type.startsWith('LambdaFunction')) {
      const step = stepOf.get(previous) ?? stepFromInput(event);
      if (step === undefined) continue;
      stepOf.set(id, step);
      applyLambdaEvent(lane(step, context), event, at(event));
    }
  }

  const end = execution.running
    ? Math.max(now - t0, ...events.map(at))
    : (execution.stoppedAt?.getTime() ?? now) - t0;
  return { startedAt: started?.toISOString() ?? null, spanMs: Math.max(1, end), items: root.items };
}

function applyLambdaEvent(lane: Lane, event: HistoryEvent, time: number): void {
  const last = lane.attempts.at(-1);
  const replace = (attempt: Attempt): void => {
    lane.attempts[lane.attempts.length - 1] = attempt;
  };
  switch (event.type) {
    case 'LambdaFunctionScheduled': {
      const wait = lane.waits.at(-1);
      if (wait && wait.end === undefined) lane.waits[lane.waits.length - 1] = { ...wait, end: time };
      lane.attempts.push({ attempt: lane.attempts.length + 1, start: time, outcome: 'running' });
      return;
    }
    case 'LambdaFunctionStarted':
      return;
    case 'LambdaFunctionSucceeded':
      if (last) replace({ ...last, end: time, outcome: 'succeeded' });
      lane.result = parseJsonText(event.lambdaFunctionSucceededEventDetails?.output);
      return;
    default: {
      const details =
        event.lambdaFunctionFailedEventDetails ??
        event.lambdaFunctionTimedOutEventDetails ??
        event.lambdaFunctionScheduleFailedEventDetails ??
        event.lambdaFunctionStartFailedEventDetails;
      const error = details?.error ?? 'States.TaskFailed';
      const outcome = event.type === 'LambdaFunctionTimedOut' ? 'timed_out' : 'failed';
      const failed: Attempt = {
        attempt: last?.attempt ?? 1,
        start: last?.start ?? time,
        end: time,
        outcome,
        error,
        cause: readableCause(details?.cause),
      };
      if (last) replace(failed);
      else lane.attempts.push(failed);
      const retryAfter = RETRY_AFTER.exec(error);
      // Every failure opens a wait; one that no attempt follows (retries used up, or a
      // permanent error) is dropped when the lane is drawn.
      lane.waits.push(
        retryAfter
          ? { start: time, kind: 'retry_after', seconds: Number(retryAfter[1]) }
          : { start: time, kind: 'retry' },
      );
    }
  }
}

/** Waits a later attempt ended, plus the open one while the step is retrying. */
export function drawnWaits(lane: Lane, retrying: boolean): RetryWait[] {
  return lane.waits.filter(
    (wait, index) => wait.end !== undefined || (retrying && index === lane.waits.length - 1),
  );
}

function stepFromInput(event: HistoryEvent): string | undefined {
  const input = parseJsonText(event.lambdaFunctionScheduledEventDetails?.input) as
    | { step?: unknown }
    | undefined;
  return typeof input?.step === 'string' ? input.step : undefined;
}

/** JSON text -> value; text that is not JSON stays text; no text (or '') is undefined. */
export function parseJsonText(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
