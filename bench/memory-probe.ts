/**
 * Memory probe (`node bench/memory-probe.ts --concurrency=100 --count=300`): one load level on the
 * bench runtime after a warm-up, printing peak RSS, RSS after, the main heap and each worker's heap,
 * and CPU per registration. `--rounds=N` repeats the measured batch; `--snapshot=PREFIX` writes a main-heap snapshot after each.
 */

import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { simulatorsOf } from '../local/simulators/user_registration/index.ts';
import { runLoad } from './overhead.ts';
import { startBenchRuntime } from './runtime-harness.ts';

const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '100' },
    count: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '1' },
    snapshot: { type: 'string' },
    cap: { type: 'string' },
  },
});
const concurrency = Number(values.concurrency);
const count = Number(values.count);
const mb = (n: number): number => Math.round(n / 2 ** 20);
const bench = await startBenchRuntime({
  timeScale: 100,
  ...(values.cap ? { maxConcurrencyPerFunction: Number(values.cap) } : {}),
});
process.stdout.write(`started: RSS ${mb(process.memoryUsage.rss())} MB\n`);
try {
  simulatorsOf(bench.rt).latencyMs = 0;
  await runLoad(bench, concurrency, 2 * concurrency);
  process.stdout.write(`warm: RSS ${mb(process.memoryUsage.rss())} MB\n`);
  for (let round = 0; round < Number(values.rounds); round++) {
    const r = await runLoad(bench, concurrency, count);
    const mem = process.memoryUsage();
    const sandboxHeaps = Object.values(await bench.rt.lambdas.heapStatistics()).flat();
    process.stdout.write(
      `${JSON.stringify({
        round,
        concurrency,
        count,
        perSecond: Math.round(r.perSecond * 10) / 10,
        cpuMs: Math.round(r.cpuMsPerRegistration * 10) / 10,
        failed: r.failed,
        peakRssMb: Math.round(r.peakRssMb),
        rssAfterMb: Math.round(r.rssAfterMb),
        heapUsedMb: mb(mem.heapUsed),
        externalMb: mb(mem.external),
        arrayBuffersMb: mb(mem.arrayBuffers),
        sandboxHeapsUsedMb: mb(sandboxHeaps.reduce((sum, h) => sum + h.used, 0)),
        sandboxHeapsTotalMb: mb(sandboxHeaps.reduce((sum, h) => sum + h.total, 0)),
        mainHeapTotalMb: mb(mem.heapTotal),
        workers: Object.values(bench.rt.lambdas.stats()).reduce((s, x) => s + x.alive, 0),
        load: loadavg()[0]?.toFixed(1),
      })}\n`,
    );
    if (values.snapshot) writeHeapSnapshot(`${values.snapshot}.${round}.heapsnapshot`);
  }
  const heaps = await bench.rt.lambdas.heapStatistics();
  for (const [name, list] of Object.entries(heaps))
    process.stdout.write(
      `${name}: ${list.map((h) => `${mb(h.used)}/${mb(h.total)}`).join(' ')} MB used/total\n`,
    );
  for (const space of getHeapSpaceStatistics())
    if (space.space_size > 0)
      process.stdout.write(
        `main ${space.space_name}: size ${mb(space.space_size)} used ${mb(space.space_used_size)} MB\n`,
      );
  const main = process.memoryUsage();
  process.stdout.write(
    `main: heapTotal ${mb(main.heapTotal)} heapUsed ${mb(main.heapUsed)} rss ${mb(main.rss)}\n`,
  );
} finally {
  await bench.close();
}
