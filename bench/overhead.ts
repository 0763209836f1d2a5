/**
 * Benchmark 2: orchestration overhead with services answering at once: ms per state transition,
 * registrations per second at concurrency 1, 10 and 100, and peak memory.
 */
import { availableParallelism } from 'node:os';
import { simulatorsOf } from '../local/simulators/user_registration/index.ts';
import { countTransitions, fetchHistory } from './history.ts';
import type { Section } from './report.ts';
import { awaitTerminal, type BenchRuntime, postRegistration, registrationBody } from './runtime-harness.ts';
import { formatSummary, round, summarize } from './stats.ts';

/** Options of {@link runOverhead}. */
export interface OverheadOptions {
  /** `[concurrency, registrations]` pairs. @default [[1, 20], [10, 100], [100, 300]] */
  readonly levels?: ReadonlyArray<readonly [number, number]>;
  /** Warm workers per function the runtime was started with (for the notes). @default 8 */
  readonly workersPerFunction?: number;
  /** @default none */
  readonly log?: (line: string) => void;
}

/** One load level's outcome. */
export interface LoadResult {
  readonly concurrency: number;
  readonly registrations: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly failed: number;
  /** Distinct failure messages. */
  readonly errors: string[];
  readonly executionMs: number[];
  readonly transitions: number[];
  readonly peakRssMb: number;
  /** CPU time (all threads of this process) per registration, ms. */
  readonly cpuMsPerRegistration: number;
}

/**
 * Runs `count` registrations with `concurrency` in flight, each POST then wait for its end, and
 * samples the process RSS (worker threads live in this process, so it includes them) every 20 ms.
 */
export async function runLoad(bench: BenchRuntime, concurrency: number, count: number): Promise<LoadResult> {
  const { rt } = bench;
  let next = 0;
  let failed = 0;
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  const arns: string[] = [];
  const errors = new Set<string>();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      try {
        const reg = await postRegistration(rt, registrationBody('pro'));
        const done = await awaitTerminal(rt, reg);
        if (done.status === 'SUCCEEDED') arns.push(reg.executionArn);
        else failed++;
      } catch (error) {
        // A refused POST (e.g. the start function timing out under load) is a failed registration.
        failed++;
        errors.add((error as Error).message.slice(0, 160));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  // process.cpuUsage counts every thread of the process: the Lambda workers too.
  const cpu = process.cpuUsage(cpuBefore);
  const executionMs: number[] = [];
  const transitions: number[] = [];
  for (const arn of arns) {
    const count = countTransitions(await fetchHistory(rt.sfnClient, arn));
    executionMs.push(count.durationMs);
    transitions.push(count.billed);
  }
  return {
    concurrency,
    registrations: count,
    seconds,
    perSecond: (count - failed) / seconds,
    failed,
    errors: [...errors],
    executionMs,
    transitions,
    peakRssMb: peakRss / 2 ** 20,
    cpuMsPerRegistration: (cpu.user + cpu.system) / 1000 / count,
  };
}

/** Runs every load level at 0 ms service latency. */
export async function runOverhead(
  bench: BenchRuntime,
  opts: OverheadOptions = {},
): Promise<Section & { levels: LoadResult[] }> {
  const levels = opts.levels ?? [
    [1, 20],
    [10, 100],
    [100, 300],
  ];
  simulatorsOf(bench.rt).latencyMs = 0;
  const results: LoadResult[] = [];
  for (const [concurrency, count] of levels) {
    opts.log?.(`overhead: ${count} registrations at concurrency ${concurrency} (after a warm-up batch)`);
    // Warm-up at the same concurrency so the worker pools have grown: steady state, not cold starts.
    await runLoad(bench, concurrency, Math.min(2 * concurrency, 50));
    results.push(await runLoad(bench, concurrency, count));
  }
  const first = results[0]!;
  const perTransition = summarize(first.executionMs.map((ms, i) => ms / (first.transitions[i] ?? 1)));
  const stats = bench.rt.lambdas.stats();
  const workers = Object.values(stats).reduce((sum, s) => sum + s.alive, 0);
  return {
    title: '2. Orchestration overhead (services at 0 ms)',
    method: [
      'Services answer at once; each level runs one warm-up batch (twice its concurrency, at most 50 registrations; not ' +
        'counted) so the worker pools have grown, then the measured batch. Every registration is plan `pro` through the local API, and waits for its end ' +
        'before the next one starts in that slot.',
      'ms per transition = execution time (history, first to last event) / billed transitions of that execution, ' +
        "at concurrency 1. It includes the handlers' own work (validation, Powertools idempotency writes to dynalite).",
      'Peak RSS = the largest `process.memoryUsage().rss` sampled every 20 ms; the Lambda workers are threads of ' +
        'this process, so it includes them, dynalite and the simulators too.',
    ],
    tables: [
      {
        header: [
          'concurrency',
          'registrations',
          'registrations/s',
          'execution ms',
          'CPU ms per registration',
          'failed',
          'peak RSS MB',
        ],
        rows: results.map((r) => [
          r.concurrency,
          r.registrations,
          round(r.perSecond, 1),
          formatSummary(summarize(r.executionMs)),
          round(r.cpuMsPerRegistration, 0),
          r.failed,
          round(r.peakRssMb, 0),
        ]),
      },
      {
        header: ['measure', 'value'],
        rows: [
          ['ms per state transition (concurrency 1)', formatSummary(perTransition, 1)],
          ['billed transitions per registration', formatSummary(summarize(first.transitions))],
          ['Lambda workers alive at the end', workers],
        ],
      },
    ],
    notes: [
      ...results
        .filter((r) => r.failed > 0)
        .map(
          (r) =>
            `Concurrency ${r.concurrency}: ${r.failed} registrations failed (${r.errors.join('; ') || 'execution failed'}).`,
        ),
      `Throughput is CPU-bound: a registration costs about ${round(first.cpuMsPerRegistration, 0)} ms of CPU ` +
        `(all threads) at concurrency 1, so ${availableParallelism()} CPUs cap it near ` +
        `${round((availableParallelism() * 1000) / first.cpuMsPerRegistration, 0)} ` +
        'registrations/s whatever the concurrency; more concurrency adds queueing (longer executions) and workers ' +
        '(memory), not throughput.',
      `The runtime keeps at most ${opts.workersPerFunction ?? 8} warm workers per function, so at concurrency 100 ` +
        'invocations queue for a worker; everything (engine, dynalite, simulators, API, workers) shares this ' +
        "machine's CPUs.",
    ],
    levels: results,
  };
}
