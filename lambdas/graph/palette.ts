/**
 * Colours of step statuses, one table for Mermaid `classDef`s, the SVG's CSS and the console.
 * New statuses (awaiting_operator, compensated, compensation_failed) are one entry each; a
 * status missing from the table is drawn with {@link UNKNOWN_STATUS_STYLE}, never dropped.
 */

/** How one status is drawn. */
export interface StatusStyle {
  readonly fill: string;
  readonly stroke: string;
  /** Text colour on `fill`. */
  readonly text: string;
  /** Dashed outline, for statuses that are waiting rather than working. */
  readonly dashed?: boolean;
  /** What the legend says. */
  readonly meaning: string;
}

/** Status -> style. Keys are the status document's step statuses. */
export const STATUS_PALETTE: Readonly<Record<string, StatusStyle>> = {
  pending: { fill: '#f6f8fa', stroke: '#8c959f', text: '#24292f', meaning: 'not reached yet' },
  running: { fill: '#ddf4ff', stroke: '#0969da', text: '#0a3069', meaning: 'an attempt is running' },
  retrying: {
    fill: '#fff8c5',
    stroke: '#bf8700',
    text: '#4d2d00',
    dashed: true,
    meaning: 'the last attempt failed; a retry is scheduled',
  },
  succeeded: { fill: '#dafbe1', stroke: '#1a7f37', text: '#044f1e', meaning: 'succeeded' },
  failed: { fill: '#ffebe9', stroke: '#cf222e', text: '#82071e', meaning: 'failed for good' },
  fallback: {
    fill: '#fbefff',
    stroke: '#8250df',
    text: '#3e1f79',
    meaning: 'failed; the YAML fallback was used (on_failure: continue)',
  },
  cancelled: {
    fill: '#eaeef2',
    stroke: '#57606a',
    text: '#24292f',
    dashed: true,
    meaning: 'in flight when the execution ended',
  },
  awaiting_operator: {
    fill: '#fff1e5',
    stroke: '#bc4c00',
    text: '#762c00',
    dashed: true,
    meaning: 'waiting for an operator',
  },
  compensated: { fill: '#e6f6f5', stroke: '#1b7c83', text: '#0b4f54', meaning: 'undone by its compensation' },
  compensation_failed: {
    fill: '#ffd8d3',
    stroke: '#a40e26',
    text: '#5c0011',
    meaning: 'its compensation failed',
  },
};

/** Style of a status the palette does not know. */
export const UNKNOWN_STATUS_STYLE: StatusStyle = {
  fill: '#ffffff',
  stroke: '#6e7781',
  text: '#24292f',
  dashed: true,
  meaning: 'a status this renderer does not know',
};

/** The style of `status`, {@link UNKNOWN_STATUS_STYLE} when the palette has none. */
export function statusStyle(status: string): StatusStyle {
  return Object.hasOwn(STATUS_PALETTE, status)
    ? (STATUS_PALETTE[status] as StatusStyle)
    : UNKNOWN_STATUS_STYLE;
}

/**
 * A status as an identifier for Mermaid classes and CSS (`compensation_failed` stays as it is;
 * anything outside `[A-Za-z0-9_]` becomes `_`).
 */
export function statusClass(status: string): string {
  const safe = status.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z]/.test(safe) ? safe : `s_${safe}`;
}
