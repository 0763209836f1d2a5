import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Browser } from 'puppeteer-core';
import { browserSkipReason, CHROMIUM_FLAGS, findChromium, launchBrowser } from './browser.ts';
import { type ConsoleStack, registrationBody, startConsoleStack, startRun, waitForEnd } from './support.ts';

const skip = browserSkipReason();
const STEPS = [
  'create_user_account',
  'setup_billing_profile',
  'initialize_preferences',
  'send_welcome_sequence',
  'update_user_status',
];

/** `data-status` of every graph node in `markup`, by `data-step`. */
function nodeStatuses(markup: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const m of markup.matchAll(/<g class="sf-node[^"]*" data-step="([^"]+)" data-status="([^"]+)"/g)) {
    found[m[1]!] = m[2]!;
  }
  return found;
}

describe('the console in chromium: the flagship', { skip }, () => {
  let stack: ConsoleStack;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let retriedId: string;

  before(async () => {
    [stack, { browser, close: closeBrowser }] = await Promise.all([startConsoleStack(), launchBrowser()]);
    const { faults } = stack.runtime.services.user_registration!;
    faults.set('billing', 'POST /profiles', { kind: 'status', status: 503, times: 1 });
    // Every preferences attempt fails: the retries run out and the YAML fallback is used.
    faults.set('preferences', '*', { kind: 'status', status: 503 });
    retriedId = await startRun(stack.resourceUrl, registrationBody('console-retry'), 'console-retry');
    const final = await waitForEnd(stack.resourceUrl, retriedId);
    faults.clear();
    assert.equal(final.status, 'SUCCEEDED');
  });
  after(async () => {
    await closeBrowser?.();
    await stack?.close();
  });

  const executionUrl = (id: string) => `${stack.console.url}workflows/user_registration/executions/${id}`;

  test('after a retried 503 and a preferences fallback the five steps carry their final data-status', async () => {
    const page = await browser.newPage();
    await page.goto(executionUrl(retriedId), { waitUntil: 'load' });
    const statuses = await page.$$eval('#graph .sf-node', (nodes) =>
      Object.fromEntries(nodes.map((n) => [n.getAttribute('data-step'), n.getAttribute('data-status')])),
    );
    assert.deepEqual(statuses, {
      create_user_account: 'succeeded',
      setup_billing_profile: 'succeeded',
      initialize_preferences: 'fallback',
      send_welcome_sequence: 'succeeded',
      update_user_status: 'succeeded',
    });
    const details = await page.$$eval('#graph .sf-node [data-role="detail"]', (lines) =>
      lines.map((line) => line.textContent),
    );
    assert.match(details[1] ?? '', /^2 attempts · /, 'billing was retried once');
    assert.match(details[2] ?? '', /^4 attempts · /, 'preferences used all 4 attempts');
    // The timeline has every attempt: billing 1 failed + 1 succeeded, preferences 4 failed.
    const outcomes = await page.$$eval('.tl-row[data-lane] ', (rows) =>
      Object.fromEntries(
        rows.map((row) => [
          row.getAttribute('data-lane'),
          [...row.querySelectorAll('.tl-attempt')].map((bar) =>
            bar.className.replace('tl-bar tl-attempt tl-', ''),
          ),
        ]),
      ),
    );
    assert.deepEqual(outcomes.setup_billing_profile, ['failed', 'succeeded']);
    assert.deepEqual(outcomes.initialize_preferences, ['failed', 'failed', 'failed', 'failed']);
    assert.equal(
      await page.$$eval('.tl-row[data-lane="initialize_preferences"] .tl-fallback', (b) => b.length),
      1,
    );
    const cause = await page.$eval(
      '[data-step-detail="initialize_preferences"] .attempts',
      (t) => t.textContent,
    );
    assert.match(cause ?? '', /RetryableError.*answered 503/s);
    await page.close();
  });

  test('the colours change while an execution runs, with no reload', async () => {
    stack.runtime.services.user_registration!.latencyMs = 400;
    try {
      const id = await startRun(stack.resourceUrl, registrationBody('console-live'), 'console-live');
      const page = await browser.newPage();
      await page.goto(executionUrl(id), { waitUntil: 'domcontentloaded' });
      await page.evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { seen: string[] }).seen = seen;
        for (const node of document.querySelectorAll('#graph .sf-node')) {
          seen.push(`${node.getAttribute('data-step')}=${node.getAttribute('data-status')}`);
        }
        new MutationObserver((records) => {
          for (const r of records) {
            const node = r.target as Element;
            seen.push(`${node.getAttribute('data-step')}=${node.getAttribute('data-status')}`);
          }
        }).observe(document.getElementById('graph')!, {
          attributes: true,
          attributeFilter: ['data-status'],
          subtree: true,
        });
      });
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll('#graph .sf-node')].every(
            (n) => n.getAttribute('data-status') === 'succeeded',
          ),
        { timeout: 30_000, polling: 100 },
      );
      const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
      const updateHistory = seen.filter((entry) => entry.startsWith('update_user_status='));
      assert.ok(seen.length > STEPS.length, `the page changed statuses in place: ${seen.join(', ')}`);
      assert.equal(updateHistory.at(-1), 'update_user_status=succeeded');
      assert.ok(
        updateHistory.some((e) => e !== 'update_user_status=succeeded'),
        `update_user_status was shown before it succeeded: ${updateHistory.join(', ')}`,
      );
      assert.ok(
        seen.includes('send_welcome_sequence=running'),
        `a running step was shown: ${seen.join(', ')}`,
      );
      assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation').length), 1);
      await page.close();
    } finally {
      stack.runtime.services.user_registration!.latencyMs = 0;
    }
  });

  test('chromium --dump-dom --virtual-time-budget=10000 shows every step with its final data-status', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'console-dump-dom-'));
    try {
      const { stdout } = await promisify(execFile)(
        findChromium()!,
        [
          ...CHROMIUM_FLAGS,
          `--user-data-dir=${profile}`,
          '--dump-dom',
          '--virtual-time-budget=10000',
          executionUrl(retriedId),
        ],
        { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      );
      assert.deepEqual(nodeStatuses(stdout), {
        create_user_account: 'succeeded',
        setup_billing_profile: 'succeeded',
        initialize_preferences: 'fallback',
        send_welcome_sequence: 'succeeded',
        update_user_status: 'succeeded',
      });
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
