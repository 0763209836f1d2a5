/** The console's three pages (and its error page), rendered complete on the server. */
import type { ExecutionListItem } from '@aws-sdk/client-sfn';
import { EXECUTION_STATUSES, STEP_STATUSES } from '../../../lambdas/contracts.ts';
import { formatDuration } from '../../../lambdas/graph/model.ts';
import type { ExecutionView } from '../sources.ts';
import { renderHeader, renderIo, renderSteps, renderTimeline, statusBadge } from './execution-parts.ts';
import { type Html, html, jsonScript, trusted } from './html.ts';
import { operateSignature, renderOperate } from './operate-parts.ts';

/** What a page knows of a workflow. */
export interface WorkflowCard {
  readonly name: string;
  readonly resourceUrl: string;
  /** Its true graph as inline SVG. */
  readonly svg: string;
  readonly stepCount: number;
}

function page(title: string, body: Html, script?: string): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Stepflow console</title>
<link rel="stylesheet" href="/assets/console.css">
${script ? html`<script type="module" src="/assets/${script}"></script>` : ''}
</head>
<body>
<header class="top"><a href="/">Stepflow console</a></header>
<main>
${body}
</main>
</body>
</html>
`.html;
}

function executionLink(workflow: string, name: string | undefined): string {
  return `/workflows/${encodeURIComponent(workflow)}/executions/${encodeURIComponent(name ?? '')}`;
}

function executionRows(workflow: string, executions: readonly ExecutionListItem[]): Html {
  if (executions.length === 0) return html`<p class="muted">No executions yet.</p>`;
  return html`<table class="executions"><thead><tr><th>correlation ID</th><th>status</th><th>started</th><th>took</th></tr></thead><tbody>
${executions.map((execution) => {
  const took =
    execution.startDate && execution.stopDate
      ? formatDuration(execution.stopDate.getTime() - execution.startDate.getTime())
      : '…';
  return html`<tr data-execution="${execution.name}"><td><a href="${executionLink(workflow, execution.name)}">${execution.name}</a></td>
<td>${statusBadge(execution.status ?? 'UNKNOWN')}</td><td>${execution.startDate?.toISOString() ?? ''}</td><td>${took}</td></tr>`;
})}
</tbody></table>`;
}

/** `/`: every workflow with its graph, resource URL and recent executions. */
export function homePage(
  cards: readonly { card: WorkflowCard; recent: readonly ExecutionListItem[] }[],
): string {
  return page(
    'Workflows',
    html`<h1>Workflows</h1>
${cards.map(
  ({ card, recent }) => html`<section class="card" data-workflow="${card.name}">
<h2><a href="/workflows/${encodeURIComponent(card.name)}">${card.name}</a> <span class="muted">${card.stepCount} steps</span></h2>
<p>API: <code>POST ${card.resourceUrl}</code> · <code>GET ${card.resourceUrl}/{correlation_id}</code></p>
<div class="graph">${trusted(card.svg)}</div>
<h3>Recent executions</h3>
${executionRows(card.name, recent)}
</section>`,
)}`,
  );
}

/** `/workflows/<name>`: executions (filterable by status) and a form to start one. */
export function workflowPage(
  card: WorkflowCard,
  executions: readonly ExecutionListItem[],
  filter: string | undefined,
  start: { readonly schema: unknown; readonly example: unknown },
): string {
  const base = `/workflows/${encodeURIComponent(card.name)}`;
  return page(
    card.name,
    html`<h1>${card.name}</h1>
<p>API: <code>POST ${card.resourceUrl}</code></p>
<div class="graph">${trusted(card.svg)}</div>
<section class="start" data-start-form>
<h2>Start an execution</h2>
<p class="muted">The input is checked against the workflow's JSON Schema in the browser before it is sent.</p>
<textarea id="start-input" rows="12" spellcheck="false">${JSON.stringify(start.example, null, 2)}</textarea>
<p><button type="button" id="start-button">Start</button> <span id="start-message" role="status"></span></p>
<ul id="start-problems" class="problems"></ul>
${jsonScript('workflow-schema', start.schema)}
</section>
<section>
<h2>Executions</h2>
<nav class="filters">${[undefined, ...EXECUTION_STATUSES].map(
      (status) =>
        html`<a href="${status ? `${base}?status=${status}` : base}"${status === filter ? ' aria-current="page"' : ''}>${status ?? 'ALL'}</a>`,
    )}</nav>
${executionRows(card.name, executions)}
</section>`,
    'workflow.js',
  );
}

/** `/workflows/<name>/executions/<id>`: the live graph, the timeline, steps and input/output. */
export function executionPage(view: ExecutionView, svg: string, live: boolean): string {
  const api = `/api/workflows/${encodeURIComponent(view.workflow)}/executions/${encodeURIComponent(view.correlationId)}`;
  return page(
    `${view.correlationId} (${view.status})`,
    html`<div data-execution data-live="${live ? 'true' : 'false'}" data-events="${api}/events" data-operate="${api}">
<div id="header">${renderHeader(view)}</div>
<section class="operate"><h2>Operate</h2><div id="operate" data-signature="${operateSignature(view)}">${renderOperate(view)}</div>
<p id="operate-message" role="status"></p></section>
<section><h2>Dependency graph</h2><div class="graph" id="graph">${trusted(svg)}</div>
<ul class="legend">${STEP_STATUSES.map((status) => html`<li>${statusBadge(status)}</li>`)}</ul></section>
<section><h2>Timeline</h2><div id="timeline">${renderTimeline(view)}</div></section>
<section><h2>Steps</h2><div id="steps">${renderSteps(view)}</div></section>
<section><h2>Input and output</h2><div id="io">${renderIo(view)}</div></section>
<p id="live-message" class="muted" role="status"></p>
</div>`,
    'execution.js',
  );
}

/** A 404 or 500 page. */
export function problemPage(title: string, message: string): string {
  return page(title, html`<h1>${title}</h1><p>${message}</p><p><a href="/">All workflows</a></p>`);
}
