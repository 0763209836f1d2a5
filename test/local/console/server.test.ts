import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadWorkflowFile } from '../../../infra/workflow/parse.ts';
import { startConsole } from '../../../local/console/server.ts';
import type { ExecutionView } from '../../../local/console/sources.ts';
import {
  type ConsoleStack,
  REPO_ROOT,
  registrationBody,
  startConsoleStack,
  startRun,
  waitForEnd,
} from './support.ts';

/** Reads server-sent events until `end` (bounded by the fetch timeout). */
async function readEvents(url: string): Promise<{ event: string; data: unknown }[]> {
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const text = await response.text();
  return text
    .split('\n\n')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return event && data ? { event, data: JSON.parse(data) as unknown } : undefined;
    })
    .filter((e): e is { event: string; data: unknown } => e !== undefined);
}

describe('the console server over HTTP', () => {
  let stack: ConsoleStack;
  let base: string;
  let succeeded: string;
  let failed: string;

  before(async () => {
    stack = await startConsoleStack();
    base = stack.console.url;
    succeeded = await startRun(stack.resourceUrl, registrationBody('server-ok'), 'server-ok');
    assert.equal((await waitForEnd(stack.resourceUrl, succeeded)).status, 'SUCCEEDED');
    stack.runtime.services.user_registration!.faults.set('billing', 'POST /profiles', {
      kind: 'status',
      status: 422,
    });
    failed = await startRun(stack.resourceUrl, registrationBody('server-422'), 'server-422');
    assert.equal((await waitForEnd(stack.resourceUrl, failed)).status, 'FAILED');
    stack.runtime.services.user_registration!.faults.clear();
  });
  after(() => stack?.close());

  test('needs a Step Functions endpoint', async () => {
    await assert.rejects(startConsole({ workflows: [] }), {
      message: 'startConsole needs sfnEndpoint (or an sfn client)',
    });
  });

  test('the workflow page lists executions from ListExecutions and filters them by status', async () => {
    const rows = async (query: string) =>
      [
        ...(await (await fetch(`${base}workflows/user_registration${query}`)).text()).matchAll(
          /data-execution="([^"]+)"/g,
        ),
      ]
        .map((m) => m[1])
        .sort();
    assert.deepEqual(await rows(''), ['server-422', 'server-ok']);
    assert.deepEqual(await rows('?status=FAILED'), ['server-422']);
    assert.deepEqual(await rows('?status=SUCCEEDED'), ['server-ok']);
  });

  test('the start form is prefilled with an input the schema accepts', async () => {
    const page = await (await fetch(`${base}workflows/user_registration`)).text();
    const example = /<textarea id="start-input"[^>]*>([^<]*)<\/textarea>/.exec(page)?.[1] ?? '';
    const body = JSON.parse(example.replace(/&#34;/g, '"')) as unknown;
    // The flagship's schema has examples: the form starts from the first one.
    const { schema } = loadWorkflowFile(`${REPO_ROOT}config/user_registration.yaml`);
    assert.deepEqual(body, (schema.examples as unknown[])[0]);
    const started = await fetch(`${base}api/workflows/user_registration/executions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(started.status, 202);
    const { correlation_id } = (await started.json()) as { correlation_id: string };
    assert.equal((await waitForEnd(stack.resourceUrl, correlation_id)).status, 'SUCCEEDED');
  });

  test('a start the API refuses comes back with its status and problems', async () => {
    const refused = await fetch(`${base}api/workflows/user_registration/executions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_info: { email: 'nope' } }),
    });
    assert.equal(refused.status, 400);
    const answer = (await refused.json()) as { errors: { field: string }[] };
    assert.ok(answer.errors.some((e) => e.field === '/user_info/name'));
  });

  test('the execution JSON joins the status document, the input and every attempt', async () => {
    const view = (await (
      await fetch(`${base}api/workflows/user_registration/executions/${failed}`)
    ).json()) as ExecutionView;
    assert.equal(view.status, 'FAILED');
    assert.deepEqual(view.failedSteps, ['setup_billing_profile']);
    assert.equal(view.error, 'PermanentError');
    assert.deepEqual(
      (view.input as { user_info: { email: string } }).user_info.email,
      'server-422@example.com',
    );
    assert.equal(view.awsConsoleUrl, null);
    const page = await (await fetch(`${base}workflows/user_registration/executions/${failed}`)).text();
    assert.match(page, /data-step="setup_billing_profile" data-status="failed"/);
    assert.match(page, /data-step="initialize_preferences" data-status="(succeeded|cancelled)"/);
    assert.match(page, /data-step="send_welcome_sequence" data-status="pending"/);
    assert.match(
      page,
      /<td><code>PermanentError<\/code><\/td><td>SERVICE_VALIDATION_FAILED: POST \/profiles answered 422/,
    );
    assert.match(page, /data-live="false"/);
  });

  test('unknown workflows and executions are 404 pages', async () => {
    assert.equal((await fetch(`${base}workflows/nope`)).status, 404);
    const missing = await fetch(`${base}workflows/user_registration/executions/never-started`);
    assert.equal(missing.status, 404);
    assert.match(
      await missing.text(),
      /The user_registration API knows no execution &#39;never-started&#39;/,
    );
    assert.equal((await fetch(`${base}assets/nope.js`)).status, 404);
  });

  test('a live page streams views until the execution ends', async () => {
    stack.runtime.services.user_registration!.latencyMs = 100;
    try {
      const id = await startRun(stack.resourceUrl, registrationBody('server-live'), 'server-live');
      const events = await readEvents(`${base}api/workflows/user_registration/executions/${id}/events`);
      const views = events.filter((e) => e.event === 'view').map((e) => e.data as ExecutionView);
      assert.ok(views.length >= 2, `${views.length} views`);
      assert.equal(views[0]?.status, 'RUNNING');
      assert.equal(views.at(-1)?.status, 'SUCCEEDED');
      assert.deepEqual(events.at(-1), { event: 'end', data: { status: 'SUCCEEDED' } });
    } finally {
      stack.runtime.services.user_registration!.latencyMs = 0;
    }
  });

  test("a live page wakes on its execution's status change, not at its next timed read", async () => {
    let statusReads = 0;
    // Reads every 5 s at the earliest: only the SUCCEEDED event can end the stream sooner.
    const slow = await startConsole({
      port: 0,
      sfnEndpoint: stack.runtime.sfnEndpoint,
      pollMs: 5000,
      statusChanges: stack.statusChanges,
      workflows: stack.workflows,
      apiFetch: (url, init) => {
        statusReads++;
        return fetch(url, init);
      },
    });
    stack.runtime.services.user_registration!.latencyMs = 100;
    try {
      const id = await startRun(stack.resourceUrl, registrationBody('server-wake'), 'server-wake');
      const opened = Date.now();
      const events = await readEvents(`${slow.url}api/workflows/user_registration/executions/${id}/events`);
      const took = Date.now() - opened;
      assert.deepEqual(events.at(-1), { event: 'end', data: { status: 'SUCCEEDED' } });
      assert.equal(
        (events.find((e) => e.event === 'view')?.data as ExecutionView | undefined)?.status,
        'RUNNING',
      );
      assert.ok(took < 4000, `the stream ended ${took} ms after it opened (its timer is 5000 ms)`);
      // The first read (RUNNING) and the one the event asked for (SUCCEEDED); a second event
      // during the first read (none here: one start, one end) would add one more.
      assert.ok(statusReads <= 3, `${statusReads} status reads`);
    } finally {
      stack.runtime.services.user_registration!.latencyMs = 0;
      await slow.close();
    }
  });

  test('serves its bundled scripts, under 500 KB of JavaScript in all', async () => {
    const sizes = stack.console.assetSizes;
    const js = Object.entries(sizes).filter(([file]) => file.endsWith('.js'));
    assert.deepEqual(js.map(([file]) => file).sort(), ['execution.js', 'workflow.js']);
    const total = js.reduce((sum, [, size]) => sum + size, 0);
    assert.ok(total < 500 * 1024, `${total} bytes`);
    const script = await fetch(`${base}assets/execution.js`);
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await script.arrayBuffer()).byteLength, sizes['execution.js']);
  });

  test('links to the AWS console when given its base', async () => {
    const linked = await startConsole({
      port: 0,
      sfnEndpoint: stack.runtime.sfnEndpoint,
      awsConsoleBase: 'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1',
      workflows: [
        {
          name: 'user_registration',
          graph: { workflow: 'user_registration', steps: [] },
          resourceUrl: stack.resourceUrl,
          stateMachineArn: stack.runtime.workflows[0]!.stateMachineArn,
        },
      ],
    });
    try {
      const view = (await (
        await fetch(`${linked.url}api/workflows/user_registration/executions/${succeeded}`)
      ).json()) as ExecutionView;
      assert.equal(
        view.awsConsoleUrl,
        `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${view.executionArn}`,
      );
    } finally {
      await linked.close();
    }
  });
});
