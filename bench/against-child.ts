/**
 * One side of bench/against.ts, in a process of its own: starts the runtime of the tree given by
 * `--root` through that tree's public entry point (`local/runtime/index.ts`'s startLocalRuntime,
 * with `--options` as JSON), warms it, then runs the batches the parent asks for over IPC with the
 * shared client. It imports nothing of this tree but the client and the warm-up rule, so an old
 * tree's child loads only that tree's runtime and dependencies.
 *
 * Messages: child -> `{ type: 'ready', startupMs, warmUp }`, then one `{ type: 'batch', ... }` per
 * parent `{ type: 'batch', count }`; the parent's `{ type: 'close' }` ends it.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { driveRegistrations, type RegistrationTarget } from './registration-client.ts';
import { warmUntilSteady } from './steady-state.ts';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    options: { type: 'string', default: '{}' },
    concurrency: { type: 'string', default: '10' },
    'warm-batch': { type: 'string', default: '50' },
    'warm-max': { type: 'string', default: '8' },
  },
});
if (!values.root || !process.send) throw new Error('against-child: run by bench/against.ts (--root, IPC)');
const send = (message: unknown): void => {
  process.send?.(message);
};
const concurrency = Number(values.concurrency);
// The parent gone (killed, or crashed), even during start-up or warm-up: exit rather than linger
// as an orphan that loads the machine (the runtime's ports and workers go with the process).
process.on('disconnect', () => process.exit(1));

interface TreeRuntime extends RegistrationTarget {
  readonly startupMs: number;
  readonly services: Readonly<Record<string, unknown>>;
  readonly lambdas: { stats(): Record<string, { coldStarts: number }> };
  close(): Promise<void>;
}
const runtimeModule = (await import(pathToFileURL(join(values.root, 'local/runtime/index.ts')).href)) as {
  startLocalRuntime(opts: unknown): Promise<TreeRuntime>;
};
const simulatorsModule = (await import(
  pathToFileURL(join(values.root, 'local/simulators/user_registration/index.ts')).href
)) as { simulatorsOf(rt: TreeRuntime): { latencyMs: number } };

const rt = await runtimeModule.startLocalRuntime(JSON.parse(values.options));
simulatorsModule.simulatorsOf(rt).latencyMs = 0;
const coldStarts = (): number => Object.values(rt.lambdas.stats()).reduce((sum, s) => sum + s.coldStarts, 0);

/** One batch: wall time, CPU of this process (every thread: the Lambda workers too), cold starts. */
async function batch(count: number) {
  const coldBefore = coldStarts();
  const cpuBefore = process.cpuUsage();
  const drive = await driveRegistrations(rt, concurrency, count);
  const cpu = process.cpuUsage(cpuBefore);
  return {
    perSecond: (count - drive.failed) / drive.seconds,
    seconds: drive.seconds,
    failed: drive.failed,
    errors: drive.errors,
    cpuMsPerRegistration: (cpu.user + cpu.system) / 1000 / count,
    coldStarts: coldStarts() - coldBefore,
    load: loadavg()[0] ?? 0,
  };
}

// Pools grow and the JIT tiers up here: until CPU per registration stops falling and a batch
// starts no sandbox.
let lastColdStarts = 0;
const warmUp = await warmUntilSteady(
  async () => {
    const figures = await batch(Number(values['warm-batch']));
    lastColdStarts = figures.coldStarts;
    return figures.cpuMsPerRegistration;
  },
  { tolerance: 0.1, maxBatches: Number(values['warm-max']), settled: () => lastColdStarts === 0 },
);
send({ type: 'ready', startupMs: rt.startupMs, warmUp });
process.on('message', (message: { type: string; count?: number; rewarm?: number }) => {
  if (message.type === 'close') {
    void rt.close().then(() => process.exit(0));
    return;
  }
  void (async () => {
    // A few unmeasured registrations first: the pools may have shrunk while the other side ran.
    if (message.rewarm) await driveRegistrations(rt, concurrency, message.rewarm);
    send({ type: 'batch', ...(await batch(message.count ?? 0)) });
  })();
});
