/// <reference lib="dom" />
/**
 * The operator buttons of the execution page: Stop, Redrive, Resolve (with a JSON result) and
 * Fail, each a POST to the console's `/api/.../executions/<id>/...`, which passes it to the
 * workflow's operator route. The answer is shown as it came; a redrive reloads the page so it
 * follows the execution live again.
 */
import type { ExecutionView } from '../sources.ts';
import { operateSignature, renderOperate } from '../views/operate-parts.ts';

const DONE: Readonly<Record<string, string>> = {
  stop: 'Stop requested',
  redrive: 'Redriven: following it again…',
  resolve: 'Resolved: the execution goes on',
  fail: 'Step failed as asked',
};

function say(text: string, problem = false): void {
  const message = document.getElementById('operate-message');
  if (!message) return;
  message.textContent = text;
  message.classList.toggle('error', problem);
}

function field(group: Element | null, name: string): string | undefined {
  const value = group
    ?.querySelector<HTMLInputElement | HTMLTextAreaElement>(`[name="${name}"]`)
    ?.value.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** The body a button sends, or a problem to show instead of sending. */
function bodyFor(button: HTMLButtonElement): { body: Record<string, unknown> } | { problem: string } {
  const group = button.closest('.op');
  const error = field(group, 'error');
  const cause = field(group, 'cause');
  const failure = { ...(error ? { error } : {}), ...(cause ? { cause } : {}) };
  switch (button.dataset.operation) {
    case 'resolve': {
      let result: unknown;
      try {
        result = JSON.parse(field(group, 'result') ?? '');
      } catch (parseError) {
        return { problem: `Not sent: the result is not JSON (${(parseError as Error).message})` };
      }
      if (typeof result !== 'object' || result === null || Array.isArray(result))
        return { problem: "Not sent: the result must be a JSON object (the step's result)" };
      return { body: { result } };
    }
    case 'fail':
      if (!error) return { problem: 'Not sent: failing a step needs an error name' };
      return { body: failure };
    case 'stop':
      return { body: failure };
    default:
      return { body: {} };
  }
}

async function operate(base: string, button: HTMLButtonElement): Promise<void> {
  const operation = button.dataset.operation ?? '';
  const prepared = bodyFor(button);
  if ('problem' in prepared) return say(prepared.problem, true);
  const step = button.dataset.step;
  const url = step ? `${base}/steps/${encodeURIComponent(step)}/${operation}` : `${base}/${operation}`;
  button.disabled = true;
  say('Sending…');
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(prepared.body),
    });
    const answer = (await response.json().catch(() => ({}))) as { message?: string; reason?: string };
    if (!response.ok) {
      const reason = answer.reason ? ` (${answer.reason})` : '';
      return say(`The API answered ${response.status}: ${answer.message ?? ''}${reason}`, true);
    }
    say(DONE[operation] ?? 'Done');
    // A redriven (or stopped) execution changes state: reload so the page follows it live.
    if (operation === 'redrive' || operation === 'stop') setTimeout(() => location.reload(), 300);
  } catch (error) {
    say(`Could not send: ${(error as Error).message}`, true);
  } finally {
    button.disabled = false;
  }
}

/** Wires the buttons (one listener for the whole section, so redrawn controls keep working). */
export function setupOperate(root: HTMLElement): void {
  const base = root.dataset.operate;
  const section = document.getElementById('operate');
  if (!base || !section) return;
  section.addEventListener('click', (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>('button[data-operation]');
    if (button) void operate(base, button);
  });
}

/** Redraws the controls when the actions available changed (a step began or stopped waiting). */
export function refreshOperate(view: ExecutionView): void {
  const section = document.getElementById('operate');
  if (!section) return;
  const signature = operateSignature(view);
  if (section.dataset.signature === signature) return;
  section.dataset.signature = signature;
  section.innerHTML = renderOperate(view).html;
}
