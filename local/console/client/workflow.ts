/// <reference lib="dom" />
/**
 * The start form: the edited JSON is checked against the workflow's JSON Schema in the browser
 * (the same validator the start Lambda uses) and only sent when it passes; on 202 the page goes
 * to the new execution.
 */
import { compileBodyValidator } from '../../../lambdas/api/schema-validator.ts';

const input = document.getElementById('start-input') as HTMLTextAreaElement | null;
const button = document.getElementById('start-button') as HTMLButtonElement | null;
const message = document.getElementById('start-message');
const problems = document.getElementById('start-problems');
const schemaText = document.getElementById('workflow-schema')?.textContent ?? '{}';

function show(text: string, list: readonly string[] = []): void {
  if (message) message.textContent = text;
  if (!problems) return;
  problems.replaceChildren(
    ...list.map((item) => {
      const li = document.createElement('li');
      li.textContent = item;
      return li;
    }),
  );
}

if (input && button) {
  const validate = compileBodyValidator(JSON.parse(schemaText) as Record<string, unknown>);
  button.addEventListener('click', async () => {
    let body: unknown;
    try {
      body = JSON.parse(input.value);
    } catch (error) {
      show(`Not JSON: ${(error as Error).message}`);
      return;
    }
    // Validation applies the schema's defaults in place: check a copy, send what was typed.
    const found = validate(structuredClone(body));
    if (found.length > 0) {
      show(
        `Not sent: ${found.length} problem(s) against the schema`,
        found.map((p) => `${p.field} ${p.problem}`),
      );
      return;
    }
    show('Starting…');
    button.disabled = true;
    try {
      const workflow = location.pathname.split('/')[2] ?? '';
      const response = await fetch(`/api/workflows/${workflow}/executions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: input.value,
      });
      const answer = (await response.json()) as {
        correlation_id?: string;
        message?: string;
        errors?: { field: string; problem: string }[];
      };
      if (response.status === 202 && answer.correlation_id) {
        location.assign(`/workflows/${workflow}/executions/${encodeURIComponent(answer.correlation_id)}`);
        return;
      }
      show(
        `The API answered ${response.status}: ${answer.message ?? ''}`,
        (answer.errors ?? []).map((p) => `${p.field} ${p.problem}`),
      );
    } catch (error) {
      show(`Could not start: ${(error as Error).message}`);
    } finally {
      button.disabled = false;
    }
  });
}
