/**
 * Profiles the concurrency-10 workload once (`node --cpu-prof`, one profile per thread: the main
 * thread and every Lambda worker) and summarizes where the CPU time went. Profiles are written to
 * a temporary folder and deleted; they are not committed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../infra/repo-root.ts';
import type { Section } from './report.ts';

const run = promisify(execFile);

/** The parts of a V8 `.cpuprofile` this module reads. */
export interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  }>;
  /** Monotonic clock, µs; sample times are startTime plus the running sum of timeDeltas. */
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time in ms per key, summed over profiles. */
export type SelfTimes = Map<string, number>;

/** Node's own code, by what it does (matched against the function's URL or name, first wins). */
const NODE_AREAS: ReadonlyArray<[RegExp, string]> = [
  [/amaro/, 'node: TypeScript type stripping'],
  [/internal\/modules|bootstrap\/realm|^compile|wrapSafe/, 'node: module loading'],
  [/undici/, 'node: fetch (undici)'],
  [/_http|node:http|internal\/http/, 'node: http'],
  [/internal\/worker|postMessage|structuredClone|MessagePort/, 'node: worker messaging'],
  [/stream|node:net|writev|writeUtf8String|writeBuffer|onStreamRead/, 'node: streams and sockets'],
  [/crypto|Hash|Hmac/, 'node: crypto'],
  [/task_queues|runMicrotasks|nextTick|timers|processTicks/, 'node: event loop (microtasks, timers)'],
];

/** A frame's file as a path inside the repository (`local/engine/run.ts`), or its URL. */
export function projectPath(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(REPO_ROOT, '')
    .replace(/^\/+/, '');
}

/** `name /path/in/repo.ts:line`: how the tables name one sampled function. */
export function functionKey(frame: CpuProfile['nodes'][number]['callFrame']): string {
  const where = frame.url
    ? `${frame.url.replace(/^file:\/\//, '').replace(REPO_ROOT, '')}:${frame.lineNumber + 1}`
    : '';
  return `${frame.functionName || '(anonymous)'} ${where}`.trim();
}

/**
 * Runs `script` (a file under bench/) in a child `node --cpu-prof` (one profile per thread) and
 * hands its stdout and every thread's profile to `read`; the profiles are deleted afterwards.
 */
export async function withCpuProfiles<T>(
  script: string,
  args: readonly string[],
  timeoutMs: number,
  read: (stdout: string, profiles: ReadonlyArray<{ file: string; profile: CpuProfile }>) => T,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'stepflow-cpuprof-'));
  try {
    const { stdout } = await run(
      process.execPath,
      ['--cpu-prof', `--cpu-prof-dir=${dir}`, join(REPO_ROOT, 'bench', script), ...args],
      { cwd: REPO_ROOT, timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 },
    );
    const profiles = readdirSync(dir)
      .filter((file) => file.endsWith('.cpuprofile'))
      .map((file) => ({ file, profile: JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile }));
    return read(stdout, profiles);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Where a sampled function belongs: its npm package, a project folder (`lambdas/runtime`), an area
 * of Node itself, or V8's `(garbage collector)` / `(program)`.
 */
export function categoryOf(url: string, functionName: string): string {
  if (functionName.startsWith('(')) return functionName;
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url === '' || url.startsWith('node:')) {
    const key = `${url} ${functionName}`;
    return NODE_AREAS.find(([pattern]) => pattern.test(key))?.[1] ?? 'node: other';
  }
  return projectPath(url).split('/').slice(0, 2).join('/') || 'project';
}

/**
 * Adds a profile's self time (sample deltas, µs) per function and per category, in ms, counting
 * only samples inside `window` (µs on the profile's clock) when given.
 */
export function addSelfTimes(
  profile: CpuProfile,
  byFunction: SelfTimes,
  byCategory: SelfTimes,
  window?: { readonly startUs: number; readonly endUs: number },
): void {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window.startUs || at > window.endUs)) return;
    const frame = nodes.get(id);
    if (!frame) return;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const fn = functionKey(frame);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
    const category = categoryOf(frame.url, frame.functionName);
    byCategory.set(category, (byCategory.get(category) ?? 0) + ms);
  });
}

/** Top entries by time, with their share of the total (idle time excluded from the total). */
export function top(times: SelfTimes, n: number): Array<{ key: string; ms: number; share: number }> {
  const total = [...times].filter(([k]) => !k.startsWith('(idle)')).reduce((sum, [, ms]) => sum + ms, 0);
  return [...times]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, ms]) => ({ key, ms, share: total > 0 ? ms / total : 0 }));
}

/**
 * Runs bench/profile-run.ts under `--cpu-prof` and summarizes every thread's profile over the
 * measured batch only (start-up, synthesis and warm-up excluded).
 */
export async function profileConcurrency10(count: number): Promise<{
  threads: number;
  /** Shares of the CPU time: HTTP plumbing, AWS SDK, Powertools, module loading, engine, dynalite, GC. */
  groups: Record<'http' | 'sdk' | 'powertools' | 'modules' | 'engine' | 'dynalite' | 'gc', number>;
  byFunction: ReturnType<typeof top>;
  byCategory: ReturnType<typeof top>;
  perSecond: number;
}> {
  return withCpuProfiles('profile-run.ts', [String(count)], 300_000, (stdout, profiles) => {
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      perSecond?: number;
      windowStartUs?: number;
      windowEndUs?: number;
    };
    const window =
      summary.windowStartUs !== undefined && summary.windowEndUs !== undefined
        ? { startUs: summary.windowStartUs, endUs: summary.windowEndUs }
        : undefined;
    const byFunction: SelfTimes = new Map();
    const byCategory: SelfTimes = new Map();
    for (const { profile } of profiles) addSelfTimes(profile, byFunction, byCategory, window);
    const total = [...byCategory]
      .filter(([k]) => !k.startsWith('(idle)'))
      .reduce((sum, [, ms]) => sum + ms, 0);
    const share = (test: (category: string) => boolean): number =>
      total > 0 ? [...byCategory].filter(([k]) => test(k)).reduce((sum, [, ms]) => sum + ms, 0) / total : 0;
    return {
      threads: profiles.length,
      groups: {
        http: share((k) => ['node: fetch (undici)', 'node: http', 'node: streams and sockets'].includes(k)),
        sdk: share(
          (k) => k.startsWith('@smithy/') || k.startsWith('@aws-sdk/') || k.startsWith('@aws-crypto/'),
        ),
        powertools: share((k) => k.startsWith('@aws-lambda-powertools/')),
        modules: share((k) => k === 'node: module loading' || k === 'node: TypeScript type stripping'),
        engine: share((k) => k === 'local/engine'),
        dynalite: share((k) => k === 'dynalite' || k === 'lazy' || k === 'memdown' || k.includes('level')),
        gc: share((k) => k === '(garbage collector)'),
      },
      byFunction: top(byFunction, 12),
      byCategory: top(byCategory, 12),
      perSecond: summary.perSecond ?? 0,
    };
  });
}

/** Benchmark 2's section with the profile's summary added. */
export function withProfile(
  section: Section,
  profile: Awaited<ReturnType<typeof profileConcurrency10>>,
  count: number,
): Section {
  const pct = (share: number): string => `${(share * 100).toFixed(1)} %`;
  return {
    ...section,
    method: [
      ...section.method,
      `Profile: \`node --cpu-prof\` on a separate run of ${count} registrations at concurrency 10 (after a warm-up ` +
        `batch), ${profile.threads} thread profiles (main thread and every Lambda worker); self time summed over ` +
        'threads, samples outside the measured batch (start-up, synthesis, warm-up) and idle time left out.',
    ],
    tables: [
      ...section.tables,
      {
        caption: 'Where the CPU time goes (self time by package or Node area)',
        header: ['where', 'CPU ms', 'share'],
        rows: profile.byCategory.map((e) => [e.key, Math.round(e.ms), pct(e.share)]),
      },
      {
        caption: 'Top functions by self time',
        header: ['function', 'CPU ms', 'share'],
        rows: profile.byFunction.map((e) => [`\`${e.key}\``, Math.round(e.ms), pct(e.share)]),
      },
    ],
    notes: [
      `Where the time goes (profile, concurrency 10): HTTP between the parts (fetch/undici, node:http, sockets) ` +
        `${pct(profile.groups.http)}, the AWS SDK's middleware and signing ${pct(profile.groups.sdk)}, Powertools ` +
        `${pct(profile.groups.powertools)}, loading modules in newly started Lambda workers ` +
        `${pct(profile.groups.modules)}, dynalite ${pct(profile.groups.dynalite)}, garbage collection ` +
        `${pct(profile.groups.gc)}; the state machine engine (local/engine) itself ${pct(profile.groups.engine)}. ` +
        'Every DynamoDB request, service call and Step Functions API call is a real HTTP round trip on loopback ' +
        '(SigV4-signed for AWS APIs), and Lambda invocations cross to worker threads, all on the same CPUs: that, ' +
        'not the engine, bounds throughput here.',
      ...section.notes,
    ],
  };
}
