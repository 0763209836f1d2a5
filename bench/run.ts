/**
 * `npm run bench`: runs the nine benchmarks, prints their tables and rewrites BENCHMARKS.md.
 *
 * Flags: `--only=1,3` runs some of them (BENCHMARKS.md is then left alone unless `--write`);
 * `--quick` shrinks every sample count for a fast check of the harness; `--registrations=N` sets
 * the memory run's length (default 10,000); `--against=<rev>` the commit benchmark 9 compares
 * with (default: the one issue 14 was filed against).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../infra/repo-root.ts';
import { runCost } from './cost.ts';
import { runEngineBench } from './engine.ts';
import { runHttpWorkflowBench } from './http-workflow.ts';
import { type LatencyResult, runLatency } from './latency.ts';
import { runMemoryGrowth } from './memory-growth.ts';
import { runOverhead } from './overhead.ts';
import { profileConcurrency10, withProfile } from './profile.ts';
import { describeMachine, renderBenchmarks, renderSection, type Section } from './report.ts';
import { BENCH_WORKERS_PER_FUNCTION, type BenchRuntime, startBenchRuntime } from './runtime-harness.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    registrations: { type: 'string' },
    against: { type: 'string' },
  },
});
const only = new Set((values.only ?? '1,2,3,4,5,6,7,8,9').split(',').map((s) => Number(s.trim())));
const quick = values.quick === true;
const log = (line: string): void => {
  process.stderr.write(`  ${line}\n`);
};

const QUICK_LEVELS: ReadonlyArray<readonly [number, number]> = [
  [1, 5],
  [10, 20],
  [100, 100],
];

const started = performance.now();
const loadBefore = loadavg()[0] ?? 0;
// Benchmarks 1, 2 and 4 share one offline runtime (its start-up synthesizes the app). Retry
// intervals run 100x faster there; happy paths have no waits, so their timings are unaffected.
let runtime: BenchRuntime | undefined;
const bench = async (): Promise<BenchRuntime> => {
  runtime ??= await startBenchRuntime({
    timeScale: 100,
    ...(BENCH_WORKERS_PER_FUNCTION === undefined
      ? {}
      : { maxConcurrencyPerFunction: BENCH_WORKERS_PER_FUNCTION }),
  });
  return runtime;
};
const closeRuntime = async (): Promise<void> => {
  const open = runtime;
  runtime = undefined;
  await open?.close();
};
let latency: LatencyResult | undefined;
const benches: Array<[number, () => Promise<Section>]> = [
  [
    1,
    async () => {
      latency = await runLatency(await bench(), { runs: quick ? 5 : 30, log });
      return latency;
    },
  ],
  [
    4,
    async () =>
      runCost(await bench(), {
        ...(latency
          ? { executionMs: latency.executionMs, lambdaMsPerRegistration: latency.lambdaMsPerRegistration }
          : {}),
        log,
      }),
  ],
  [
    2,
    async () => {
      const section = await runOverhead(await bench(), {
        ...(quick ? { levels: QUICK_LEVELS, anchorRuns: 5, steadyBatch: 5, steadyMaxBatches: 3 } : {}),
        log,
      });
      // The profile runs in its own process: free this one's workers first.
      await closeRuntime();
      const count = quick ? 30 : 100;
      log(`overhead: profiling ${count} registrations at concurrency 10 (node --cpu-prof)`);
      return withProfile(section, await profileConcurrency10(count), count);
    },
  ],
  [
    7,
    async () =>
      runMemoryGrowth(await bench(), {
        total: Number(values.registrations ?? (quick ? 300 : 10_000)),
        checkpoint: quick ? 100 : 1_000,
        log,
      }),
  ],
  [
    8,
    () =>
      runHttpWorkflowBench({
        ...(quick
          ? {
              levels: [
                [1, 5],
                [10, 20],
              ],
            }
          : {}),
        log,
      }),
  ],
  [
    9,
    async () => {
      // Its two runtimes run in child processes: this one's would only share their CPUs.
      await closeRuntime();
      return (await import('./against.ts')).runAgainst({
        ...(values.against ? { rev: values.against } : {}),
        ...(quick ? { rounds: 1, count: 10, warmBatch: 10, warmMax: 2 } : {}),
        log,
      });
    },
  ],
  // Imported when run: both load aws-cdk-lib, which would otherwise sit in this process's heap
  // (and its RSS) through the runtime benchmarks.
  [3, async () => (await import('./cold-start.ts')).runColdStart({ spawns: quick ? 3 : 20, log })],
  [
    5,
    async () =>
      (await import('./compiler-scaling.ts')).runCompilerScaling({
        ...(quick ? { sizes: [10, 100], durationDraws: 5 } : {}),
        log,
      }),
  ],
  [6, () => runEngineBench({ ...(quick ? { rounds: 3, executions: 50 } : {}), log })],
];
const sections: Section[] = [];
try {
  for (const [id, run] of benches) {
    if (!only.has(id)) continue;
    process.stderr.write(`benchmark ${id}...\n`);
    const section = await run();
    sections.push(section);
    process.stdout.write(`${renderSection(section)}\n`);
    // The runtime is only needed by 1, 2, 4 and 7: free its workers before the CPU-bound ones.
    if (id === 7 || (id === 4 && !only.has(2))) await closeRuntime();
  }
} finally {
  await closeRuntime();
}
sections.sort((a, b) => a.title.localeCompare(b.title));
const seconds = (performance.now() - started) / 1000;
const machine = describeMachine();
const loadNote = `load average (1 min) ${loadBefore.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end`;
process.stderr.write(`done in ${Math.round(seconds)} s; ${loadNote}\n`);
if ((only.size === 9 && !quick) || values.write === true) {
  writeFileSync(join(REPO_ROOT, 'BENCHMARKS.md'), renderBenchmarks(sections, machine, seconds, loadNote));
  process.stderr.write('BENCHMARKS.md rewritten\n');
}
