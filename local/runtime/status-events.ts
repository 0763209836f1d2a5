/**
 * Execution status-change events, shaped as EventBridge delivers Step Functions' "Step Functions
 * Execution Status Change" events, and the local sinks `npm start` offers for them: one printed
 * line per change, and an ordered POST of each event to `--events-webhook URL`.
 */
import { randomUUID } from 'node:crypto';
import { EXECUTION_STATUS_CHANGE } from '../../lambdas/contracts.ts';
import type { ExecutionRecord } from './executor.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './local-arns.ts';
import type { StartedVia } from './sfn-operations.ts';

/** The `detail` of a status-change event (AWS's field names; dates in epoch milliseconds). */
export interface ExecutionStatusDetail {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: string;
  startDate: number;
  stopDate: number | null;
  input: string;
  output: string | null;
  inputDetails: { included: boolean };
  outputDetails: { included: boolean } | null;
  error: string | null;
  cause: string | null;
  redriveCount: number;
  redriveDate: number | null;
  redriveStatus: string;
  redriveStatusReason: string | null;
  stateMachineVersionArn?: string;
  stateMachineAliasArn?: string;
}

/** One EventBridge event as a rule's target receives it. */
export interface ExecutionStatusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': typeof EXECUTION_STATUS_CHANGE;
  readonly source: 'aws.states';
  readonly account: string;
  /** ISO 8601 without milliseconds, as EventBridge writes it. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: ExecutionStatusDetail;
}

/** The event for the execution's current status. */
export function toStatusEvent(record: ExecutionRecord): ExecutionStatusEvent {
  const redrive = record.redriveStatus;
  const at = record.stopDate ?? record.redriveDate ?? record.startDate;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': EXECUTION_STATUS_CHANGE,
    source: 'aws.states',
    account: LOCAL_ACCOUNT,
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [record.executionArn],
    detail: {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate.getTime(),
      stopDate: record.stopDate?.getTime() ?? null,
      input: record.input,
      output: record.output ?? null,
      inputDetails: { included: true },
      outputDetails: record.output === undefined ? null : { included: true },
      error: record.error ?? null,
      cause: record.cause ?? null,
      redriveCount: record.redriveCount,
      redriveDate: record.redriveDate?.getTime() ?? null,
      redriveStatus: redrive.status,
      redriveStatusReason: redrive.reason ?? null,
    },
  };
}

/**
 * An executor's `onStatusChange` that hands `listener` one event per change. The event is built
 * at the change; the version and alias an execution was started through are known once
 * StartExecution returned, so delivery waits a microtask (order is kept).
 */
export function statusEventListener(
  listener: (event: ExecutionStatusEvent) => void,
  startedVia: (executionArn: string) => StartedVia | undefined,
): (record: ExecutionRecord) => void {
  return (record) => {
    const event = toStatusEvent(record);
    queueMicrotask(() => {
      Object.assign(event.detail, startedVia(record.executionArn));
      listener(event);
    });
  };
}

/** `SUCCEEDED  Orders/ord-1`, with the error for an unsuccessful end and the redrive count. */
export function formatStatusLine(event: ExecutionStatusEvent): string {
  const { detail } = event;
  const machine = detail.stateMachineArn.slice(detail.stateMachineArn.lastIndexOf(':') + 1);
  const parts = [`${detail.status.padEnd(9)} ${machine}/${detail.name}`];
  if (detail.redriveCount > 0) parts.push(`(redrive ${detail.redriveCount})`);
  if (detail.error) parts.push(`${detail.error}${detail.cause ? `: ${oneLine(detail.cause, 160)}` : ''}`);
  return parts.join('  ');
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Options of {@link createWebhookSink}. */
export interface WebhookSinkOptions {
  /** Called for a POST that failed (network error, timeout or non-2xx). @default ignored */
  readonly onError?: (error: Error, event: ExecutionStatusEvent) => void;
  /** Per-POST limit. @default 5000 */
  readonly timeoutMs?: number;
}

/** POSTs events to one URL in the order they happened. */
export interface WebhookSink {
  send(event: ExecutionStatusEvent): void;
  /** Settles when every event sent so far was delivered (or failed). */
  flush(): Promise<void>;
}

/**
 * A sink that POSTs each event as JSON (`content-type: application/json`), one at a time so a
 * receiver sees them in order; a failed POST is reported and not retried.
 *
 * @example
 * const sink = createWebhookSink('http://127.0.0.1:9000/events', { onError: (e) => console.error(e.message) });
 * runtimeOptions.onExecutionStatusChange = (event) => sink.send(event);
 */
export function createWebhookSink(url: string, opts: WebhookSinkOptions = {}): WebhookSink {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new Error(`--events-webhook must be an http(s) URL, got '${url}'`);
  }
  const timeoutMs = opts.timeoutMs ?? 5000;
  let tail: Promise<void> = Promise.resolve();
  const post = async (event: ExecutionStatusEvent): Promise<void> => {
    try {
      const res = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`${url} answered ${res.status}`);
    } catch (error) {
      opts.onError?.(error instanceof Error ? error : new Error(String(error)), event);
    }
  };
  return {
    send(event) {
      tail = tail.then(() => post(event));
    },
    flush: () => tail,
  };
}

/** Fans status-change events out to in-process listeners (the local console's live pages). */
export interface StatusChangeHub {
  /** Hands `event` to every listener subscribed now; a listener that throws does not stop the others. */
  publish(event: ExecutionStatusEvent): void;
  /** Calls `listener` on every published event until the returned unsubscribe is called. */
  subscribe(listener: (event: ExecutionStatusEvent) => void): () => void;
}

/**
 * A hub for the runtime's status-change events: `npm start` publishes each
 * `onExecutionStatusChange` event to it and the console subscribes its live pages.
 *
 * @example
 * const changes = createStatusChangeHub();
 * const runtime = await startLocalRuntime({ onExecutionStatusChange: (event) => changes.publish(event) });
 * const console = await startConsole({ sfnEndpoint: runtime.sfnEndpoint, statusChanges: changes, workflows });
 */
export function createStatusChangeHub(): StatusChangeHub {
  const listeners = new Set<(event: ExecutionStatusEvent) => void>();
  return {
    publish(event) {
      for (const listener of [...listeners]) {
        try {
          listener(event);
        } catch {
          // One page's failure is its own; the runtime and the other pages go on.
        }
      }
    },
    subscribe(listener) {
      // A wrapper per call, so subscribing the same function twice needs two unsubscribes.
      const entry = (event: ExecutionStatusEvent) => listener(event);
      listeners.add(entry);
      return () => listeners.delete(entry);
    },
  };
}
