/**
 * `npm run screenshots`: starts the offline runtime and the console, runs a registration whose
 * billing call is retried after a 503, whose preferences fall back after every attempt failed
 * and whose welcome sequence waits out a Retry-After, then writes PNGs of the console's three
 * pages and the flagship's graph (SVG from `stepflow graph`, PNG rendered by chromium) to docs/,
 * and one of a registration whose last step exhausted its retries against a failing user service:
 * FAILED, held for redrive, with the page's Operate buttons.
 * It also prints each page's first contentful paint and the JavaScript it loaded.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadWorkflows } from '../../infra/workflow/index.ts';
import { runGraphCommand } from '../cli/graph-command.ts';
import { startLocalRuntime } from '../runtime/index.ts';
import { launchChromium } from './chromium.ts';
import { localConsoleWorkflows } from './local-workflows.ts';
import { startConsole } from './server.ts';
import { isFinal } from './sources.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const DOCS = join(ROOT, 'docs');
const out = (line: string) => process.stdout.write(`${line}\n`);

async function register(resourceUrl: string, id: string, email: string): Promise<void> {
  const response = await fetch(resourceUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Correlation-ID': id },
    body: JSON.stringify({
      user_info: { email, name: 'Ada Lovelace', plan: 'pro' },
      billing_info: { payment_method: 'card_visa' },
    }),
  });
  if (response.status !== 202) throw new Error(`POST ${resourceUrl} answered ${response.status}`);
  for (let i = 0; i < 1200; i++) {
    const status = (await (await fetch(`${resourceUrl}/${id}`)).json()) as { status: string };
    if (isFinal(status.status)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${id} did not finish in 60 s`);
}

async function main(): Promise<number> {
  mkdirSync(DOCS, { recursive: true });
  const graphSvg = join(DOCS, 'user_registration-graph.svg');
  const code = await runGraphCommand([join(ROOT, 'config/user_registration.yaml'), '-o', graphSvg], process);
  if (code !== 0) return code;

  // History timestamps keep the delays the definition asks for at any time scale.
  const runtime = await startLocalRuntime({ timeScale: 20 });
  const chromium = await launchChromium();
  const workflows = localConsoleWorkflows(runtime, loadWorkflows(join(ROOT, 'config')));
  const server = await startConsole({ port: 0, sfnEndpoint: runtime.sfnEndpoint, workflows });
  try {
    const resourceUrl = workflows[0]!.resourceUrl;
    await register(resourceUrl, 'docs-happy-path', 'grace@example.com');
    const { faults } = runtime.services.user_registration!;
    faults.set('billing', 'POST /profiles', { kind: 'status', status: 503, times: 1 });
    faults.set('preferences', '*', { kind: 'status', status: 503 });
    faults.set('notification', 'POST /notifications/welcome', {
      kind: 'status',
      status: 429,
      retryAfter: 2,
      times: 1,
    });
    await register(resourceUrl, 'docs-retry-and-fallback', 'ada@example.com');
    faults.clear();
    // Retryable failures until the retries run out: held for redrive, nothing compensated.
    faults.set('user', 'PATCH /users/{id}/status', { kind: 'status', status: 503 });
    await register(resourceUrl, 'docs-held-for-redrive', 'mary@example.com');
    faults.clear();

    const page = await chromium.browser.newPage();
    await page.setViewport({ width: 1200, height: 900, deviceScaleFactor: 1 });
    const shots: Array<[string, string]> = [
      ['console-home.png', ''],
      ['console-workflow.png', 'workflows/user_registration'],
      ['console-execution.png', 'workflows/user_registration/executions/docs-retry-and-fallback'],
      ['console-operate.png', 'workflows/user_registration/executions/docs-held-for-redrive'],
    ];
    for (const [file, path] of shots) {
      await page.goto(`${server.url}${path}`, { waitUntil: 'networkidle0' });
      const paint = await page.evaluate(() => {
        const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime;
        const scripts = performance
          .getEntriesByType('resource')
          .filter((entry) => entry.name.endsWith('.js'))
          .map((entry) => (entry as PerformanceResourceTiming).encodedBodySize);
        return { fcp, js: scripts.reduce((sum, size) => sum + size, 0) };
      });
      await page.screenshot({ path: join(DOCS, file), fullPage: true });
      out(
        `docs/${file}  first contentful paint ${paint.fcp?.toFixed(0)} ms, ${paint.js} bytes of JavaScript`,
      );
    }
    await page.goto(`file://${graphSvg}`);
    const svg = await page.$('svg');
    await svg?.screenshot({ path: join(DOCS, 'user_registration-graph.png'), omitBackground: false });
    out('docs/user_registration-graph.svg and docs/user_registration-graph.png');
    out(`assets: ${JSON.stringify(server.assetSizes)}`);
    return 0;
  } finally {
    await server.close();
    await chromium.close();
    await runtime.close();
  }
}

process.exitCode = await main();
