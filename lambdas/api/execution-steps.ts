import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { STATE_SUFFIX, type StepStatus } from '../contracts.ts';

/**
 * Where one step stands (`STEP_STATUSES` in contracts.ts), derived from the execution history:
 * Step Functions is the source of truth.
 */
export type { StepStatus } from '../contracts.ts';

/** One step in the status response. */
export interface StepSummary {
  readonly name: string;
  readonly status: StepStatus;
  /** Lambda invocations so far (1 = no retry). */
  readonly attempts: number;
  readonly started_at: string | null;
  /** From entering the state to leaving it (or to now / the execution's end while unfinished). */
  readonly duration_ms: number | null;
  /** The last failed attempt's error, when the step failed, fell back or is waiting to retry. */
  readonly error?: { readonly error: string; readonly cause: string };
}

interface StepTrack {
  enteredAt?: Date | undefined;
  exitedAt?: Date | undefined;
  attempts: number;
  last?: 'scheduled' | 'started' | 'succeeded' | 'failed';
  lastFailureAt?: Date | undefined;
  lastError?: { error: string; cause: string };
  fallback?: boolean;
  fallbackAt?: Date | undefined;
}

const FALLBACK_SUFFIX = STATE_SUFFIX.fallback;

/**
 * Summarizes each step from GetExecutionHistory events. Lambda events carry no state name, so each
 * is attributed by following `previousEventId` back to its TaskStateEntered (AWS chains every
 * attempt to the one before), or by the `step` field of the payload the compiler passes.
 *
 * @param stepNames every step in workflow order, so steps not reached yet show as pending
 * @default stepNames [] (only steps that have started are listed, in the order they started)
 */
export function summarizeSteps(
  events: readonly HistoryEvent[],
  execution: { running: boolean; stoppedAt: Date | undefined; now?: Date },
  stepNames: readonly string[] = [],
): StepSummary[] {
  const byId = new Map<number, HistoryEvent>();
  for (const event of events) if (event.id !== undefined) byId.set(event.id, event);
  const tracks = new Map<string, StepTrack>();
  const track = (name: string): StepTrack => {
    let entry = tracks.get(name);
    if (!entry) {
      entry = { attempts: 0 };
      tracks.set(name, entry);
    }
    return entry;
  };
  const stateOfEvent = new Map<number, string>();
  const resolve = (event: HistoryEvent | undefined, hops = 0): string | undefined => {
    if (!event || event.id === undefined || hops > 500) return undefined;
    const known = stateOfEvent.get(event.id);
    if (known !== undefined) return known;
    let name: string | undefined;
    if (event.type === 'TaskStateEntered') name = event.stateEnteredEventDetails?.name;
    else if (event.type === 'LambdaFunctionScheduled') name = stepFromPayload(event);
    name ??= event.type?.startsWith('Lambda')
      ? resolve(byId.get(event.previousEventId ?? -1), hops + 1)
      : undefined;
    if (name !== undefined) stateOfEvent.set(event.id, name);
    return name;
  };

  for (const event of events) {
    const at = event.timestamp;
    switch (event.type) {
      case 'TaskStateEntered': {
        const t = track(event.stateEnteredEventDetails?.name ?? '?');
        t.enteredAt ??= at;
        resolve(event);
        break;
      }
      case 'TaskStateExited': {
        const t = track(event.stateExitedEventDetails?.name ?? '?');
        t.exitedAt = at;
        break;
      }
      case 'PassStateEntered': {
        const name = event.stateEnteredEventDetails?.name ?? '';
        if (name.endsWith(FALLBACK_SUFFIX)) {
          const t = track(name.slice(0, -FALLBACK_SUFFIX.length));
          t.fallback = true;
          t.fallbackAt = at;
        }
        break;
      }
      case 'LambdaFunctionScheduled':
      case 'LambdaFunctionStarted':
      case 'LambdaFunctionSucceeded':
      case 'LambdaFunctionFailed':
      case 'LambdaFunctionTimedOut':
      case 'LambdaFunctionScheduleFailed':
      case 'LambdaFunctionStartFailed': {
        const name = resolve(event);
        if (name === undefined) break;
        const t = track(name);
        applyLambdaEvent(t, event);
        break;
      }
      default:
        break;
    }
  }

  const now = execution.now ?? new Date();
  const ordered = [...stepNames, ...[...tracks.keys()].filter((name) => !stepNames.includes(name))];
  return ordered.map((name) =>
    summarize(name, tracks.get(name), execution.running, execution.stoppedAt ?? now),
  );
}

function applyLambdaEvent(t: StepTrack, event: HistoryEvent): void {
  switch (event.type) {
    case 'LambdaFunctionScheduled':
      t.attempts++;
      t.last = 'scheduled';
      return;
    case 'LambdaFunctionStarted':
      t.last = 'started';
      return;
    case 'LambdaFunctionSucceeded':
      t.last = 'succeeded';
      return;
    default: {
      const details =
        event.lambdaFunctionFailedEventDetails ??
        event.lambdaFunctionTimedOutEventDetails ??
        event.lambdaFunctionScheduleFailedEventDetails ??
        event.lambdaFunctionStartFailedEventDetails;
      t.last = 'failed';
      t.lastFailureAt = event.timestamp;
      t.lastError = { error: details?.error ?? 'States.TaskFailed', cause: readableCause(details?.cause) };
    }
  }
}

function summarize(name: string, t: StepTrack | undefined, running: boolean, end: Date): StepSummary {
  if (!t?.enteredAt) return { name, status: 'pending', attempts: 0, started_at: null, duration_ms: null };
  let status: StepStatus;
  let until: Date | undefined;
  if (t.fallback) {
    status = 'fallback';
    until = t.fallbackAt;
  } else if (t.last === 'succeeded') {
    status = 'succeeded';
    until = t.exitedAt;
  } else if (t.last === 'failed') {
    status = running ? 'retrying' : 'failed';
    until = running ? undefined : t.lastFailureAt;
  } else {
    // In flight when the execution closed: another branch failed or the execution was stopped.
    status = running ? 'running' : 'cancelled';
  }
  const finish = until ?? (running ? new Date() : end);
  const summary: StepSummary = {
    name,
    status,
    attempts: t.attempts,
    started_at: t.enteredAt.toISOString(),
    duration_ms: Math.max(0, finish.getTime() - t.enteredAt.getTime()),
  };
  return t.lastError && status !== 'succeeded' && status !== 'cancelled'
    ? { ...summary, error: t.lastError }
    : summary;
}

function stepFromPayload(event: HistoryEvent): string | undefined {
  const input = event.lambdaFunctionScheduledEventDetails?.input;
  if (!input) return undefined;
  try {
    const step = (JSON.parse(input) as { step?: unknown }).step;
    return typeof step === 'string' ? step : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A Lambda error's cause is the runtime's JSON `{errorType, errorMessage, trace}`: clients get the
 * message, never the stack trace.
 */
export function readableCause(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: a Step Functions cause such as States.Timeout's plain text.
  }
  return cause;
}
