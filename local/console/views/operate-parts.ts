/**
 * The execution page's operator controls: Stop while it runs, Redrive once it failed, and for
 * each step waiting for an operator a JSON result to Resolve it with (or an error to Fail it).
 * The buttons call the console's `/api/.../stop|redrive|steps/<step>/resolve|fail`, which pass
 * them to the workflow's operator routes. Rendered by the server for the first paint and by the
 * page's script whenever the available actions change.
 */
import type { ExecutionView } from '../sources.ts';
import { type Html, html } from './html.ts';

/** Final statuses RedriveExecution accepts (a Standard execution within 14 days). */
const REDRIVABLE = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/** The steps waiting for an operator. */
export function awaitingSteps(view: ExecutionView): string[] {
  return view.steps.filter((step) => step.status === 'awaiting_operator').map((step) => step.name);
}

/**
 * What decides which controls are shown: the page redraws them only when it changes, so a result
 * being typed is never wiped by a live update.
 */
export function operateSignature(view: ExecutionView): string {
  return `${view.status}|${view.outcome ?? ''}|${awaitingSteps(view).join(',')}`;
}

/** The controls for the execution's current state. */
export function renderOperate(view: ExecutionView): Html {
  const parts: Html[] = [];
  if (view.status === 'RUNNING') {
    parts.push(html`<div class="op" data-op-group="stop">
<label>error <input name="error" maxlength="256" placeholder="Operator.Stopped"></label>
<label>cause <input name="cause" maxlength="32768" placeholder="why it was stopped"></label>
<button type="button" data-operation="stop">Stop execution</button>
</div>`);
  }
  if (REDRIVABLE.has(view.status)) {
    parts.push(
      view.outcome === 'compensated'
        ? html`<p class="muted" data-op-note="compensated">Compensated: its completed steps were undone, so it cannot be redriven. Start a new execution instead.</p>`
        : html`<div class="op" data-op-group="redrive">
<button type="button" data-operation="redrive">Redrive</button>
<span class="muted">runs it again from where it failed, on the same execution; steps that succeeded are not run again</span>
</div>`,
    );
  }
  for (const step of view.steps.filter((candidate) => candidate.status === 'awaiting_operator')) {
    parts.push(html`<div class="op op-step" data-op-step="${step.name}">
<h3>${step.name} waits for an operator</h3>
${step.error ? html`<p class="error"><code>${step.error.error}</code> ${step.error.cause}</p>` : ''}
<label class="op-result">result (a JSON object: the step's result, marked resolved_manually)
<textarea name="result" rows="5" spellcheck="false">{}</textarea></label>
<button type="button" data-operation="resolve" data-step="${step.name}">Resolve</button>
<label>error <input name="error" maxlength="256" placeholder="OperatorRejected"></label>
<label>cause <input name="cause" maxlength="32768"></label>
<button type="button" data-operation="fail" data-step="${step.name}">Fail step</button>
</div>`);
  }
  if (parts.length === 0)
    return html`<p class="muted">Nothing to do: the execution ${view.status === 'SUCCEEDED' ? 'succeeded' : 'has ended'}.</p>`;
  return html`${parts}`;
}
