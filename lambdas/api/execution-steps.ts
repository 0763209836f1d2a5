import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { STATE_SUFFIX, type StepStatus, undoStepId } from '../contracts.ts';
import { errorCodeOf, publicCause, readableCause } from './status-privacy.ts';

/**
 * Where one step stands (`STEP_STATUSES` in contracts.ts), derived from the execution history:
 * Step Functions is the source of truth.
 */
export type { StepStatus } from '../contracts.ts';
export { readableCause };

/** A failure as the status shows it: the error name, its code when it has one, the masked cause. */
export interface StepError {
  readonly error: string;
  /** The machine-readable code a PermanentError's message starts with (`USER_CONFLICT`). */
  readonly code?: string;
  /** The message, personal data masked (status-privacy.ts), never a stack trace. */
  readonly cause: string;
}

/** One step in the status response. */
export interface StepSummary {
  readonly name: string;
  readonly status: StepStatus;
  /** Lambda invocations so far (1 = no retry). */
  readonly attempts: number;
  readonly started_at: string | null;
  /** From entering the state to leaving it (or to now / the execution's end while unfinished). */
  readonly duration_ms: number | null;
  /**
   * The last failed attempt's error while the step retries, after it failed or fell back, and
   * while it awaits an operator; the operator's error when they failed it.
   */
  readonly error?: StepError;
  /** Set when an operator resolved the step (`POST .../steps/{step}/resolve`). */
  readonly resolved_manually?: true;
  /** The step's compensation (`<step> (undo)`), once the compensation chain reached it. */
  readonly compensation?: { readonly attempts: number; readonly error?: StepError };
}

/** What the history says about one state (a step's Task, or a state the compiler added beside it). */
interface StateTrack {
  enteredAt?: Date | undefined;
  exitedAt?: Date | undefined;
  attempts: number;
  last?: 'scheduled' | 'started' | 'submitted' | 'succeeded' | 'failed';
  lastFailureAt?: Date | undefined;
  lastError?: StepError;
}

/** The role of a state in a step's life; `main` is the step's own Task. */
type StateRole = 'main' | keyof typeof STATE_SUFFIX;

const SUFFIXES = Object.entries(STATE_SUFFIX) as Array<[Exclude<StateRole, 'main'>, string]>;
const UNDO_PAYLOAD_SUFFIX = undoStepId('');

/** `create_user (undo)` → `{step: 'create_user', role: 'undo'}`. */
function roleOf(stateName: string): { step: string; role: StateRole } {
  for (const [role, suffix] of SUFFIXES) {
    if (stateName.endsWith(suffix)) return { step: stateName.slice(0, -suffix.length), role };
  }
  return { step: stateName, role: 'main' };
}

const ATTEMPT_EVENTS = new Set(['LambdaFunctionScheduled', 'TaskScheduled']);
const STARTED_EVENTS = new Set(['LambdaFunctionStarted', 'TaskStarted']);
const SUCCESS_EVENTS = new Set(['LambdaFunctionSucceeded', 'TaskSucceeded']);
const FAILURE_EVENTS = new Set([
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionScheduleFailed',
  'LambdaFunctionStartFailed',
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
]);

function isTaskEvent(type: string): boolean {
  return (
    type.startsWith('Lambda') ||
    (type.startsWith('Task') && type !== 'TaskStateEntered' && type !== 'TaskStateExited')
  );
}

/**
 * Summarizes each step from GetExecutionHistory events. Lambda and Task events carry no state
 * name, so each is attributed by following `previousEventId` back to its TaskStateEntered (AWS
 * chains every attempt to the one before), or by the `step` field of the payload the compiler
 * passes (`<step>:undo` for a compensation).
 *
 * The states the compiler adds beside a step (STATE_SUFFIX) set its status: `(operator)` entered
 * and not finished is `awaiting_operator` (resolved: `succeeded` with `resolved_manually`),
 * `(undo)` succeeded is `compensated`, `(undo failed)` entered is `compensation_failed`,
 * `(fallback)` is `fallback`.
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
  const tracks = new Map<string, StateTrack>();
  const seenSteps: string[] = [];
  const track = (stateName: string): StateTrack => {
    let entry = tracks.get(stateName);
    if (!entry) {
      entry = { attempts: 0 };
      tracks.set(stateName, entry);
      const { step } = roleOf(stateName);
      if (!seenSteps.includes(step)) seenSteps.push(step);
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
    else if (event.type === 'LambdaFunctionScheduled') name = stateFromPayload(event);
    name ??= isTaskEvent(event.type ?? '')
      ? resolve(byId.get(event.previousEventId ?? -1), hops + 1)
      : undefined;
    if (name !== undefined) stateOfEvent.set(event.id, name);
    return name;
  };

  for (const event of events) {
    const type = event.type ?? '';
    if (type === 'TaskStateEntered' || type === 'PassStateEntered') {
      const name = event.stateEnteredEventDetails?.name ?? '?';
      // A Pass state is a step's only when the compiler named it after one (fallback, undo failed).
      if (type === 'PassStateEntered' && roleOf(name).role === 'main') continue;
      const t = track(name);
      t.enteredAt ??= event.timestamp;
      if (type === 'TaskStateEntered') resolve(event);
    } else if (type === 'TaskStateExited') {
      track(event.stateExitedEventDetails?.name ?? '?').exitedAt = event.timestamp;
    } else if (isTaskEvent(type)) {
      const name = resolve(event);
      if (name !== undefined) applyTaskEvent(track(name), event);
    }
  }

  const now = execution.now ?? new Date();
  const ordered = [...stepNames, ...seenSteps.filter((name) => !stepNames.includes(name))];
  const context = { running: execution.running, end: execution.stoppedAt ?? now, now };
  return ordered.map((name) => summarize(name, (role) => tracks.get(stateName(name, role)), context));
}

function stateName(step: string, role: StateRole): string {
  return role === 'main' ? step : `${step}${STATE_SUFFIX[role]}`;
}

function applyTaskEvent(t: StateTrack, event: HistoryEvent): void {
  const type = event.type ?? '';
  if (ATTEMPT_EVENTS.has(type)) {
    t.attempts++;
    t.last = 'scheduled';
  } else if (STARTED_EVENTS.has(type)) {
    t.last = 'started';
  } else if (type === 'TaskSubmitted') {
    t.last = 'submitted';
  } else if (SUCCESS_EVENTS.has(type)) {
    t.last = 'succeeded';
  } else if (FAILURE_EVENTS.has(type)) {
    const details =
      event.lambdaFunctionFailedEventDetails ??
      event.lambdaFunctionTimedOutEventDetails ??
      event.lambdaFunctionScheduleFailedEventDetails ??
      event.lambdaFunctionStartFailedEventDetails ??
      event.taskFailedEventDetails ??
      event.taskTimedOutEventDetails ??
      event.taskStartFailedEventDetails ??
      event.taskSubmitFailedEventDetails;
    t.last = 'failed';
    t.lastFailureAt = event.timestamp;
    t.lastError = stepError(details?.error ?? 'States.TaskFailed', details?.cause);
  }
}

/** An error as the status shows it (masked cause, code when the message starts with one). */
export function stepError(error: string, cause: string | undefined): StepError {
  const masked = publicCause(cause);
  const code = errorCodeOf(masked);
  return code === undefined ? { error, cause: masked } : { error, code, cause: masked };
}

interface SummaryContext {
  readonly running: boolean;
  /** The execution's end (or now while it runs). */
  readonly end: Date;
  readonly now: Date;
}

function summarize(
  name: string,
  state: (role: StateRole) => StateTrack | undefined,
  context: SummaryContext,
): StepSummary {
  const main = state('main');
  if (!main?.enteredAt) return { name, status: 'pending', attempts: 0, started_at: null, duration_ms: null };
  const operator = state('operator');
  const undo = state('undo');
  const fallback = state('fallback');
  let status: StepStatus;
  let until: Date | undefined;
  let error = main.lastError;
  let resolved = false;
  if (state('undoFailed')?.enteredAt) {
    status = 'compensation_failed';
    until = main.exitedAt;
  } else if (undo?.last === 'succeeded') {
    status = 'compensated';
    until = main.exitedAt;
  } else if (fallback?.enteredAt) {
    status = 'fallback';
    until = fallback.enteredAt;
  } else if (operator?.enteredAt) {
    if (operator.last === 'succeeded') {
      status = 'succeeded';
      resolved = true;
      until = operator.exitedAt;
    } else if (operator.last === 'failed') {
      // The operator failed it (`.../fail`) or did not answer in time (States.Timeout).
      status = 'failed';
      error = operator.lastError;
      until = operator.lastFailureAt;
    } else {
      status = context.running ? 'awaiting_operator' : 'failed';
    }
  } else if (main.last === 'succeeded') {
    status = 'succeeded';
    until = main.exitedAt;
  } else if (main.last === 'failed') {
    // Left through a Catch (exited after its last failure) or with the execution: final.
    const caught = main.exitedAt !== undefined && main.exitedAt >= (main.lastFailureAt ?? main.exitedAt);
    status = context.running && !caught ? 'retrying' : 'failed';
    until = status === 'failed' ? (main.exitedAt ?? main.lastFailureAt) : undefined;
  } else {
    // In flight when the execution closed: another branch failed or the execution was stopped.
    status = context.running ? 'running' : 'cancelled';
  }
  const finish = until ?? (context.running ? context.now : context.end);
  const summary: StepSummary = {
    name,
    status,
    attempts: main.attempts,
    started_at: main.enteredAt.toISOString(),
    duration_ms: Math.max(0, finish.getTime() - main.enteredAt.getTime()),
    ...(error && SHOWS_ERROR.has(status) ? { error } : {}),
    ...(resolved ? { resolved_manually: true as const } : {}),
    ...(undo?.enteredAt
      ? { compensation: { attempts: undo.attempts, ...(undo.lastError ? { error: undo.lastError } : {}) } }
      : {}),
  };
  return summary;
}

const SHOWS_ERROR: ReadonlySet<StepStatus> = new Set(['retrying', 'failed', 'fallback', 'awaiting_operator']);

/** The state a Lambda event belongs to, from the payload's `step` (`<step>:undo` is its undo). */
function stateFromPayload(event: HistoryEvent): string | undefined {
  const input = event.lambdaFunctionScheduledEventDetails?.input;
  if (!input) return undefined;
  try {
    const step = (JSON.parse(input) as { step?: unknown }).step;
    if (typeof step !== 'string') return undefined;
    return step.endsWith(UNDO_PAYLOAD_SUFFIX)
      ? `${step.slice(0, -UNDO_PAYLOAD_SUFFIX.length)}${STATE_SUFFIX.undo}`
      : step;
  } catch {
    return undefined;
  }
}
