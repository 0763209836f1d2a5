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
  diffThreadCpu,
  registrationBody,
  runInProcessRegistration,
  type ThreadCpuSplit,
} from './runtime-harness.ts';
import { formatSummary, round, summarize } from './stats.ts';
import { describeWarmUp, type SteadyState, warmUntilSteady } from './steady-state.ts';

/** Options of {@link runOverhead}. */
export interface OverheadOptions {
  /** `[concurrency, registrations]` pairs. @default [[1, 60], [10, 100], [100, 300]] */
  readonly levels?: ReadonlyArray<readonly [number, number]>;
  /**
   * Registrations of the in-process anchor (the start function and the step handlers, no
   * orchestrator), measured beside concurrency 1 in the same rounds. @default 60
   */
  readonly anchorRuns?: number;
  /**
   * Concurrency 1 and the in-process anchor warm in batches of this many registrations until two
   * successive batches agree on CPU per registration within 5 % (JIT tier-up). @default 20
   */
  readonly steadyBatch?: number;
  /** Warm-up batches at most (the notes say when they ran out unsteady). @default 20 */
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
  /** CPU per registration by thread (main, Lambda workers, the rest), ms. */
  readonly threads: ThreadCpuSplit;
}

/** CPU of one part of the in-process anchor per registration, ms. */
export interface AnchorPart {
  /** Every thread of the process. */
  readonly cpuMs: number;
  /** The main thread alone (the handlers, dynalite and the simulators all run on it). */
  readonly mainMs: number;
}

/** The anchors measured in the same run as the load levels. */
export interface Anchors {
  /** CPU the idle Lambda workers spent while the anchor ran, ms per registration (should be ~0). */
  readonly idleWorkersMs: number;
  /**
   * CPU per registration of the same functions called in-process (the start function, then the
   * step handlers in sequence), ms: `start.cpuMs + steps.cpuMs`.
   */
  readonly inProcessCpuMs: number;
  /** The start function's part (its StartExecution answered by a loopback stub). */
  readonly start: AnchorPart;
  /** The five step handlers' part. */
  readonly steps: AnchorPart;
  /** One HTTP request/response over loopback (keep-alive), median µs. */
  readonly loopbackUs: number;
  /** CPU of one loopback round trip, client and server both in this process, µs. */
  readonly loopbackCpuUs: number;
  /** The in-process anchor's warm-up, CPU ms per registration per batch. */
  readonly warmUp: SteadyState;
}

/** Two successive warm-up batches within this fraction of each other are steady state. */
const STEADY_TOLERANCE = 0.05;

/**
 * Registrations both sides of the c=1 ratio warm on at least, before the 5 % rule may stop them:
 * each sandbox gets one call per registration, and interleaved runs showed the runtime's CPU per
 * registration still falling until about 250 registrations, while two batches before that can
 * agree by chance (one run stopped after 3 batches: 122, 101, 104 ms, and measured 1.39).
 */
const MIN_WARM_REGISTRATIONS = 240;

const minWarmBatches = (batch: number): number => Math.ceil(MIN_WARM_REGISTRATIONS / batch);

/** Registrations of the in-process anchor: CPU per registration of each part, ms. */
interface AnchorBatch {
  readonly runs: number;
  readonly start: AnchorPart;
  readonly steps: AnchorPart;
  /** CPU the Lambda workers spent while the anchor ran (idle sandboxes), ms per registration. */
  readonly idleWorkersMs: number;
}

/** `runs` in-process registrations, one after another. */
async function inProcessBatch(bench: BenchRuntime, runs: number): Promise<AnchorBatch> {
  const start = { cpuMs: 0, mainMs: 0 };
  const steps = { cpuMs: 0, mainMs: 0 };
  const threadsBefore = await bench.threadCpu();
  for (let i = 0; i < runs; i++) {
    const one = await runInProcessRegistration(bench, registrationBody('pro'));
    start.cpuMs += one.start.cpuMs / runs;
    start.mainMs += one.start.mainMs / runs;
    steps.cpuMs += one.steps.cpuMs / runs;
    steps.mainMs += one.steps.mainMs / runs;
  }
  const { workersMs } = diffThreadCpu(await bench.threadCpu(), threadsBefore);
  return { runs, start, steps, idleWorkersMs: workersMs / runs };
}

/** Batches merged, weighted by their registrations. */
function mergeAnchorBatches(batches: readonly AnchorBatch[]): AnchorBatch {
  const runs = batches.reduce((sum, b) => sum + b.runs, 0);
  const mean = (of: (b: AnchorBatch) => number): number =>
    batches.reduce((sum, b) => sum + of(b) * b.runs, 0) / runs;
  return {
    runs,
    start: { cpuMs: mean((b) => b.start.cpuMs), mainMs: mean((b) => b.start.mainMs) },
    steps: { cpuMs: mean((b) => b.steps.cpuMs), mainMs: mean((b) => b.steps.mainMs) },
    idleWorkersMs: mean((b) => b.idleWorkersMs),
  };
}

/** The in-process anchor warmed to steady state by the runtime's rule. */
function warmAnchor(
  bench: BenchRuntime,
  steady: { readonly batch: number; readonly maxBatches: number },
): Promise<SteadyState> {
  return warmUntilSteady(
    async () => {
      const { start, steps } = await inProcessBatch(bench, steady.batch);
      return start.cpuMs + steps.cpuMs;
    },
    { tolerance: STEADY_TOLERANCE, maxBatches: steady.maxBatches, minBatches: minWarmBatches(steady.batch) },
  );
}

/** One bare HTTP round trip over loopback (keep-alive): median wall µs and mean CPU µs. */
async function measureLoopback(): Promise<{ loopbackUs: number; loopbackCpuUs: number }> {
  const server = createServer((_req, res) => res.writeHead(204).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const samples: number[] = [];
  let cpuUs = 0;
  try {
    for (let i = 0; i < 220; i++) {
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer();
      if (i < 20) continue;
      samples.push((performance.now() - started) * 1000);
      const cpu = process.cpuUsage(cpuBefore);
      cpuUs += cpu.user + cpu.system;
    }
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  return { loopbackUs: summarize(samples).median, loopbackCpuUs: cpuUs / samples.length };
}

/**
 * The anchors: the same functions in this process, after a warm-up to steady state by the
 * runtime's rule (the start function with the API event the local API builds, its
 * StartExecution answered by a loopback stub, then the step handlers one after another, against
 * the same dynalite and simulators), and a bare loopback round trip.
 */
export async function measureAnchors(
  bench: BenchRuntime,
  runs: number,
  steady: { readonly batch: number; readonly maxBatches: number } = { batch: 20, maxBatches: 15 },
): Promise<Anchors> {
  const warmUp = await warmAnchor(bench, steady);
  return anchorsOf(inProcessBatch(bench, runs), warmUp);
}

async function anchorsOf(batch: Promise<AnchorBatch> | AnchorBatch, warmUp: SteadyState): Promise<Anchors> {
  const { start, steps, idleWorkersMs } = await batch;
  return {
    inProcessCpuMs: start.cpuMs + steps.cpuMs,
    start,
    steps,
    idleWorkersMs,
    ...(await measureLoopback()),
    warmUp,
  };
}

/** LoadResults of one level's batches as one. */
function mergeLoads(loads: readonly LoadResult[]): LoadResult {
  const count = loads.reduce((sum, l) => sum + l.registrations, 0);
  const seconds = loads.reduce((sum, l) => sum + l.seconds, 0);
  const failed = loads.reduce((sum, l) => sum + l.failed, 0);
  const mean = (of: (l: LoadResult) => number): number =>
    loads.reduce((sum, l) => sum + of(l) * l.registrations, 0) / count;
  return {
    concurrency: loads[0]?.concurrency ?? 1,
    registrations: count,
    seconds,
    perSecond: (count - failed) / seconds,
    failed,
    errors: [...new Set(loads.flatMap((l) => l.errors))],
    executionMs: loads.flatMap((l) => l.executionMs),
    transitions: loads.flatMap((l) => l.transitions),
    peakRssMb: Math.max(...loads.map((l) => l.peakRssMb)),
    cpuMsPerRegistration: mean((l) => l.cpuMsPerRegistration),
    rssAfterMb: loads.at(-1)?.rssAfterMb ?? 0,
    threads: {
      totalMs: mean((l) => l.threads.totalMs),
      mainMs: mean((l) => l.threads.mainMs),
      workersMs: mean((l) => l.threads.workersMs),
      otherMs: mean((l) => l.threads.otherMs),
      workersExited: loads.reduce((sum, l) => sum + l.threads.workersExited, 0),
    },
  };
}

/** `total` split into `parts` batch sizes as even as can be (no empty batch). */
function splitEvenly(total: number, parts: number): number[] {
  const n = Math.max(1, Math.min(parts, total));
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

/** Concurrency 1 and the in-process anchor alternate in this many rounds (A/B, same load). */
const C1_ROUNDS = 6;

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
    {
      tolerance: STEADY_TOLERANCE,
      maxBatches: steady.maxBatches,
      minBatches: minWarmBatches(steady.batch),
      settled: () => started === 0,
    },
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
  const threadsBefore = await bench.threadCpu();
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
  const threads = diffThreadCpu(await bench.threadCpu(), threadsBefore);
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
    threads: {
      totalMs: threads.totalMs / count,
      mainMs: threads.mainMs / count,
      workersMs: threads.workersMs / count,
      otherMs: threads.otherMs / count,
      workersExited: threads.workersExited,
    },
  };
}

/** Runs every load level at 0 ms service latency. */
export async function runOverhead(
  bench: BenchRuntime,
  opts: OverheadOptions = {},
): Promise<Section & { levels: LoadResult[]; anchors: Anchors }> {
  const levels = opts.levels ?? [
    [1, 60],
    [10, 100],
    [100, 300],
  ];
  simulatorsOf(bench.rt).latencyMs = 0;
  const steady = { batch: opts.steadyBatch ?? 20, maxBatches: opts.steadyMaxBatches ?? 20 };
  const results: LoadResult[] = [];
  let peakWorkers = 0;
  let c1WarmUp: SteadyState | undefined;
  let anchors: Anchors | undefined;
  const anchorRuns = opts.anchorRuns ?? 60;
  /** Per round: the runtime's CPU per registration / the anchor batch's right after it. */
  const c1Ratios: number[] = [];
  /** Concurrency 1's measured batch, once the other levels ran. */
  let c1Count: number | undefined;
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
      // Measured after the other levels: the in-process anchor alternates with it, and loading the
      // functions into this thread's heap (the start function's validator, SDK clients) must not
      // count in the peak RSS of the higher levels.
      c1Count = count;
      continue;
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
  if (c1Count !== undefined) {
    opts.log?.(`overhead: ${c1Count} registrations at concurrency 1, alternating with the in-process anchor`);
    // Back to one call at a time per pool before the rounds, unmeasured.
    await driveRegistrations(bench.rt, 1, steady.batch);
    // The c=1 target's two sides alternate, batch by batch, so a change in the machine's load
    // falls on both: runtime, anchor, runtime, anchor, ...
    const anchorWarmUp = await warmAnchor(bench, steady);
    opts.log?.(
      `overhead: in-process anchor warm after ${describeWarmUp(anchorWarmUp, 'CPU ms per registration')}`,
    );
    const loads: LoadResult[] = [];
    const batches: AnchorBatch[] = [];
    const anchorSizes = splitEvenly(anchorRuns, C1_ROUNDS);
    for (const [round, size] of splitEvenly(c1Count, C1_ROUNDS).entries()) {
      const load = await runLoad(bench, 1, size);
      const batch = await inProcessBatch(bench, anchorSizes[round] ?? anchorSizes.at(-1) ?? 1);
      loads.push(load);
      batches.push(batch);
      c1Ratios.push(load.cpuMsPerRegistration / (batch.start.cpuMs + batch.steps.cpuMs));
    }
    results.push(mergeLoads(loads));
    anchors = await anchorsOf(mergeAnchorBatches(batches), anchorWarmUp);
    peakWorkers = Math.max(peakWorkers, aliveWorkers(bench));
  }
  if (anchors === undefined) {
    opts.log?.('overhead: anchors (the start function and step handlers in-process; a loopback round trip)');
    anchors = await measureAnchors(bench, anchorRuns, steady);
    opts.log?.(
      `overhead: in-process anchor warm after ${describeWarmUp(anchors.warmUp, 'CPU ms per registration')}`,
    );
  }
  results.sort((a, b) => a.concurrency - b.concurrency);
  const first = results.find((r) => r.concurrency === 1) ?? results[0]!;
  const perTransition = summarize(first.executionMs.map((ms, i) => ms / (first.transitions[i] ?? 1)));
  const workers = aliveWorkers(bench);
  return {
    title: '2. Orchestration overhead (services at 0 ms)',
    method: [
      'Services answer at once; each level runs one warm-up batch (twice its concurrency; not ' +
        'counted) so the worker pools have grown, then the measured batch. Concurrency 1 and the in-process anchor ' +
        `then warm on in batches of ${steady.batch}, at least ${Math.min(minWarmBatches(steady.batch), steady.maxBatches) * steady.batch} registrations and until two successive batches agree on CPU per registration ` +
        `within ${STEADY_TOLERANCE * 100} % (and, for the runtime, the batch started no sandbox): JIT steady ` +
        `state on both sides of the ratio. Their measured batches then alternate in ${C1_ROUNDS} rounds ` +
        "(runtime, anchor, runtime, ...), so a change in the machine's load falls on both sides. Concurrency 1 warms " +
        "first but is measured after the other levels (one more warm-up batch before), so the anchor's functions " +
        'loaded into this thread are not in their peak RSS. ' +
        'Every registration is plan `pro` through the local API, and waits for its end ' +
        'before the next one starts in that slot.',
      'ms per transition = execution time (history, first to last event) / billed transitions of that execution, ' +
        "at concurrency 1. It includes the handlers' own work (validation, Powertools idempotency writes to dynalite).",
      'Peak RSS = the largest `process.memoryUsage.rss()` sampled every 20 ms; the Lambda workers are threads of ' +
        'this process, so it includes them, dynalite and the simulators too. RSS after = one second after the batch.',
      'Anchors, measured in the same run: the same functions a registration runs, called in-process (no ' +
        'orchestrator, no workers) against the same dynalite and simulators: the start function, with the API Gateway ' +
        'event the local API builds for the same request and its own environment, then the five step handlers one ' +
        "after another on the input it started. The start function's StartExecution goes to a minimal loopback " +
        'server on 127.0.0.1 that speaks the Step Functions JSON protocol for StartExecution only (it answers with ' +
        "the execution ARN and starts nothing), so none of the orchestrator's work is charged to the anchor. Only " +
        "the functions' calls are in the anchor's CPU windows. And one bare HTTP round trip over loopback. " +
        '"CPU ratio" = CPU per registration / the in-process CPU per registration (start function + step handlers).',
      'CPU by thread: `process.threadCpuUsage()` for the main thread (engine, local API, Step Functions endpoint, ' +
        "dynalite, the simulators and this benchmark's client all run on it), `worker.cpuUsage()` for every worker " +
        "thread (the Lambda sandboxes), and the rest of `process.cpuUsage()` for V8's and libuv's helper threads " +
        '(concurrent GC and compilation, the thread pool). The in-process anchor runs everything on the main thread.',
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
          [
            'anchor: in-process start function + step handlers, CPU ms per registration',
            round(anchors.inProcessCpuMs, 1),
          ],
          ['anchor: of which the start function, CPU ms per registration', round(anchors.start.cpuMs, 1)],
          ['anchor: of which the five step handlers, CPU ms per registration', round(anchors.steps.cpuMs, 1)],
          ...(c1Ratios.length > 0
            ? [
                [
                  `CPU ratio at concurrency 1, round by round (${c1Ratios.length} rounds: runtime batch / the anchor batch after it)`,
                  formatSummary(summarize(c1Ratios), 2),
                ],
              ]
            : []),
          [
            'CPU ratio at concurrency 1 to the step handlers alone (the anchor without the start function)',
            round(first.cpuMsPerRegistration / anchors.steps.cpuMs, 2),
          ],
          ...(c1WarmUp
            ? [['warm-up at concurrency 1, CPU ms per registration by batch', describeWarmUp(c1WarmUp, 'ms')]]
            : []),
          [
            'warm-up of the in-process anchor, CPU ms per registration by batch',
            describeWarmUp(anchors.warmUp, 'ms'),
          ],
          ['anchor: loopback HTTP round trip, µs (median)', round(anchors.loopbackUs, 0)],
          [
            'anchor: loopback HTTP round trip, CPU µs (fetch client and node:http server, mean)',
            round(anchors.loopbackCpuUs, 0),
          ],
        ],
      },
      {
        caption: 'CPU per registration by thread, ms (main thread, Lambda worker threads, helper threads)',
        header: ['run', 'all threads', 'main thread', 'Lambda workers', 'other threads'],
        rows: [
          ...results.map((r) => [
            `runtime, concurrency ${r.concurrency}${r.threads.workersExited > 0 ? ` (${r.threads.workersExited} workers exited)` : ''}`,
            round(r.threads.totalMs, 1),
            round(r.threads.mainMs, 1),
            round(r.threads.workersMs, 1),
            round(r.threads.otherMs, 1),
          ]),
          ...(
            [
              ['in-process anchor, start function + step handlers', sumParts(anchors.start, anchors.steps)],
              ['in-process anchor, start function', anchors.start],
              ['in-process anchor, step handlers', anchors.steps],
            ] as const
          ).map(([name, part], i) => [
            name,
            round(part.cpuMs, 1),
            round(part.mainMs, 1),
            // The idle sandboxes' own CPU while the anchor ran (batch-wide, so the sum row only).
            i === 0 ? round(anchors.idleWorkersMs, 1) : '–',
            round(part.cpuMs - part.mainMs - (i === 0 ? anchors.idleWorkersMs : 0), 1),
          ]),
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
      threadNote(first, anchors),
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
      name: 'CPU per registration at concurrency 1 / the same functions in-process (same run)',
      measured:
        `${round(ratio, 2)} (${round(c1.cpuMsPerRegistration, 1)} / ${round(anchors.inProcessCpuMs, 1)} ms; ` +
        `anchor: start function ${round(anchors.start.cpuMs, 1)} + steps ${round(anchors.steps.cpuMs, 1)} ms)`,
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

function sumParts(a: AnchorPart, b: AnchorPart): AnchorPart {
  return { cpuMs: a.cpuMs + b.cpuMs, mainMs: a.mainMs + b.mainMs };
}

/** Where concurrency 1 spends the CPU the anchor does not, by thread. */
function threadNote(c1: LoadResult, anchors: Anchors): string {
  const anchor = sumParts(anchors.start, anchors.steps);
  const gap = c1.threads.totalMs - anchor.cpuMs;
  const anchorOther = anchor.cpuMs - anchor.mainMs - anchors.idleWorkersMs;
  return (
    `At concurrency 1 the runtime spends ${round(gap, 1)} ms of CPU per registration more than the anchor ` +
    `(${round(c1.threads.totalMs, 1)} vs ${round(anchor.cpuMs, 1)}). By thread: the Lambda workers run the same ` +
    `functions in ${round(c1.threads.workersMs, 1)} ms, the main thread spends ${round(c1.threads.mainMs, 1)} ms ` +
    `(engine, local API, Step Functions endpoint, the client, and the dynalite and simulator work the anchor's ` +
    `${round(anchor.mainMs, 1)} ms main thread also does), helper threads ${round(c1.threads.otherMs, 1)} ms ` +
    `(anchor ${round(anchorOther, 1)}): one isolate per sandbox, each with its own GC and compiler work.`
  );
}

function aliveWorkers(bench: BenchRuntime): number {
  return Object.values(bench.rt.lambdas.stats()).reduce((sum, s) => sum + s.alive, 0);
}
