/**
 * The workload bench/thread-profile.ts runs under `node --cpu-prof`: registrations at
 * concurrency 1 through the runtime and the same functions in-process (benchmark 2's anchor),
 * each warmed first, then measured in alternating windows whose bounds (on the clock V8 stamps
 * samples with) it prints as its last stdout line.
 */
import { simulatorsOf } from '../local/simulators/user_registration/index.ts';
import { driveRegistrations } from './registration-client.ts';
import {
  BENCH_WORKERS_PER_FUNCTION,
  diffThreadCpu,
  registrationBody,
  runInProcessRegistration,
  startBenchRuntime,
} from './runtime-harness.ts';

const count = Number(process.argv[2] ?? 60);
const rounds = 3;
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
const bench = await startBenchRuntime({
  timeScale: 100,
  ...(BENCH_WORKERS_PER_FUNCTION === undefined
    ? {}
    : { maxConcurrencyPerFunction: BENCH_WORKERS_PER_FUNCTION }),
});
const inProcess = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await runInProcessRegistration(bench, registrationBody('pro'));
};
try {
  simulatorsOf(bench.rt).latencyMs = 0;
  // Past the JIT's tier-up on both sides: each sandbox gets one call per registration, so the
  // runtime needs far more registrations than the anchor (benchmark 2's warm-up runs about 300).
  await driveRegistrations(bench.rt, 1, 240);
  await inProcess(80);
  const windows: Record<'runtime' | 'anchor' | 'idle', Array<{ startUs: number; endUs: number }>> = {
    runtime: [],
    anchor: [],
    idle: [],
  };
  // CPU by thread in the same windows (ms summed): the profile's sample times are wall time on a
  // thread, which the machine's load stretches, so the report scales them to these.
  const cpu = {
    runtime: { mainMs: 0, workersMs: 0, otherMs: 0 },
    anchor: { mainMs: 0, workersMs: 0, otherMs: 0 },
  };
  const measured = async (side: 'runtime' | 'anchor', work: () => Promise<void>): Promise<void> => {
    const before = await bench.threadCpu();
    const startUs = nowUs();
    await work();
    windows[side].push({ startUs, endUs: nowUs() });
    const split = diffThreadCpu(await bench.threadCpu(), before);
    cpu[side].mainMs += split.mainMs;
    cpu[side].workersMs += split.workersMs;
    cpu[side].otherMs += split.otherMs;
  };
  const per = Math.ceil(count / rounds);
  for (let round = 0; round < rounds; round++) {
    await measured('runtime', async () => {
      const drive = await driveRegistrations(bench.rt, 1, per);
      if (drive.failed > 0) throw new Error(`runtime registrations failed: ${drive.errors.join('; ')}`);
    });
    await measured('anchor', () => inProcess(per));
  }
  // Nothing running: what the runtime's threads spend on their own.
  const idleStart = nowUs();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  windows.idle.push({ startUs: idleStart, endUs: nowUs() });
  process.stdout.write(`${JSON.stringify({ registrations: per * rounds, idleMs: 2000, windows, cpu })}\n`);
} finally {
  await bench.close();
}
