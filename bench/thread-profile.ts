/**
 * `node bench/thread-profile.ts [registrations]`: where benchmark 2's concurrency-1 CPU gap goes,
 * by thread and by owner. Runs bench/thread-profile-run.ts under `node --cpu-prof` (one profile
 * per thread), then charges every sample inside the measured windows to the nearest frame on its
 * stack that belongs to a part (dynalite, the engine, the local API, the AWS SDK, a handler...),
 * so the HTTP parsing dynalite asks for counts as dynalite. Samples with no such frame (socket
 * reads, timers run from the event loop) keep their Node area. Prints Markdown tables: CPU ms per
 * registration for the runtime's main thread and workers beside the in-process anchor's, and what
 * the idle runtime's threads spend per second. Profiles go to a temporary folder and are deleted.
 */
import { type CpuProfile, categoryOf, functionKey, projectPath, withCpuProfiles } from './profile.ts';
import { markdownTable } from './stats.ts';

/** A profile node with the parent link this module needs to walk a sample's stack. */
type ProfileNode = CpuProfile['nodes'][number] & { readonly children?: readonly number[] };

const DYNALITE = new Set([
  'dynalite',
  'lazy',
  'level',
  'memory-level',
  'abstract-level',
  'async',
  'once',
  'lock',
]);
const DYNALITE_DEPS = /^(level-|buffer-crc32|big\.js)/;

/** The part a package belongs to (undefined: Node's own code, keep walking). */
function packageOwner(pkg: string): string {
  if (DYNALITE.has(pkg) || DYNALITE_DEPS.test(pkg)) return 'dynalite';
  if (pkg.startsWith('@aws-sdk/') || pkg.startsWith('@smithy/') || pkg.startsWith('@aws-crypto/'))
    return 'AWS SDK (clients, signing)';
  if (pkg.startsWith('@aws-lambda-powertools/')) return 'Powertools';
  if (pkg === 'zod' || pkg === 'ajv' || pkg === 'ajv-formats') return 'validation (zod, ajv)';
  return `package ${pkg}`;
}

/** Project folders by part, first match wins. */
const PROJECT_OWNERS: ReadonlyArray<[RegExp, string]> = [
  [/^local\/engine\//, 'engine (local/engine)'],
  [/^local\/runtime\/sfn-/, 'Step Functions endpoint'],
  [/^local\/runtime\/(lambda-|sandbox)/, 'Lambda adapter and worker protocol'],
  [/^local\/runtime\//, 'local/runtime (executor, history, other)'],
  [/^local\/api\//, 'local API'],
  [/^local\/simulators\//, 'simulators'],
  [/^local\/dynamo/, 'dynalite'],
  [/^local\//, 'local (other)'],
  [/^bench\//, 'bench harness (client, anchor driver)'],
  [/^lambdas\/api\//, 'start function (lambdas/api)'],
  [/^lambdas\/runtime\//, 'step runtime (lambdas/runtime)'],
  [/^lambdas\//, 'step logic (lambdas/steps, contracts)'],
];

/** The part a frame belongs to, or undefined for Node's and V8's own code. */
export function ownerOf(url: string): string | undefined {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return packageOwner(pkg[1]!);
  if (url === '' || url.startsWith('node:')) return undefined;
  const rel = projectPath(url);
  return PROJECT_OWNERS.find(([pattern]) => pattern.test(rel))?.[1] ?? 'project (other)';
}

/** One window of the workload, µs on the profile's clock. */
interface Window {
  readonly startUs: number;
  readonly endUs: number;
}

/** ms by owner, per window kind and thread kind. */
type Charges = Map<string, number>;

/** Adds one profile's samples inside `windows` to `into`, by owner. */
export function chargeProfile(
  profile: CpuProfile,
  windows: readonly Window[],
  into: Charges,
  byFunction?: Charges,
): void {
  const nodes = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n as ProfileNode]));
  const parent = new Map<number, number>();
  for (const node of nodes.values()) for (const child of node.children ?? []) parent.set(child, node.id);
  const owners = new Map<number, string>();
  const ownerOfNode = (id: number): string => {
    const known = owners.get(id);
    if (known !== undefined) return known;
    const leaf = nodes.get(id)?.callFrame;
    let owner: string | undefined;
    if (leaf?.functionName === '(garbage collector)') owner = 'garbage collector';
    else if (leaf?.functionName.startsWith('(')) owner = `V8 ${leaf.functionName}`;
    for (let at: number | undefined = id; owner === undefined && at !== undefined; at = parent.get(at)) {
      const frame = nodes.get(at)?.callFrame;
      if (frame) owner = ownerOf(frame.url);
    }
    owner ??= `node, no project frame: ${categoryOf(leaf?.url ?? '', leaf?.functionName ?? '').replace(/^node: /, '')}`;
    owners.set(id, owner);
    return owner;
  };
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (!windows.some((w) => at >= w.startUs && at <= w.endUs)) return;
    const owner = ownerOfNode(id);
    if (owner === 'V8 (idle)') return;
    into.set(owner, (into.get(owner) ?? 0) + delta / 1000);
    if (byFunction) {
      const frame = nodes.get(id)?.callFrame;
      const key = `${owner} | ${frame ? functionKey(frame) : '(anonymous)'}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + delta / 1000);
    }
  });
}

/** `CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile`: thread 0 is the main thread. */
function isMainThread(file: string): boolean {
  return file.split('.').at(-3) === '0';
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 60);
  await withCpuProfiles('thread-profile-run.ts', [String(count)], 600_000, (stdout, profiles) => {
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      registrations: number;
      idleMs: number;
      windows: Record<'runtime' | 'anchor' | 'idle', Window[]>;
      cpu: Record<'runtime' | 'anchor', { mainMs: number; workersMs: number; otherMs: number }>;
    };
    const charges = {
      runtimeMain: new Map() as Charges,
      runtimeWorkers: new Map() as Charges,
      anchorMain: new Map() as Charges,
      anchorWorkers: new Map() as Charges,
      idleMain: new Map() as Charges,
      idleWorkers: new Map() as Charges,
    };
    const mainFunctions: Charges = new Map();
    for (const { file, profile } of profiles) {
      const main = isMainThread(file);
      chargeProfile(
        profile,
        summary.windows.runtime,
        main ? charges.runtimeMain : charges.runtimeWorkers,
        main ? mainFunctions : undefined,
      );
      chargeProfile(profile, summary.windows.anchor, main ? charges.anchorMain : charges.anchorWorkers);
      chargeProfile(profile, summary.windows.idle, main ? charges.idleMain : charges.idleWorkers);
    }
    const n = summary.registrations;
    // Sampled ms are wall time on a thread while it was not idle: scaled per thread kind to the
    // CPU its clock measured in the same windows.
    const sampled = (m: Charges): number => [...m.values()].reduce((s, v) => s + v, 0);
    const scale = (m: Charges, cpuMs: number): void => {
      const factor = sampled(m) > 0 ? cpuMs / sampled(m) : 0;
      for (const [k, v] of m) m.set(k, v * factor);
    };
    scale(charges.runtimeMain, summary.cpu.runtime.mainMs);
    scale(charges.runtimeWorkers, summary.cpu.runtime.workersMs);
    scale(charges.anchorMain, summary.cpu.anchor.mainMs);
    scale(charges.anchorWorkers, summary.cpu.anchor.workersMs);
    const helperKey = 'helper threads (V8 GC and compiler, libuv; not profiled)';
    charges.runtimeMain.set(helperKey, summary.cpu.runtime.otherMs);
    charges.anchorMain.set(helperKey, summary.cpu.anchor.otherMs);
    const owners = new Set([
      ...charges.runtimeMain.keys(),
      ...charges.runtimeWorkers.keys(),
      ...charges.anchorMain.keys(),
    ]);
    const per = (m: Charges, k: string): number => (m.get(k) ?? 0) / n;
    const rows = [...owners]
      .map((k) => {
        const runtime = per(charges.runtimeMain, k) + per(charges.runtimeWorkers, k);
        const anchor = per(charges.anchorMain, k) + per(charges.anchorWorkers, k);
        return {
          k,
          main: per(charges.runtimeMain, k),
          workers: per(charges.runtimeWorkers, k),
          runtime,
          anchor,
        };
      })
      .sort((a, b) => b.runtime - b.anchor - (a.runtime - a.anchor));
    const total = (m: Charges): number => [...m.values()].reduce((s, v) => s + v, 0) / n;
    const f = (x: number): string => x.toFixed(2);
    process.stdout.write(
      `${profiles.length} thread profiles, ${n} registrations each side, concurrency 1, samples in the measured windows ` +
        "scaled to each thread kind's measured CPU; CPU ms per registration\n\n",
    );
    process.stdout.write(
      `${markdownTable(
        ['owner', 'runtime main', 'runtime workers', 'runtime', 'anchor', 'runtime - anchor'],
        [
          ...rows
            .filter((r) => r.runtime >= 0.05 || r.anchor >= 0.05)
            .map((r) => [r.k, f(r.main), f(r.workers), f(r.runtime), f(r.anchor), f(r.runtime - r.anchor)]),
          [
            'total (sampled)',
            f(total(charges.runtimeMain)),
            f(total(charges.runtimeWorkers)),
            f(total(charges.runtimeMain) + total(charges.runtimeWorkers)),
            f(total(charges.anchorMain) + total(charges.anchorWorkers)),
            f(
              total(charges.runtimeMain) +
                total(charges.runtimeWorkers) -
                total(charges.anchorMain) -
                total(charges.anchorWorkers),
            ),
          ],
        ],
      )}\n\n`,
    );
    // Sampled (wall) ms, not scaled: the shares within the main thread are what they show.
    const mainTotal = sampled(mainFunctions);
    process.stdout.write(
      `Runtime main thread, top functions by self time (owner | function), share of its samples:\n\n${markdownTable(
        ['function', 'share'],
        [...mainFunctions]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 25)
          .map(([k, v]) => [`\`${k}\``, `${((100 * v) / mainTotal).toFixed(1)} %`]),
      )}\n\n`,
    );
    const idleSeconds = summary.idleMs / 1000;
    const idleRows = [...new Set([...charges.idleMain.keys(), ...charges.idleWorkers.keys()])]
      .map(
        (k) =>
          [
            k,
            (charges.idleMain.get(k) ?? 0) / idleSeconds,
            (charges.idleWorkers.get(k) ?? 0) / idleSeconds,
          ] as const,
      )
      .sort((a, b) => b[1] + b[2] - a[1] - a[2])
      .slice(0, 10);
    process.stdout.write(
      `Idle runtime, ${idleSeconds} s with nothing running, CPU ms per second:\n\n${markdownTable(
        ['owner', 'main', 'workers'],
        idleRows.map(([k, m, w]) => [k, f(m), f(w)]),
      )}\n`,
    );
  });
}

if (import.meta.main) await main();
