/**
 * `npm test`: Biome, `tsc --noEmit` and every test tier, side by side rather than one after the
 * other (lint and typecheck mostly wait on the disk while the tests mostly wait on loopback, so
 * on 2 cores they add little to the tests' wall time).
 *
 * The tests run as three `node --test` invocations (test/tiers.ts): the unit and local-part tiers
 * in one shared process, the end-to-end files that only need a running runtime in another (where
 * those on the same workflows share one runtime), and every other file in a process of its own,
 * the heaviest first. The isolated files stream to the terminal as they run; the shared processes'
 * reports, and lint and typecheck output when they fail, are held and printed after them, with
 * each check's verdict and wall time. The exit code is non-zero when any check failed. Extra
 * arguments go to every `node --test` run (e.g. `npm test -- --test-name-pattern=x`).
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import './compile-cache.ts';
import { isolatedFiles, SHARED_RUNTIME_FILES, sharedFiles } from './tiers.ts';

interface Check {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Stream the output live (the tests) or hold it until the end (lint, typecheck). */
  readonly live: boolean;
  /** Print the held output even when the check passed (a test report). @default false */
  readonly alwaysPrint?: boolean;
}

interface Outcome {
  readonly check: Check;
  readonly code: number;
  readonly seconds: number;
  readonly output: string;
}

const extra = process.argv.slice(2);
// Held in a pipe, where node --test would pick TAP: the same spec report as the live run.
const specReporter = extra.some((arg) => arg.startsWith('--test-reporter')) ? [] : ['--test-reporter=spec'];
const CHECKS: readonly Check[] = [
  {
    name: 'tests (a process per file)',
    command: process.execPath,
    args: ['--test', '--test-concurrency=2', ...extra, ...isolatedFiles()],
    live: true,
  },
  {
    name: 'tests (one shared process)',
    command: process.execPath,
    args: ['--test', '--test-isolation=none', ...specReporter, ...extra, ...sharedFiles()],
    live: false,
    alwaysPrint: true,
  },
  {
    name: 'tests (shared runtimes)',
    command: process.execPath,
    args: ['--test', '--test-isolation=none', ...specReporter, ...extra, ...SHARED_RUNTIME_FILES],
    live: false,
    alwaysPrint: true,
  },
  { name: 'lint', command: 'biome', args: ['check', '.'], live: false },
  { name: 'typecheck', command: 'tsc', args: ['--noEmit'], live: false },
];

function run(check: Check): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(check.command, check.args, {
      stdio: check.live ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
    const finish = (code: number, extra = ''): void =>
      resolve({
        check,
        code,
        seconds: (performance.now() - started) / 1000,
        output: Buffer.concat(chunks).toString('utf8') + extra,
      });
    child.on('error', (error) => finish(127, `${check.command}: ${error.message}\n`));
    child.on('close', (code, signal) => finish(code ?? (signal === null ? 1 : 128)));
  });
}

const outcomes = await Promise.all(CHECKS.map(run));
for (const outcome of outcomes) {
  if (!outcome.check.live && (outcome.code !== 0 || outcome.check.alwaysPrint)) {
    process.stdout.write(`\n--- ${outcome.check.name} ---\n${outcome.output}`);
  }
}
process.stdout.write('\n');
for (const { check, code, seconds } of outcomes) {
  process.stdout.write(`${code === 0 ? 'ok  ' : 'FAIL'} ${check.name} (${seconds.toFixed(1)} s)\n`);
}
process.exitCode = outcomes.some((outcome) => outcome.code !== 0) ? 1 : 0;
