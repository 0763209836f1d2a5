/**
 * Benchmark 9: registrations per second at concurrency 10, an older commit's runtime against this
 * tree's, side by side (issue 14's target: >= 1.5 x the figure of the commit it was filed against).
 *
 * Each side is a child process of its own (bench/against-child.ts: its own heap and JIT), started
 * through its tree's public startLocalRuntime, warmed until steady, then driven by the same client
 * in interleaved batches (old, new, new, old, ...), so the machine's load hits both alike.
 *
 * Alone: `node bench/against.ts [--against=<rev>] [--rounds=5] [--count=100] [--warm-batch=50]
 * [--workers=N]` (N: the new side's workers per function); `npm run bench`
 * runs it as benchmark 9 (`--against=<rev>` there too; default: the issue's commit).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../infra/repo-root.ts';
import { issue14Baseline, type OldTree, prepareOldTree } from './old-tree.ts';
import type { Section } from './report.ts';
import { BENCH_WORKERS_PER_FUNCTION } from './runtime-harness.ts';
import { formatSummary, pairedRatios, round, summarize } from './stats.ts';
import { describeWarmUp, type SteadyState } from './steady-state.ts';

/**
 * The old tree's runtime options: what its own benchmark ran with (bench/run.ts at the issue's
 * commit: 8 warm workers per function, retries 100 x faster), so "today's figure" is the one its
 * BENCHMARKS.md reported, measured again here.
 */
const OLD_RUNTIME_OPTIONS = { timeScale: 100, maxConcurrencyPerFunction: 8 } as const;
/** This tree's: the runtime benchmarks' own setting (bench/run.ts) unless `workers` says otherwise. */
function newRuntimeOptions(workers: number | undefined): {
  timeScale: number;
  maxConcurrencyPerFunction?: number;
} {
  const cap = workers ?? BENCH_WORKERS_PER_FUNCTION;
  return { timeScale: 100, ...(cap === undefined ? {} : { maxConcurrencyPerFunction: cap }) };
}

/** Options of {@link runAgainst}. */
export interface AgainstOptions {
  /** The commit to compare with. @default the commit issue 14 was filed against (issue14Baseline) */
  readonly rev?: string;
  /** Measured batches per side, interleaved. @default 5 */
  readonly rounds?: number;
  /** Registrations per measured batch. @default 100 */
  readonly count?: number;
  /** @default 10 */
  readonly concurrency?: number;
  /**
   * Registrations per warm-up batch (warm-up runs until two agree on CPU within 10 % and the later
   * starts no sandbox). @default 50
   */
  readonly warmBatch?: number;
  /** Warm-up batches at most. @default 8 */
  readonly warmMax?: number;
  /**
   * Warm workers per function of the new side (to tell its worker count from the rest).
   * @default BENCH_WORKERS_PER_FUNCTION (the runtime's default when unset)
   */
  readonly newWorkers?: number;
  readonly log?: (line: string) => void;
}

/** One measured batch, as the child reports it. */
interface BatchFigures {
  readonly perSecond: number;
  readonly seconds: number;
  readonly failed: number;
  readonly errors: string[];
  readonly cpuMsPerRegistration: number;
  readonly coldStarts: number;
  readonly load: number;
}

interface Side {
  readonly name: 'old' | 'new';
  readonly child: ChildProcess;
  readonly startupMs: number;
  readonly warmUp: SteadyState;
  readonly batches: BatchFigures[];
}

const CHILD = fileURLToPath(new URL('./against-child.ts', import.meta.url));

/** The next message of a type from a child, or its exit as an error. */
function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string }): void => {
      if (message.type !== type) return;
      cleanup();
      resolve(message as T);
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`against: a child exited (code ${code}) before its '${type}' message`));
    };
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

async function startSide(
  name: Side['name'],
  root: string,
  options: object,
  opts: AgainstOptions,
): Promise<Side> {
  const child = fork(
    CHILD,
    [
      `--root=${root}`,
      `--options=${JSON.stringify(options)}`,
      `--concurrency=${opts.concurrency ?? 10}`,
      `--warm-batch=${opts.warmBatch ?? 50}`,
      `--warm-max=${opts.warmMax ?? 8}`,
    ],
    // The same Node for both sides; the tree's own folder, so its relative paths resolve there.
    // Each side with the Node options its own `npm start` used: the old tree's had no
    // --max-semi-space-size (ours clears it before its sandboxes start; the old one would hand it
    // to every sandbox).
    {
      cwd: root,
      execPath: process.execPath,
      execArgv:
        name === 'old'
          ? process.execArgv.filter((o) => !o.startsWith('--max-semi-space-size'))
          : process.execArgv,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  const ready = await nextMessage<{ startupMs: number; warmUp: SteadyState }>(child, 'ready');
  opts.log?.(`against: ${name} side warm after ${describeWarmUp(ready.warmUp, 'CPU ms per registration')}`);
  return { name, child, startupMs: ready.startupMs, warmUp: ready.warmUp, batches: [] };
}

async function measureBatch(side: Side, count: number, rewarm: number): Promise<BatchFigures> {
  const reply = nextMessage<BatchFigures>(side.child, 'batch');
  side.child.send({ type: 'batch', count, rewarm });
  const figures = await reply;
  side.batches.push(figures);
  return figures;
}

async function closeSide(side: Side | undefined): Promise<void> {
  if (side === undefined || side.child.exitCode !== null) return;
  const exited = new Promise((resolve) => side.child.once('exit', resolve));
  side.child.send({ type: 'close' });
  await exited;
}

/** Runs both sides, interleaved, and reports both figures and their ratio. */
export async function runAgainst(opts: AgainstOptions = {}): Promise<Section> {
  const rounds = opts.rounds ?? 5;
  const count = opts.count ?? 100;
  const concurrency = opts.concurrency ?? 10;
  const rewarm = 2 * concurrency;
  const tree: OldTree = prepareOldTree(opts.rev ?? issue14Baseline(), opts.log);
  const loadBefore = loadavg()[0] ?? 0;
  let old: Side | undefined;
  let now: Side | undefined;
  try {
    // One at a time: start-up synthesizes the app, and warm-up should not share the CPUs.
    old = await startSide('old', tree.dir, OLD_RUNTIME_OPTIONS, opts);
    now = await startSide('new', REPO_ROOT, newRuntimeOptions(opts.newWorkers), opts);
    for (let i = 0; i < rounds; i++) {
      // ABBA order: a drift in the machine's load over the run hits both sides alike.
      for (const side of i % 2 === 0 ? [old, now] : [now, old]) {
        const b = await measureBatch(side, count, rewarm);
        opts.log?.(
          `against: round ${i + 1}/${rounds} ${side.name}: ${round(b.perSecond, 1)} registrations/s, ` +
            `${round(b.cpuMsPerRegistration, 0)} CPU ms each, load ${b.load.toFixed(1)}`,
        );
      }
    }
  } finally {
    await Promise.all([closeSide(old), closeSide(now)]);
  }
  if (old === undefined || now === undefined) throw new Error('against: a side did not start');
  return againstSection(tree, old, now, {
    rounds,
    count,
    concurrency,
    rewarm,
    loadBefore,
    newOptions: newRuntimeOptions(opts.newWorkers),
  });
}

function againstSection(
  tree: OldTree,
  old: Side,
  now: Side,
  run: {
    rounds: number;
    count: number;
    concurrency: number;
    rewarm: number;
    loadBefore: number;
    newOptions: object;
  },
): Section {
  const perSecond = (side: Side): number[] => side.batches.map((b) => b.perSecond);
  const ratios = summarize(pairedRatios(perSecond(now), perSecond(old)));
  const row = (side: Side, label: string) => {
    const cold = side.batches.reduce((sum, b) => sum + b.coldStarts, 0);
    const failed = side.batches.reduce((sum, b) => sum + b.failed, 0);
    return [
      label,
      formatSummary(summarize(perSecond(side)), 1),
      formatSummary(summarize(side.batches.map((b) => b.cpuMsPerRegistration))),
      round(
        (availableParallelism() * 1000) / summarize(side.batches.map((b) => b.cpuMsPerRegistration)).median,
        1,
      ),
      describeWarmUp(side.warmUp, 'ms'),
      cold,
      failed,
    ];
  };
  const loads = [...old.batches, ...now.batches].map((b) => b.load);
  const errors = [...new Set([...old.batches, ...now.batches].flatMap((b) => b.errors))];
  return {
    title: '9. Throughput against the issue commit (concurrency 10)',
    method: [
      `Old = commit ${tree.subject.slice(0, 90)} (where the branch of the first commit naming issue 14 left the main line), exported to ` +
        '`.cache/against/<commit>` with its own `npm ci`; new = this tree. Each runs in a child process of its own ' +
        "(bench/against-child.ts), started through its tree's startLocalRuntime: the old one with the options its " +
        `own benchmark used (${JSON.stringify(OLD_RUNTIME_OPTIONS)}), the new one with this run's ` +
        `(${JSON.stringify(run.newOptions)}). Same Node binary, services at 0 ms.`,
      `The same client drives both (bench/registration-client.ts): ${run.concurrency} slots, each POST /registrations ` +
        '(plan `pro`, an Idempotency-Key) then wait for the end. Each side first warms until two successive batches ' +
        'agree on CPU per registration within 10 % and the later starts no sandbox.',
      `Then ${run.rounds} measured batches of ${run.count} per side, interleaved old, new, new, old, ... (each after ` +
        `${run.rewarm} unmeasured registrations in the same child); the ratio is the median of each round's ` +
        'new / old. CPU = the child process (every thread).',
    ],
    tables: [
      {
        header: [
          'runtime',
          'registrations/s',
          'CPU ms per registration',
          `CPU-bound ceiling on ${availableParallelism()} CPUs, registrations/s`,
          'warm-up (CPU ms per registration)',
          'cold starts in measured batches',
          'failed',
        ],
        rows: [row(old, `old (${tree.commit.slice(0, 7)})`), row(now, 'new (this tree)')],
      },
      {
        header: ['measure', 'value'],
        rows: [
          ['registrations/s new / old, per round', formatSummary(ratios, 2)],
          ['start-up ms old / new', `${round(old.startupMs, 0)} / ${round(now.startupMs, 0)}`],
          [
            'load average (1 min) at the start; over the batches',
            `${run.loadBefore.toFixed(1)}; ${formatSummary(summarize(loads), 1)}`,
          ],
        ],
      },
    ],
    notes: [
      ...(errors.length > 0 ? [`Failures: ${errors.join('; ')}`] : []),
      ...(summarize(loads).median > availableParallelism()
        ? [
            `The load average (median ${summarize(loads).median.toFixed(1)}) was above the ${availableParallelism()} CPUs: ` +
              'the kernel then shares CPU time by runnable thread, so the side with more Lambda workers gets a larger ' +
              'share, and registrations/s measures that share as much as the runtime. The CPU-bound ceiling ' +
              '(CPUs x 1000 / CPU ms per registration) is the figure that load does not skew as much.',
          ]
        : []),
    ],
    targets: [
      {
        name: 'Registrations per second at concurrency 10, new / the issue commit (same run)',
        measured: `${round(ratios.median, 2)} (${round(summarize(perSecond(now)).median, 1)} / ${round(summarize(perSecond(old)).median, 1)} per s)`,
        target: '>= 1.5',
        met: ratios.median >= 1.5,
      },
    ],
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      against: { type: 'string' },
      rounds: { type: 'string' },
      count: { type: 'string' },
      'warm-batch': { type: 'string' },
      workers: { type: 'string' },
    },
  });
  const { renderSection } = await import('./report.ts');
  const section = await runAgainst({
    ...(values.against ? { rev: values.against } : {}),
    ...(values.rounds ? { rounds: Number(values.rounds) } : {}),
    ...(values.count ? { count: Number(values.count) } : {}),
    ...(values['warm-batch'] ? { warmBatch: Number(values['warm-batch']) } : {}),
    ...(values.workers ? { newWorkers: Number(values.workers) } : {}),
    log: (line) => process.stderr.write(`  ${line}\n`),
  });
  process.stdout.write(`${renderSection(section)}\n`);
}
