import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'puppeteer-core';
import { compiledDrawGraph } from '../../../lambdas/graph/index.ts';
import { browserSkipReason, launchBrowser } from './browser.ts';
import { type ConsoleStack, N_SHAPE_DIR, startConsoleStack, startRun, waitForEnd } from './support.ts';

const skip = browserSkipReason();

describe('the console in chromium: a workflow that is not series-parallel', { skip }, () => {
  let stack: ConsoleStack;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let id: string;

  before(async () => {
    [stack, { browser, close: closeBrowser }] = await Promise.all([
      startConsoleStack({ configDir: N_SHAPE_DIR }),
      launchBrowser(),
    ]);
    id = await startRun(stack.resourceUrl, { delay_ms: 20 }, 'n-shape-1');
    assert.equal((await waitForEnd(stack.resourceUrl, id)).status, 'SUCCEEDED');
  });
  after(async () => {
    await closeBrowser?.();
    await stack?.close();
  });

  test('the definition the runtime runs makes d wait for a (the edge the console must not draw)', () => {
    const compiled = compiledDrawGraph(stack.runtime.workflows[0]!.definition);
    assert.ok(compiled.edges.some((e) => e.from === 'a' && e.to === 'd'));
  });

  for (const page of ['home', 'execution'] as const) {
    test(`the ${page} page draws the true edges a->c, b->c, b->d and no a->d`, async () => {
      const tab = await browser.newPage();
      const path = page === 'home' ? '' : `workflows/n_shape/executions/${id}`;
      await tab.goto(`${stack.console.url}${path}`, { waitUntil: 'load' });
      const edges = await tab.$$eval('svg .sf-edge', (paths) =>
        paths.map((p) => `${p.getAttribute('data-from')}->${p.getAttribute('data-to')}`).sort(),
      );
      assert.deepEqual(edges, ['a->c', 'b->c', 'b->d']);
      const statuses = await tab.$$eval('svg .sf-node', (nodes) =>
        nodes.map((n) => `${n.getAttribute('data-step')}=${n.getAttribute('data-status')}`),
      );
      const expected = page === 'home' ? 'pending' : 'succeeded';
      assert.deepEqual(
        statuses,
        ['a', 'b', 'c', 'd'].map((s) => `${s}=${expected}`),
      );
      // Drawn as laid out: each dependency sits above the step that waits for it.
      const tops = await tab.$$eval('svg .sf-node rect', (rects) =>
        Object.fromEntries(
          rects.map((r) => [r.parentElement!.getAttribute('data-step'), r.getBoundingClientRect().top]),
        ),
      );
      assert.ok(tops.a! < tops.c! && tops.b! < tops.c! && tops.b! < tops.d!, JSON.stringify(tops));
      await tab.close();
    });
  }

  test('the timeline shows the two Parallel runs with their branches side by side', async () => {
    const tab = await browser.newPage();
    await tab.goto(`${stack.console.url}workflows/n_shape/executions/${id}`, { waitUntil: 'load' });
    const runs = await tab.$$eval('.tl-parallel-row .tl-label', (labels) =>
      labels.map((l) => l.textContent?.trim()),
    );
    assert.deepEqual(runs, ['∥ a + b', '∥ c + d']);
    const branches = await tab.$$eval('.tl-branches', (groups) =>
      groups.map((g) =>
        [...g.querySelectorAll('.tl-branch')].map((b) =>
          b.querySelector('[data-lane]')?.getAttribute('data-lane'),
        ),
      ),
    );
    assert.deepEqual(branches, [
      ['a', 'b'],
      ['c', 'd'],
    ]);
    await tab.close();
  });
});
