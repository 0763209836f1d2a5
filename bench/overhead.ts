/**
 * Benchmark 2: orchestration overhead with services answering at once: ms per state transition,
 * registrations per second at concurrency 1, 10 and 100, and peak memory.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { simulatorsOf } from '../local/simulators/user_registration/index.ts';
import { executionFigures } from './history.ts';
import { type DriveResult, driveRegistrations } from './registration-client.ts';
import type { Section, Target } from './report.ts';
import {
  BENCH_WORKERS_PER_FUNCTION,
  type BenchRuntime,
  registrationBody,
  runPlainSequence,
} from './runtime-harness.ts';
import { formatSummary, round, summarize } from './stats.ts';
import { describeWarmUp, type SteadyState, warmUntilSteady } from './steady-state.ts';

/** Options of {@link runOverhead}. */
export interface OverheadOptions {
  /** `[concurrency, registrations]` pairs. @default [[1, 20], [10, 100], [100, 300]] */
  readonly levels?: ReadonlyArray<readonly [number, number]>;
  /** Registrations of the in-process anchor (the same handlers, no orchestrator). @default 20 */
  readonly anchorRuns?: number;
  /**
   * Concurrency 1 and the in-process anchor warm in batches of this many registrations until two
   * successive batches agree on CPU per registration within 5 % (JIT tier-up). @default 20
   */
  readonly steadyBatch?: number;
  /** Warm-up batches at most (the notes say when they ran out unsteady). @default 15 */
  readonly steadyMaxBatches?: number;
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
  /** RSS once the batch is over and the process sat idle for a second, MB. */
  readonly rssAfterMb: number;
}

/** The anchors measured in the same run as the load levels. */
export interface Anchors {
  /** CPU per registration of the same handlers called in-process, in sequence, ms. */
  readonly inProcessCpuMs: number;
  /** One HTTP request/response over loopback (keep-alive), median µs. */
  readonly loopbackUs: number;
  /** The in-process handlers' warm-up, CPU ms per registration per batch. */
  readonly warmUp: SteadyState;
}

/** Two successive warm-up batches within this fraction of each other are steady state. */
const STEADY_TOLERANCE = 0.05;

/**
 * The same step handlers in this process, one after another, against the same dynalite and
 * simulators (after a warm-up to steady state, by the runtime's rule), and a bare loopback round trip.
 */
export async function measureAnchors(
  bench: BenchRuntime,
  runs: number,
  steady: { readonly batch: number; readonly maxBatches: number } = { batch: 20, maxBatches: 15 },
): Promise<Anchors> {
  const warmUp = await warmUntilSteady(
    async () => {
      const before = process.cpuUsage();
      for (let i = 0; i < steady.batch; i++) await runPlainSequence(bench, registrationBody('pro'));
      const cpu = process.cpuUsage(before);
      return (cpu.user + cpu.system) / 1000 / steady.batch;
    },
    { tolerance: STEADY_TOLERANCE, maxBatches: steady.maxBatches },
  );
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < runs; i++) await runPlainSequence(bench, registrationBody('pro'));
  const cpu = process.cpuUsage(cpuBefore);
  const server = createServer((_req, res) => res.writeHead(204).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const samples: number[] = [];
  try {
    for (let i = 0; i < 220; i++) {
      const started = performance.now();
      await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer();
      if (i >= 20) samples.push((performance.now() - started) * 1000);
    }
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  return {
    inProcessCpuMs: (cpu.user + cpu.system) / 1000 / runs,
    loopbackUs: summarize(samples).median,
    warmUp,
  };
}

/**
 * Unmeasured registrations at concurrency `concurrency` until CPU per registration stops falling
 * (two batches within 5 %) and a batch starts no sandbox: the runtime side of a steady-state ratio.
 */
async function warmRuntime(
  bench: BenchRuntime,
  concurrency: number,
  steady: { readonly batch: number; readonly maxBatches: number },
): Promise<SteadyState> {
  const coldStarts = (): number =>
    Object.values(bench.rt.lambdas.stats()).reduce((sum, s) => sum + s.coldStarts, 0);
  let started = 0;
  return warmUntilSteady(
    async () => {
      const coldBefore = coldStarts();
      const before = process.cpuUsage();
      await driveRegistrations(bench.rt, concurrency, steady.batch);
      const cpu = process.cpuUsage(before);
      started = coldStarts() - coldBefore;
      return (cpu.user + cpu.system) / 1000 / steady.batch;
    },
    { tolerance: STEADY_TOLERANCE, maxBatches: steady.maxBatches, settled: () => started === 0 },
  );
}

const idle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `count` registrations with `concurrency` in flight, each POST then wait for its end, and
 * samples the process RSS (worker threads live in this process, so it includes them) every 20 ms.
 */
export async function runLoad(bench: BenchRuntime, concurrency: number, count: number): Promise<LoadResult> {
  const { rt } = bench;
  // memoryUsage.rss() reads one number; memoryUsage() walks every heap space, too costly at 20 ms.
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);
  const cpuBefore = process.cpuUsage();
  let drive: DriveResult;
  try {
    drive = await driveRegistrations(rt, concurrency, count);
  } finally {
    clearInterval(sampler);
  }
  const { seconds, failed } = drive;
  // process.cpuUsage counts every thread of the process: the Lambda workers too.
  const cpu = process.cpuUsage(cpuBefore);
  const { executionMs, transitions } = await executionFigures(rt.sfnClient, drive.succeeded);
  await idle(1000);
  return {
    concurrency,
    registrations: count,
    seconds,
    perSecond: (count - failed) / seconds,
    failed,
    errors: drive.errors,
    executionMs,
    transitions,
    peakRssMb: peakRss / 2 ** 20,
    cpuMsPerRegistration: (cpu.user + cpu.system) / 1000 / count,
    rssAfterMb: process.memoryUsage.rss() / 2 ** 20,
  };
}

/** Runs every load level at 0 ms service latency. */
export async function runOverhead(
  bench: BenchRuntime,
  opts: OverheadOptions = {},
): Promise<Section & { levels: LoadResult[]; anchors: Anchors }> {
  const levels = opts.levels ?? [
    [1, 20],
    [10, 100],
    [100, 300],
  ];
  simulatorsOf(bench.rt).latencyMs = 0;
  const steady = { batch: opts.steadyBatch ?? 20, maxBatches: opts.steadyMaxBatches ?? 15 };
  const results: LoadResult[] = [];
  let peakWorkers = 0;
  let c1WarmUp: SteadyState | undefined;
  for (const [concurrency, count] of levels) {
    opts.log?.(`overhead: ${count} registrations at concurrency ${concurrency} (after a warm-up batch)`);
    // Warm-up at the same concurrency, twice its size, so every worker pool has grown to what this
    // level needs before the measured batch: steady state, not cold starts.
    await runLoad(bench, concurrency, 2 * concurrency);
    // Concurrency 1 carries the CPU target: each sandbox gets one call per registration there, so
    // the JIT needs many more registrations than the pools do.
    if (concurrency === 1) {
      c1WarmUp = await warmRuntime(bench, 1, steady);
      opts.log?.(`overhead: concurrency 1 warm after ${describeWarmUp(c1WarmUp, 'CPU ms per registration')}`);
    }
    const before = aliveWorkers(bench);
    results.push(await runLoad(bench, concurrency, count));
    const after = aliveWorkers(bench);
    peakWorkers = Math.max(peakWorkers, after);
    if (after > before)
      opts.log?.(
        `overhead: ${after - before} workers started inside the measured batch at concurrency ${concurrency}`,
      );
  }
  opts.log?.('overhead: anchors (the same handlers in-process; a loopback round trip)');
  const anchors = await measureAnchors(bench, opts.anchorRuns ?? 20, steady);
  opts.log?.(
    `overhead: in-process anchor warm after ${describeWarmUp(anchors.warmUp, 'CPU ms per registration')}`,
  );
  const first = results[0]!;
  const perTransition = summarize(first.executionMs.map((ms, i) => ms / (first.transitions[i] ?? 1)));
  const workers = aliveWorkers(bench);
  return {
    title: '2. Orchestration overhead (services at 0 ms)',
    method: [
      'Services answer at once; each level runs one warm-up batch (twice its concurrency; not ' +
        'counted) so the worker pools have grown, then the measured batch. Concurrency 1 and the in-process anchor ' +
        `then warm on in batches of ${steady.batch} until two successive batches agree on CPU per registration ` +
        `within ${STEADY_TOLERANCE * 100} % (and, for the runtime, the batch started no sandbox): JIT steady ` +
        'state on both sides of the ratio. Every registration is plan `pro` through the local API, and waits for its end ' +
        'before the next one starts in that slot.',
      'ms per transition = execution time (history, first to last event) / billed transitions of that execution, ' +
        "at concurrency 1. It includes the handlers' own work (validation, Powertools idempotency writes to dynalite).",
      'Peak RSS = the largest `process.memoryUsage.rss()` sampled every 20 ms; the Lambda workers are threads of ' +
        'this process, so it includes them, dynalite and the simulators too. RSS after = one second after the batch.',
      'Anchors, measured in the same run: the same step handlers called in-process one after another (no orchestrator, ' +
        'no workers) against the same dynalite and simulators, and one bare HTTP round trip over loopback. "CPU ratio" = ' +
        "CPU per registration / the in-process handlers' CPU per registration.",
    ],
    tables: [
      {
        header: [
          'concurrency',
          'registrations',
          'registrations/s',
          'execution ms',
          'CPU ms per registration',
          'CPU ratio to in-process',
          'failed',
          'peak RSS MB',
          'RSS after MB',
        ],
        rows: results.map((r) => [
          r.concurrency,
          r.registrations,
          round(r.perSecond, 1),
          formatSummary(summarize(r.executionMs)),
          round(r.cpuMsPerRegistration, 0),
          round(r.cpuMsPerRegistration / anchors.inProcessCpuMs, 2),
          r.failed,
          round(r.peakRssMb, 0),
          round(r.rssAfterMb, 0),
        ]),
      },
      {
        header: ['measure', 'value'],
        rows: [
          ['ms per state transition (concurrency 1)', formatSummary(perTransition, 1)],
          ['billed transitions per registration', formatSummary(summarize(first.transitions))],
          ['Lambda workers alive at the end (peak after a level)', `${workers} (${peakWorkers})`],
          ['anchor: in-process handlers, CPU ms per registration', round(anchors.inProcessCpuMs, 1)],
          ...(c1WarmUp
            ? [['warm-up at concurrency 1, CPU ms per registration by batch', describeWarmUp(c1WarmUp, 'ms')]]
            : []),
          [
            'warm-up of the in-process anchor, CPU ms per registration by batch',
            describeWarmUp(anchors.warmUp, 'ms'),
          ],
          ['anchor: loopback HTTP round trip, µs (median)', round(anchors.loopbackUs, 0)],
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
      `Workers per function: ${BENCH_WORKERS_PER_FUNCTION ?? "the runtime's default"} (BENCH_WORKERS_PER_FUNCTION, the same in every runtime benchmark), so at concurrency 100 ` +
        'invocations queue for a worker; everything (engine, dynalite, simulators, API, workers) shares this ' +
        "machine's CPUs.",
    ],
    targets: overheadTargets(results, anchors),
    levels: results,
    anchors,
  };
}

/** Issue 14's targets for this benchmark: CPU at c=1 against the in-process anchor, peak RSS at c=100. */
function overheadTargets(results: readonly LoadResult[], anchors: Anchors): Target[] {
  const targets: Target[] = [];
  const c1 = results.find((r) => r.concurrency === 1);
  if (c1) {
    const ratio = c1.cpuMsPerRegistration / anchors.inProcessCpuMs;
    targets.push({
      name: 'CPU per registration at concurrency 1 / the in-process handlers (same run)',
      measured: `${round(ratio, 2)} (${round(c1.cpuMsPerRegistration, 1)} / ${round(anchors.inProcessCpuMs, 1)} ms)`,
      target: '<= 1.15',
      met: ratio <= 1.15,
    });
  }
  const c100 = results.find((r) => r.concurrency === 100);
  if (c100)
    targets.push({
      name: 'Peak RSS at concurrency 100',
      measured: `${round(c100.peakRssMb, 0)} MB`,
      target: '<= 900 MB',
      met: c100.peakRssMb <= 900,
    });
  return targets;
}

function aliveWorkers(bench: BenchRuntime): number {
  return Object.values(bench.rt.lambdas.stats()).reduce((sum, s) => sum + s.alive, 0);
}
