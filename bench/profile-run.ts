/**
 * The workload `node --cpu-prof` profiles for benchmark 2 (spawned by profile.ts): registrations
 * at concurrency 10 with services at 0 ms, after a warm-up batch.
 */

import { simulatorsOf } from '../local/simulators/user_registration/index.ts';
import { runLoad } from './overhead.ts';
import { BENCH_WORKERS_PER_FUNCTION, startBenchRuntime } from './runtime-harness.ts';

const count = Number(process.argv[2] ?? 100);
const bench = await startBenchRuntime({
  timeScale: 100,
  ...(BENCH_WORKERS_PER_FUNCTION === undefined
    ? {}
    : { maxConcurrencyPerFunction: BENCH_WORKERS_PER_FUNCTION }),
});
try {
  simulatorsOf(bench.rt).latencyMs = 0;
  // Warm-up at the measured concurrency, twice over, so every pool has grown before the window.
  await runLoad(bench, 10, 20);
  // The measured window on the clock V8 stamps profile samples with (monotonic, microseconds).
  const windowStartUs = Number(process.hrtime.bigint() / 1000n);
  const result = await runLoad(bench, 10, count);
  const windowEndUs = Number(process.hrtime.bigint() / 1000n);
  const summary = { perSecond: result.perSecond, failed: result.failed, windowStartUs, windowEndUs };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} finally {
  await bench.close();
}
