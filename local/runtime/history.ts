/**
 * History events as the local endpoint serves them. The events themselves are written by the
 * engine (local/engine/history.ts); this adds the JSON-protocol form.
 */
import type { HistoryEvent } from '../engine/index.ts';

export { type HistoryEvent, HistoryLog, payloadDetails } from '../engine/index.ts';

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
