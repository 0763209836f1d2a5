/**
 * Benchmark 8: a second workflow beside the flagship: `order_fulfillment`, four declarative HTTP
 * steps (no handler modules) in a diamond, against its mock services (the e2e fixture). It runs
 * on its own runtime with both workflows loaded, so the figures cover the built-in HTTP step
 * handler and the mocks the way a user's own workflow runs offline.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { REPO_ROOT } from '../infra/repo-root.ts';
import { type LocalRuntime, type LocalWorkflow, startLocalRuntime } from '../local/runtime/index.ts';
import { executionFigures } from './history.ts';
import { driveExecutions } from './registration-client.ts';
import type { Section } from './report.ts';
import { BENCH_WORKERS_PER_FUNCTION } from './runtime-harness.ts';
import { round, summarize } from './stats.ts';

const FIXTURE = join(REPO_ROOT, 'test/fixtures/workflows/e2e/order_fulfillment/order_fulfillment.yaml');
const WORKFLOW = 'order_fulfillment';

/** Options of {@link runHttpWorkflowBench}. */
export interface HttpWorkflowOptions {
  /** `[concurrency, executions]` pairs. @default [[1, 20], [10, 100]] */
  readonly levels?: ReadonlyArray<readonly [number, number]>;
  readonly log?: (line: string) => void;
}

interface Level {
  readonly concurrency: number;
  readonly executions: number;
  readonly perSecond: number;
  readonly cpuMs: number;
  readonly failed: number;
  readonly executionMs: number[];
  readonly transitions: number[];
}

/** POSTs one order; its execution ARN. */
async function startOne(workflow: LocalWorkflow, n: number): Promise<string> {
  const input = {
    ...(workflow.examples[0] as Record<string, unknown>),
    order_id: `bench-${n}-${Date.now()}`,
  };
  const res = await fetch(workflow.resourceUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': `bench-order-${n}-${Date.now()}` },
    body: JSON.stringify(input),
  });
  const text = await res.text();
  if (res.status !== 202)
    throw new Error(`POST /${workflow.resource} answered ${res.status}: ${text.slice(0, 200)}`);
  return (JSON.parse(text) as { execution_arn: string }).execution_arn;
}

async function runLevel(
  rt: LocalRuntime,
  workflow: LocalWorkflow,
  concurrency: number,
  count: number,
): Promise<Level> {
  const cpuBefore = process.cpuUsage();
  const { seconds, failed, succeeded } = await driveExecutions(rt, concurrency, count, (n) =>
    startOne(workflow, n),
  );
  const cpu = process.cpuUsage(cpuBefore);
  const { executionMs, transitions } = await executionFigures(rt.sfnClient, succeeded);
  return {
    concurrency,
    executions: count,
    perSecond: (count - failed) / seconds,
    cpuMs: (cpu.user + cpu.system) / 1000 / count,
    failed,
    executionMs,
    transitions,
  };
}

/** Runs the HTTP-step workflow at each level after a warm-up batch at the same concurrency. */
export async function runHttpWorkflowBench(opts: HttpWorkflowOptions = {}): Promise<Section> {
  const levels = opts.levels ?? [
    [1, 20],
    [10, 100],
  ];
  const scratch = mkdtempSync(join(tmpdir(), 'stepflow-bench-'));
  const configDir = join(scratch, 'config');
  mkdirSync(configDir);
  for (const file of [join(REPO_ROOT, 'config/user_registration.yaml'), FIXTURE]) {
    copyFileSync(file, join(configDir, basename(file)));
    const mocks = file.replace(/\.yaml$/, '.mocks.yaml');
    if (existsSync(mocks)) copyFileSync(mocks, join(configDir, basename(mocks)));
  }
  const rt = await startLocalRuntime({
    configDir,
    timeScale: 100,
    ...(BENCH_WORKERS_PER_FUNCTION === undefined
      ? {}
      : { maxConcurrencyPerFunction: BENCH_WORKERS_PER_FUNCTION }),
  });
  const results: Level[] = [];
  try {
    const workflow = rt.workflows.find((w) => w.name === WORKFLOW);
    if (workflow === undefined) throw new Error(`${WORKFLOW} did not load`);
    for (const [concurrency, count] of levels) {
      opts.log?.(`http workflow: ${count} executions at concurrency ${concurrency} (after a warm-up batch)`);
      await runLevel(rt, workflow, concurrency, 2 * concurrency);
      results.push(await runLevel(rt, workflow, concurrency, count));
    }
  } finally {
    await rt.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  return {
    title: '8. A workflow of declarative HTTP steps',
    method: [
      '`order_fulfillment` (test/fixtures/workflows/e2e): four HTTP steps in a diamond, no handler modules, against ' +
        'its mock services answering at once; loaded beside the flagship on one runtime. Each level runs a warm-up ' +
        'batch of twice its concurrency first (not counted).',
    ],
    tables: [
      {
        header: [
          'concurrency',
          'executions',
          'executions/s',
          'execution ms (median)',
          'CPU ms per execution',
          'billed transitions',
          'failed',
        ],
        rows: results.map((r) => [
          r.concurrency,
          r.executions,
          round(r.perSecond, 1),
          round(summarize(r.executionMs).median, 0),
          round(r.cpuMs, 0),
          round(summarize(r.transitions).median, 0),
          r.failed,
        ]),
      },
    ],
    notes: [],
  };
}
