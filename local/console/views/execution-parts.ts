/**
 * The live parts of the execution page (header, timeline, steps, input/output), rendered by the
 * server for the first paint and again by the page's script on every update.
 */
import { formatDuration } from '../../../lambdas/graph/model.ts';
import type { ExecutionView, StepStatus } from '../sources.ts';
import { type Attempt, drawnWaits, type Lane, type Timeline, type TimelineItem } from '../timeline.ts';
import { type Html, html, jsonBlock } from './html.ts';

/** Execution status -> the step status whose colour it borrows. */
const EXECUTION_COLOURS: Readonly<Record<string, string>> = {
  RUNNING: 'running',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  TIMED_OUT: 'failed',
  ABORTED: 'cancelled',
  PENDING_REDRIVE: 'retrying',
};

/** A status pill; `status` is a step status or an execution status. */
export function statusBadge(status: string): Html {
  return html`<span class="badge" data-status="${EXECUTION_COLOURS[status] ?? status}">${status}</span>`;
}

/** Title line: status, times, links. */
export function renderHeader(view: ExecutionView): Html {
  const took =
    view.startedAt && view.stoppedAt
      ? formatDuration(Date.parse(view.stoppedAt) - Date.parse(view.startedAt))
      : undefined;
  return html`<h1>${view.correlationId} ${statusBadge(view.status)}</h1>
<dl class="facts">
<dt>workflow</dt><dd><a href="/workflows/${encodeURIComponent(view.workflow)}">${view.workflow}</a></dd>
<dt>started</dt><dd>${view.startedAt ?? '—'}</dd>
<dt>stopped</dt><dd>${view.stoppedAt ?? '—'}${took ? ` (${took})` : ''}</dd>
<dt>execution</dt><dd><code>${view.executionArn}</code></dd>
${view.awsConsoleUrl ? html`<dt>AWS console</dt><dd><a href="${view.awsConsoleUrl}" rel="noreferrer">open this execution</a></dd>` : ''}
${view.error ? html`<dt>error</dt><dd class="error"><code>${view.error}</code> ${view.cause ?? ''}</dd>` : ''}
</dl>`;
}

/** Every lane of the timeline, depth first. */
export function lanesOf(items: readonly TimelineItem[]): Lane[] {
  return items.flatMap((item) => (item.kind === 'lane' ? [item] : item.branches.flatMap(lanesOf)));
}

/**
 * The Gantt chart: one row per step with each attempt as a bar, the waits between attempts
 * (Retry-After waits marked), the fallback, and each Parallel run as a header row above its
 * branches, which run side by side in time.
 */
export function renderTimeline(view: ExecutionView): Html {
  const { timeline } = view;
  const statuses = new Map(view.steps.map((step) => [step.name, step.status]));
  if (timeline.items.length === 0) return html`<p class="muted">No step has started yet.</p>`;
  return html`<div class="tl" style="--span:${timeline.spanMs}">
${axis(timeline)}
${timeline.items.map((item) => timelineItem(item, timeline, statuses, 0))}
</div>
<ul class="legend">
<li><span class="tl-bar tl-succeeded"></span>attempt succeeded</li>
<li><span class="tl-bar tl-failed"></span>attempt failed</li>
<li><span class="tl-bar tl-running"></span>attempt running</li>
<li><span class="tl-bar tl-wait tl-retry"></span>retry wait (backoff)</li>
<li><span class="tl-bar tl-wait tl-retry_after"></span>Retry-After wait</li>
<li><span class="tl-bar tl-fallback"></span>fallback used</li>
</ul>`;
}

function timelineItem(
  item: TimelineItem,
  timeline: Timeline,
  statuses: ReadonlyMap<string, string>,
  depth: number,
): Html {
  if (item.kind === 'lane') return laneRow(item, timeline, statuses.get(item.step) ?? 'pending', depth);
  const end = item.end ?? timeline.spanMs;
  return html`<div class="tl-row tl-parallel-row" style="--depth:${depth}">
<div class="tl-label" title="Parallel state">∥ ${item.name}</div>
<div class="tl-track">${bar('tl-parallel', item.start, end, timeline, `Parallel ${item.name}: ${formatDuration(end - item.start)}`, '')}</div>
</div>
<div class="tl-branches">${item.branches.map(
    (branch, index) =>
      html`<div class="tl-branch" data-branch="${index + 1}">${branch.map((inner) => timelineItem(inner, timeline, statuses, depth + 1))}</div>`,
  )}</div>`;
}

function laneRow(lane: Lane, timeline: Timeline, status: string, depth: number): Html {
  const waits = drawnWaits(lane, status === 'retrying');
  return html`<div class="tl-row" data-lane="${lane.step}" style="--depth:${depth}">
<div class="tl-label">${lane.step}</div>
<div class="tl-track">
${waits.map((wait) => {
  const end = wait.end ?? timeline.spanMs;
  const label = wait.kind === 'retry_after' ? `Retry-After ${wait.seconds} s` : 'retry wait';
  return bar(
    `tl-wait tl-${wait.kind}`,
    wait.start,
    end,
    timeline,
    `${label}: ${formatDuration(end - wait.start)}`,
    label,
  );
})}
${lane.attempts.map((attempt) => attemptBar(attempt, timeline))}
${lane.fallbackAt === undefined ? '' : bar('tl-fallback', lane.fallbackAt, lane.fallbackAt, timeline, 'fallback used', 'fallback')}
</div>
</div>`;
}

function attemptBar(attempt: Attempt, timeline: Timeline): Html {
  const end = attempt.end ?? timeline.spanMs;
  const error = attempt.error ? ` · ${attempt.error}: ${attempt.cause ?? ''}` : '';
  const title = `attempt ${attempt.attempt} · ${attempt.outcome} · ${formatDuration(end - attempt.start)}${error}`;
  return bar(
    `tl-attempt tl-${attempt.outcome}`,
    attempt.start,
    end,
    timeline,
    title,
    String(attempt.attempt),
  );
}

function bar(
  kind: string,
  start: number,
  end: number,
  timeline: Timeline,
  title: string,
  label: string,
): Html {
  const left = (start / timeline.spanMs) * 100;
  const width = Math.max(0.6, ((end - start) / timeline.spanMs) * 100);
  return html`<div class="tl-bar ${kind}" style="left:${left.toFixed(2)}%;width:${Math.min(width, 100 - left).toFixed(2)}%" title="${title}"><span>${label}</span></div>`;
}

function axis(timeline: Timeline): Html {
  const step = tickStep(timeline.spanMs);
  const ticks: number[] = [];
  for (let t = 0; t <= timeline.spanMs && ticks.length < 12; t += step) ticks.push(t);
  return html`<div class="tl-row tl-axis"><div class="tl-label"></div><div class="tl-track">${ticks.map(
    (t) =>
      html`<span class="tl-tick" style="left:${((t / timeline.spanMs) * 100).toFixed(2)}%">${formatDuration(t)}</span>`,
  )}</div></div>`;
}

/** 1, 2 or 5 × 10^k ms, so the axis has at most about 8 ticks. */
function tickStep(span: number): number {
  const raw = span / 8;
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? power * 10;
}

/** Per step: status, attempts with each failed attempt's error and cause, and its result. */
export function renderSteps(view: ExecutionView): Html {
  const lanes = new Map(lanesOf(view.timeline.items).map((lane) => [lane.step, lane]));
  return html`${view.steps.map((step) => stepDetails(step, lanes.get(step.name)))}`;
}

function stepDetails(step: StepStatus, lane: Lane | undefined): Html {
  const attempts = lane?.attempts ?? [];
  const duration = typeof step.duration_ms === 'number' ? ` · ${formatDuration(step.duration_ms)}` : '';
  return html`<details class="step" data-step-detail="${step.name}" data-key="step:${step.name}"${step.status === 'failed' || step.status === 'fallback' ? ' open' : ''}>
<summary>${statusBadge(step.status)} <strong>${step.name}</strong> <span class="muted">${step.attempts ?? 0} attempt(s)${duration}</span></summary>
${
  attempts.length === 0
    ? html`<p class="muted">Not started.</p>`
    : html`<table class="attempts"><thead><tr><th>#</th><th>outcome</th><th>at</th><th>took</th><th>error</th><th>cause</th></tr></thead><tbody>
${attempts.map(
  (
    a,
  ) => html`<tr data-outcome="${a.outcome}"><td>${a.attempt}</td><td>${a.outcome}</td><td>+${formatDuration(a.start)}</td>
<td>${a.end === undefined ? '…' : formatDuration(a.end - a.start)}</td><td><code>${a.error ?? ''}</code></td><td>${a.cause ?? ''}</td></tr>`,
)}</tbody></table>`
}
<details class="result" data-key="result:${step.name}"><summary>result</summary>${jsonBlock(lane?.result)}</details>
</details>`;
}

/** Execution input and output (collapsible JSON). */
export function renderIo(view: ExecutionView): Html {
  return html`<details data-key="input" open><summary>Input</summary>${jsonBlock(view.input)}</details>
<details data-key="output"${view.output === undefined ? '' : ' open'}><summary>Output</summary>${jsonBlock(view.output)}</details>`;
}
