/**
 * Whether an execution can be redriven, with AWS's reasons (DescribeExecution's
 * `redriveStatusReason`): Standard executions that FAILED, were ABORTED or TIMED_OUT, within 14
 * days of their stop, under the 25,000-event history limit.
 */

/** DescribeExecution's `redriveStatus` and, when not redrivable, `redriveStatusReason`. */
export interface RedriveStatus {
  readonly status: 'REDRIVABLE' | 'NOT_REDRIVABLE';
  readonly reason?: string;
}

/** The redrivable period after an execution stops. */
export const REDRIVE_WINDOW_MS = 14 * 24 * 3600 * 1000;
/** Step Functions' execution history limit. */
export const MAX_HISTORY_EVENTS = 25_000;

/** The fields of an execution this decision reads. */
export interface RedriveSubject {
  readonly status: string;
  readonly stopDate?: Date;
  readonly events: { readonly length: number };
}

export function redriveStatusOf(
  execution: RedriveSubject,
  type: 'STANDARD' | 'EXPRESS',
  nowMs: number,
): RedriveStatus {
  const no = (reason: string): RedriveStatus => ({ status: 'NOT_REDRIVABLE', reason });
  if (type === 'EXPRESS') return no('Execution of an EXPRESS state machine cannot be redriven.');
  if (execution.status === 'RUNNING' || execution.status === 'SUCCEEDED') {
    return no(`Execution is ${execution.status} and cannot be redriven`);
  }
  if (execution.events.length >= MAX_HISTORY_EVENTS) return no('Execution history event limit exceeded');
  if (execution.stopDate && nowMs - execution.stopDate.getTime() > REDRIVE_WINDOW_MS) {
    return no('Execution redrivable period exceeded');
  }
  return { status: 'REDRIVABLE' };
}
