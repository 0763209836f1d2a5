/**
 * `npm run bench`: runs the five benchmarks, prints their tables and rewrites BENCHMARKS.md.
 *
 * Flags: `--only=1,3` runs some of them (BENCHMARKS.md is then left alone unless `--write`);
 * `--quick` shrinks every sample count for a fast check of the harness.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../infra/build-app.ts';
import { runColdStart } from './cold-start.ts';
import { runCompilerScaling } from './compiler-scaling.ts';
import { describeMachine, renderBenchmarks, renderSection, type Section } from './report.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
  },
});
const only = new Set((values.only ?? '1,2,3,4,5').split(',').map((s) => Number(s.trim())));
const quick = values.quick === true;
const log = (line: string): void => {
  process.stderr.write(`  ${line}\n`);
};

const started = performance.now();
const loadBefore = loadavg()[0] ?? 0;
const benches: Array<[number, () => Promise<Section>]> = [
  [3, () => runColdStart({ spawns: quick ? 3 : 20, log })],
  [5, () => runCompilerScaling({ ...(quick ? { sizes: [10, 100], durationDraws: 5 } : {}), log })],
];
const sections: Section[] = [];
for (const [id, bench] of benches.sort((a, b) => a[0] - b[0])) {
  if (!only.has(id)) continue;
  process.stderr.write(`benchmark ${id}...\n`);
  const section = await bench();
  sections.push(section);
  process.stdout.write(`${renderSection(section)}\n`);
}
const seconds = (performance.now() - started) / 1000;
const machine = describeMachine();
const loadNote = `load average (1 min) ${loadBefore.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end`;
process.stderr.write(`done in ${Math.round(seconds)} s; ${loadNote}\n`);
if ((only.size === 5 && !quick) || values.write === true) {
  writeFileSync(join(REPO_ROOT, 'BENCHMARKS.md'), renderBenchmarks(sections, machine, seconds, loadNote));
  process.stderr.write('BENCHMARKS.md rewritten\n');
}
