/**
 * The execution page's Operate buttons in chromium, against a real loopback server speaking the
 * operator routes and Step Functions (test/local/cli/operator-api.ts): what each button sends,
 * what the page shows of the answer, and the new statuses' colours.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { workflowGraph } from '../../../infra/graph/index.ts';
import { loadWorkflowFile } from '../../../infra/workflow/index.ts';
import { type ConsoleServer, startConsole } from '../../../local/console/server.ts';
import { type Answer, type FakeApi, type SeenRequest, startFakeApi } from '../cli/operator-api.ts';
import { browserSkipReason, launchBrowser } from './browser.ts';
import { N_SHAPE_DIR } from './support.ts';

const skip = browserSkipReason();
const ARN = 'arn:aws:states:us-east-1:000000000000:execution:n_shape';

type Steps = Record<string, string>;
const step = (name: string, status: string) => ({
  name,
  status,
  attempts: status === 'pending' ? 0 : 1,
  started_at: status === 'pending' ? null : '2026-12-01T10:00:00.000Z',
  duration_ms: status === 'pending' ? null : 20,
  ...(status === 'awaiting_operator' || status === 'failed'
    ? { error: { error: 'PermanentError', cause: `${name} answered 422` } }
    : {}),
});
const doc = (id: string, status: string, steps: Steps, outcome?: string) => ({
  correlation_id: id,
  execution_arn: `${ARN}:${id}`,
  status,
  started_at: '2026-12-01T10:00:00.000Z',
  stopped_at: status === 'RUNNING' ? null : '2026-12-01T10:00:03.000Z',
  steps: Object.entries(steps).map(([name, s]) => step(name, s)),
  ...(outcome ? { outcome } : {}),
});

describe('the console in chromium: operating an execution', { skip }, () => {
  let api: FakeApi;
  let server: ConsoleServer;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  /** The documents the fake API serves, changed by the operations it receives. */
  const docs = new Map<string, ReturnType<typeof doc>>();
  /** The operator POSTs the API received (Step Functions' own calls go to `/`). */
  const posts = () => api.seen.filter((request) => request.method === 'POST' && request.path !== '/');

  before(async () => {
    docs.set(
      'late',
      doc('late', 'RUNNING', { a: 'succeeded', b: 'awaiting_operator', c: 'pending', d: 'pending' }),
    );
    docs.set(
      'waiting',
      doc('waiting', 'RUNNING', { a: 'succeeded', b: 'awaiting_operator', c: 'pending', d: 'pending' }),
    );
    docs.set(
      'running',
      doc('running', 'RUNNING', { a: 'running', b: 'running', c: 'pending', d: 'pending' }),
    );
    docs.set(
      'held',
      doc(
        'held',
        'FAILED',
        { a: 'succeeded', b: 'failed', c: 'cancelled', d: 'cancelled' },
        'held_for_redrive',
      ),
    );
    docs.set(
      'undone',
      doc(
        'undone',
        'FAILED',
        { a: 'compensated', b: 'compensation_failed', c: 'failed', d: 'pending' },
        'compensated',
      ),
    );
    const routes: Record<string, (request: SeenRequest) => Answer> = {};
    for (const id of docs.keys()) {
      routes[`GET /orders/${id}`] = () => ({ status: 200, body: docs.get(id) });
    }
    routes['POST /orders/waiting/steps/b/resolve'] = () => {
      docs.set(
        'waiting',
        doc('waiting', 'SUCCEEDED', { a: 'succeeded', b: 'succeeded', c: 'succeeded', d: 'succeeded' }),
      );
      return { status: 200, body: { correlation_id: 'waiting', step: 'b' } };
    };
    routes['POST /orders/late/steps/b/fail'] = () => ({
      status: 409,
      body: { message: "step 'b' is not waiting for an operator", reason: 'not_awaiting_operator' },
    });
    routes['POST /orders/running/stop'] = () => {
      docs.set(
        'running',
        doc('running', 'ABORTED', { a: 'cancelled', b: 'cancelled', c: 'pending', d: 'pending' }),
      );
      return { status: 200, body: { correlation_id: 'running', status: 'ABORTED' } };
    };
    routes['POST /orders/held/redrive'] = () => {
      docs.set('held', doc('held', 'RUNNING', { a: 'succeeded', b: 'running', c: 'pending', d: 'pending' }));
      return { status: 200, body: { correlation_id: 'held' } };
    };
    routes['POST /orders/undone/redrive'] = () => ({
      status: 409,
      body: { message: 'its work was undone', reason: 'compensated' },
    });
    api = await startFakeApi({ n_shape: 'orders' }, routes);
    const spec = loadWorkflowFile(`${N_SHAPE_DIR}/n_shape.yaml`);
    [server, { browser, close: closeBrowser }] = await Promise.all([
      startConsole({
        port: 0,
        sfnEndpoint: api.url,
        pollMs: 100,
        workflows: [
          {
            name: 'n_shape',
            graph: workflowGraph(spec),
            resourceUrl: `${api.url}/orders`,
            stateMachineArn: `${ARN.replace(':execution:', ':stateMachine:')}`,
          },
        ],
      }),
      launchBrowser(),
    ]);
  });
  after(async () => {
    await closeBrowser?.();
    await server?.close();
    await api?.close();
  });

  const open = async (id: string): Promise<Page> => {
    const page = await browser.newPage();
    await page.goto(`${server.url}workflows/n_shape/executions/${id}`, { waitUntil: 'load' });
    return page;
  };
  const message = (page: Page) => page.$eval('#operate-message', (p) => p.textContent ?? '');
  const buttons = (page: Page) =>
    page.$$eval('#operate button[data-operation]', (list) =>
      list.map(
        (b) =>
          `${b.getAttribute('data-operation')}${b.getAttribute('data-step') ? `:${b.getAttribute('data-step')}` : ''}`,
      ),
    );

  test('a step waiting for an operator is resolved with a JSON result; the page goes on live', async () => {
    const page = await open('waiting');
    assert.deepEqual(await buttons(page), ['stop', 'resolve:b', 'fail:b']);
    assert.equal(
      await page.$eval('#graph .sf-node[data-step="b"]', (n) => n.getAttribute('data-status')),
      'awaiting_operator',
    );
    const textarea = '[data-op-step="b"] textarea[name="result"]';
    await page.$eval(textarea, (t) => {
      (t as HTMLTextAreaElement).value = '[1, 2]';
    });
    await page.click('button[data-operation="resolve"]');
    await page.waitForFunction(() =>
      document.getElementById('operate-message')?.textContent?.startsWith('Not sent'),
    );
    assert.equal(await message(page), "Not sent: the result must be a JSON object (the step's result)");
    await page.$eval(textarea, (t) => {
      (t as HTMLTextAreaElement).value = '{"charge_id": "manual-7"}';
    });
    await page.click('button[data-operation="resolve"]');
    await page.waitForFunction(
      () =>
        document.querySelector('#graph .sf-node[data-step="b"]')?.getAttribute('data-status') === 'succeeded',
      { timeout: 10_000, polling: 50 },
    );
    assert.equal(await message(page), 'Resolved: the execution goes on');
    const [resolve] = posts();
    assert.equal(resolve?.path, '/orders/waiting/steps/b/resolve');
    assert.deepEqual(resolve?.body, { result: { charge_id: 'manual-7' } });
    assert.equal(posts().length, 1, 'the invalid result was never sent');
    await page.waitForFunction(() => document.querySelectorAll('#operate button').length === 0);
    assert.equal(
      await page.evaluate(() => performance.getEntriesByType('navigation').length),
      1,
      'no reload',
    );
    await page.close();
  });

  test("Fail needs an error name; the API's refusal is shown with its reason", async () => {
    api.seen.length = 0;
    const page = await open('late');
    await page.click('button[data-operation="fail"]');
    await page.waitForFunction(() => document.getElementById('operate-message')?.textContent !== '');
    assert.equal(await message(page), 'Not sent: failing a step needs an error name');
    await page.type('[data-op-step="b"] input[name="error"]', 'OperatorRejected');
    await page.click('button[data-operation="fail"]');
    await page.waitForFunction(() =>
      document.getElementById('operate-message')?.textContent?.startsWith('The API'),
    );
    assert.equal(
      await message(page),
      "The API answered 409: step 'b' is not waiting for an operator (not_awaiting_operator)",
    );
    assert.deepEqual(
      posts().map((r) => [r.path, r.body]),
      [['/orders/late/steps/b/fail', { error: 'OperatorRejected' }]],
    );
    await page.close();
  });

  test('Stop sends the error and cause typed, then the page shows the stopped execution', async () => {
    api.seen.length = 0;
    const page = await open('running');
    await page.type('[data-op-group="stop"] input[name="error"]', 'Operator.Cancelled');
    await page.type('[data-op-group="stop"] input[name="cause"]', 'customer called');
    await Promise.all([
      page.waitForNavigation({ waitUntil: 'load' }),
      page.click('button[data-operation="stop"]'),
    ]);
    assert.deepEqual(
      posts().map((r) => [r.path, r.body]),
      [['/orders/running/stop', { error: 'Operator.Cancelled', cause: 'customer called' }]],
    );
    assert.match(await page.$eval('#header h1', (h) => h.textContent ?? ''), /running\s+ABORTED/);
    await page.close();
  });

  test('Redrive re-runs a held execution and follows it live', async () => {
    api.seen.length = 0;
    const page = await open('held');
    assert.deepEqual(await buttons(page), ['redrive']);
    await Promise.all([
      page.waitForNavigation({ waitUntil: 'load' }),
      page.click('button[data-operation="redrive"]'),
    ]);
    assert.deepEqual(
      posts().map((r) => [r.path, r.body]),
      [['/orders/held/redrive', {}]],
    );
    assert.equal(await page.$eval('[data-execution]', (e) => e.getAttribute('data-live')), 'true');
    assert.deepEqual(await buttons(page), ['stop'], 'running again: it can be stopped');
    await page.close();
  });

  test('a compensated execution offers no redrive and colours the undo statuses apart', async () => {
    const page = await open('undone');
    assert.deepEqual(await buttons(page), []);
    assert.match(
      await page.$eval('[data-op-note="compensated"]', (p) => p.textContent ?? ''),
      /cannot be redriven/,
    );
    const fills = await page.$$eval('#graph .sf-node', (nodes) =>
      Object.fromEntries(
        nodes.map((n) => [n.getAttribute('data-status'), getComputedStyle(n.querySelector('rect')!).fill]),
      ),
    );
    assert.deepEqual(Object.keys(fills).sort(), ['compensated', 'compensation_failed', 'failed', 'pending']);
    assert.equal(
      new Set(Object.values(fills)).size,
      4,
      `four statuses, four colours: ${JSON.stringify(fills)}`,
    );
    const legend = await page.$$eval('.legend .badge', (list) =>
      list.map((b) => b.getAttribute('data-status')),
    );
    for (const status of ['awaiting_operator', 'compensated', 'compensation_failed'])
      assert.ok(legend.includes(status), `the legend shows ${status}`);
    // Straight to the route (the button is not offered): the API's refusal is passed through.
    const refused = await fetch(`${server.url}api/workflows/n_shape/executions/undone/redrive`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(refused.status, 409);
    assert.deepEqual(await refused.json(), { message: 'its work was undone', reason: 'compensated' });
    await page.close();
  });
});

describe('the console operator routes outside a browser', { skip }, () => {
  test('refuse a POST that is not JSON or comes from another origin, before calling the API', async () => {
    const api = await startFakeApi({ n_shape: 'orders' }, {});
    const spec = loadWorkflowFile(`${N_SHAPE_DIR}/n_shape.yaml`);
    const server = await startConsole({
      port: 0,
      sfnEndpoint: api.url,
      workflows: [
        {
          name: 'n_shape',
          graph: workflowGraph(spec),
          resourceUrl: `${api.url}/orders`,
          stateMachineArn: 'arn:x',
        },
      ],
    });
    try {
      const url = `${server.url}api/workflows/n_shape/executions/x/stop`;
      const form = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: '{}',
      });
      assert.equal(form.status, 415);
      const foreign = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example' },
        body: '{}',
      });
      assert.equal(foreign.status, 403);
      assert.match(((await foreign.json()) as { message: string }).message, /not http:\/\/evil\.example/);
      const own = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: server.url.replace(/\/$/, '') },
        body: '{}',
      });
      assert.equal(own.status, 403, "the fake API answers API Gateway's 403 for a route it lacks");
      assert.deepEqual(
        api.seen.map((r) => `${r.method} ${r.path}`),
        ['POST /orders/x/stop'],
        'only the JSON same-origin request reached the API',
      );
      const unknown = await fetch(`${server.url}api/workflows/n_shape/executions/x/steps/b/skip`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      });
      assert.equal(unknown.status, 405);
    } finally {
      await server.close();
      await api.close();
    }
  });
});
