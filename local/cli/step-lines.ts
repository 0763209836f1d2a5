import type { StepStatus } from '../../lambdas/contracts.ts';
import { createPollBackoff } from '../poll-backoff.ts';
import { type ExecutionStatusDocument, isTerminal, type StepView } from './api-client.ts';

const FINAL_STEP_STATUSES = new Set<string>([
  'succeeded',
  'failed',
  'fallback',
  'cancelled',
  'compensated',
  'compensation_failed',
] satisfies StepStatus[]);

/** One mark per step status; single-width characters, so the columns stay aligned. */
const MARKS: Readonly<Record<StepStatus, string>> = {
  pending: '·',
  running: '▶',
  retrying: '↻',
  succeeded: '✔',
  failed: '✖',
  fallback: '⚑',
  cancelled: '■',
  awaiting_operator: '◇',
  compensated: '↶',
  compensation_failed: '✗',
};

/**
 * The lines to print between two polls of an execution: a step starting, an attempt failing
 * and being retried, a step ending (attempt, duration, outcome). Polls can skip states, so the
 * lines are derived from the difference, never from one snapshot.
 */
export function stepTransitions(
  previous: readonly StepView[] | undefined,
  next: readonly StepView[],
): string[] {
  const lines: string[] = [];
  for (const step of next) {
    if (step.status === 'pending') continue;
    const before = previous?.find((candidate) => candidate.name === step.name);
    const wasStarted = before !== undefined && before.status !== 'pending';
    const startedBefore = wasStarted ? before.attempts : 0;
    // Attempts known to have failed and been retried (a final failure gets the end line instead).
    const failedBefore = !wasStarted
      ? 0
      : before.status === 'retrying'
        ? before.attempts
        : before.attempts - 1;
    const failedNow = step.status === 'retrying' ? step.attempts : step.attempts - 1;
    for (let attempt = 1; attempt <= Math.max(step.attempts, 1); attempt++) {
      if (attempt > startedBefore) lines.push(formatStep('▶', step.name, attempt, 'started'));
      if (attempt > failedBefore && attempt <= failedNow) {
        const reason = attempt === failedNow && step.error ? `: ${describeError(step.error)}` : '';
        lines.push(formatStep('↻', step.name, attempt, `failed${reason}, will retry`));
      }
    }
    const waitsNow = step.status === 'awaiting_operator' && before?.status !== 'awaiting_operator';
    const endsNow = FINAL_STEP_STATUSES.has(step.status) && !FINAL_STEP_STATUSES.has(before?.status ?? '');
    // A step that had succeeded and was then undone by the compensation chain.
    const undoneNow =
      (step.status === 'compensated' || step.status === 'compensation_failed') &&
      before !== undefined &&
      before.status !== step.status &&
      FINAL_STEP_STATUSES.has(before.status);
    if (waitsNow || endsNow || undoneNow) {
      lines.push(formatStep(markFor(step.status), step.name, step.attempts, outcomeOf(step)));
    }
  }
  return lines;
}

/** One line per step for a snapshot (the in-place TTY view and `--once`). */
export function stepTable(steps: readonly StepView[]): string[] {
  return steps.map((step) => {
    const mark = step.status === 'running' ? '▶' : step.status === 'retrying' ? '↻' : markFor(step.status);
    const detail =
      step.status === 'retrying' && step.error
        ? `retrying after: ${describeError(step.error)}`
        : FINAL_STEP_STATUSES.has(step.status) || step.status === 'awaiting_operator'
          ? outcomeOf(step)
          : step.status;
    return formatStep(mark, step.name, step.attempts, detail);
  });
}

/**
 * The closing line of an execution: status, duration, failed steps and the cause (the outcome,
 * `compensated` or `held_for_redrive`, gets a line of its own).
 */
export function summaryLine(status: ExecutionStatusDocument): string {
  const ms =
    status.started_at && status.stopped_at
      ? Date.parse(status.stopped_at) - Date.parse(status.started_at)
      : undefined;
  const took = ms === undefined ? '' : ` in ${formatMs(ms)}`;
  if (status.status === 'SUCCEEDED') return `${status.status}${took}`;
  const failedSteps = status.failed_steps ?? [];
  const failed = failedSteps.length > 0 ? ` (failed steps: ${failedSteps.join(', ')})` : '';
  const cause = status.error ? ` ${status.error}${status.cause ? `: ${status.cause}` : ''}` : '';
  return `${status.status}${took}${failed}${cause}`;
}

/** The steps waiting for an operator (`on_failure: await_operator`). */
export function awaitingSteps(status: ExecutionStatusDocument): StepView[] {
  return status.steps.filter((step) => step.status === 'awaiting_operator');
}

/**
 * What an operator can do next, as commands to copy: resolve or fail a step that waits, redrive
 * an execution held for redrive. Empty when there is nothing to do.
 *
 * @param workflowFlag appended to each command, e.g. ` --workflow orders` @default ''
 */
export function nextActions(status: ExecutionStatusDocument, workflowFlag = ''): string[] {
  const id = status.correlation_id;
  const lines: string[] = [];
  for (const step of awaitingSteps(status)) {
    lines.push(
      `${step.name} waits for an operator: npx stepflow resolve ${id} ${step.name} --result '{...}'${workflowFlag}`,
      `  or: npx stepflow fail-step ${id} ${step.name} --error E --cause C${workflowFlag}`,
    );
  }
  if (status.outcome === 'held_for_redrive')
    lines.push(`held for redrive: fix the cause, then npx stepflow redrive ${id}${workflowFlag}`);
  if (status.outcome === 'compensated')
    lines.push('compensated: its completed steps were undone, so it cannot be redriven; start a new one');
  return lines;
}

/**
 * Reads `fetchStatus` until the execution is terminal (or `until` holds), calling `onChange` with
 * each new snapshot. The reads back off while nothing changes ({@link createPollBackoff}: 100 ms,
 * growing ×1.5 to 1.5 s, back to 100 ms after a change), so a quiet 10 s step costs about 12
 * status reads instead of 67; no change is lost, since the lines come from the difference.
 * Works against any status API (the local one and a deployed stack's).
 *
 * @param pollMs the delay after a change; alone (no `maxPollMs`) a fixed interval @default 100
 * @param maxPollMs the longest delay while nothing changes @default 1500 (`pollMs` when it is given)
 * @param timeoutMs give up after this long @default 300000
 * @param until also stop at a snapshot it accepts (a step waiting for an operator) @default never
 */
export async function followExecution(
  fetchStatus: () => Promise<ExecutionStatusDocument>,
  onChange: (status: ExecutionStatusDocument, previous: ExecutionStatusDocument | undefined) => void,
  opts: {
    pollMs?: number;
    maxPollMs?: number;
    timeoutMs?: number;
    until?: (status: ExecutionStatusDocument) => boolean;
  } = {},
): Promise<ExecutionStatusDocument> {
  const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
  const backoff = createPollBackoff({
    ...(opts.pollMs === undefined ? {} : { firstMs: opts.pollMs }),
    ...(opts.maxPollMs === undefined ? {} : { maxMs: opts.maxPollMs }),
  });
  let previous: ExecutionStatusDocument | undefined;
  let seen = '';
  for (;;) {
    const status = await fetchStatus();
    const text = JSON.stringify(stripDurations(status));
    const changed = text !== seen;
    if (changed) {
      onChange(status, previous);
      previous = status;
      seen = text;
    }
    if (isTerminal(status.status) || opts.until?.(status) === true) return status;
    if (Date.now() > deadline)
      throw new Error(`Execution ${status.correlation_id} still ${status.status} after the timeout`);
    const delay = Math.min(backoff.next(changed), Math.max(0, deadline - Date.now()));
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

function stripDurations(status: ExecutionStatusDocument): unknown {
  return { ...status, steps: status.steps.map(({ duration_ms: _ignored, ...rest }) => rest) };
}

function formatStep(mark: string, name: string, attempt: number, detail: string): string {
  return `  ${mark} ${name.padEnd(26)} attempt ${String(attempt).padEnd(3)} ${detail}`;
}

function markFor(status: string): string {
  return MARKS[status as StepStatus] ?? '?';
}

function outcomeOf(step: StepView): string {
  const took = step.duration_ms === null ? '' : `${formatMs(step.duration_ms).padStart(8)}  `;
  if (step.status === 'succeeded')
    return `${took}succeeded${step.resolved_manually ? ' (resolved by an operator)' : ''}`;
  if (step.status === 'fallback')
    return `${took}fallback used${step.error ? ` after ${describeError(step.error)}` : ''}`;
  if (step.status === 'cancelled') return `${took}cancelled (the execution ended)`;
  if (step.status === 'awaiting_operator')
    return `${took}awaiting operator${step.error ? ` after ${describeError(step.error)}` : ''}`;
  if (step.status === 'compensated') return `${took}compensated (undone)`;
  if (step.status === 'compensation_failed') {
    const error = step.compensation?.error ?? step.error;
    return `${took}compensation failed${error ? `: ${describeError(error)}` : ''}`;
  }
  return `${took}failed${step.error ? `: ${describeError(step.error)}` : ''}`;
}

function describeError(error: { error: string; cause: string }): string {
  const cause = error.cause.length > 120 ? `${error.cause.slice(0, 117)}...` : error.cause;
  return cause ? `${error.error} (${cause})` : error.error;
}

/** `840 ms`, `2.4 s`. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
