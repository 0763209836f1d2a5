/// <reference lib="dom" />
/**
 * The execution page's script: while the execution runs, takes each view the server streams
 * (server-sent events) and updates the page in place: node colours (`data-status`) and their
 * attempts line, the timeline, the steps and the input/output. Open `<details>` stay open.
 */
import { attemptsLine } from '../../../lambdas/graph/model.ts';
import type { ExecutionView } from '../sources.ts';
import { renderHeader, renderIo, renderSteps, renderTimeline } from '../views/execution-parts.ts';
import type { Html } from '../views/html.ts';
import { refreshOperate, setupOperate } from './operate.ts';

const root = document.querySelector<HTMLElement>('[data-execution]');
const message = document.getElementById('live-message');

/** Replaces a part's markup, keeping the open/closed state of its keyed `<details>`. */
function replace(id: string, markup: Html): void {
  const element = document.getElementById(id);
  if (!element) return;
  const open = new Map<string, boolean>();
  for (const details of element.querySelectorAll<HTMLDetailsElement>('details[data-key]')) {
    open.set(details.dataset.key ?? '', details.open);
  }
  element.innerHTML = markup.html;
  for (const details of element.querySelectorAll<HTMLDetailsElement>('details[data-key]')) {
    const was = open.get(details.dataset.key ?? '');
    if (was !== undefined) details.open = was;
  }
}

function apply(view: ExecutionView): void {
  for (const step of view.steps) {
    const node = document.querySelector<SVGGElement>(`#graph .sf-node[data-step="${CSS.escape(step.name)}"]`);
    if (!node) continue;
    node.setAttribute('data-status', step.status);
    const detail = node.querySelector('[data-role="detail"]');
    if (detail) detail.textContent = attemptsLine(step);
    const title = node.querySelector('title');
    if (title) title.textContent = `${step.name}: ${step.status}`;
  }
  replace('header', renderHeader(view));
  replace('timeline', renderTimeline(view));
  replace('steps', renderSteps(view));
  replace('io', renderIo(view));
  refreshOperate(view);
  document.title = `${view.correlationId} (${view.status}) · Stepflow console`;
}

if (root) setupOperate(root);

if (root?.dataset.live === 'true' && root.dataset.events) {
  const events = new EventSource(root.dataset.events);
  if (message) message.textContent = 'live: updating as the execution runs';
  events.addEventListener('view', (event) => apply(JSON.parse((event as MessageEvent<string>).data)));
  events.addEventListener('problem', (event) => {
    if (message)
      message.textContent = `cannot read the execution: ${JSON.parse((event as MessageEvent<string>).data).message}`;
  });
  events.addEventListener('end', () => {
    events.close();
    if (message) message.textContent = 'the execution has ended';
  });
}
