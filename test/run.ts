/**
 * `npm test`: Biome, `tsc --noEmit` and every test tier, side by side rather than one after the
 * other (lint and typecheck mostly wait on the disk while the tests mostly wait on loopback, so
 * on 2 cores the three together take little longer than the tests alone).
 *
 * The tests stream to the terminal as they run; lint and typecheck output is held and printed
 * after them, with each check's verdict and wall time. The exit code is non-zero when any of the
 * three failed. Extra arguments go to `node --test` (e.g. `npm test -- --test-name-pattern=x`).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

interface Check {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Stream the output live (the tests) or hold it until the end (lint, typecheck). */
  readonly live: boolean;
}

interface Outcome {
  readonly check: Check;
  readonly code: number;
  readonly seconds: number;
  readonly output: string;
}

const CHECKS: readonly Check[] = [
  {
    name: 'tests',
    command: process.execPath,
    args: ['--test', '--test-concurrency=2', 'test/**/*.test.ts', ...process.argv.slice(2)],
    live: true,
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

// Every process the tests spawn (synths, npm start, the CLI) loads aws-cdk-lib and the SDK again:
// V8's on-disk compile cache lets them skip recompiling it (about half their start-up CPU here).
process.env.NODE_COMPILE_CACHE ??= join(REPO_ROOT, 'node_modules', '.cache', 'node-compile-cache');
const outcomes = await Promise.all(CHECKS.map(run));
for (const outcome of outcomes) {
  if (!outcome.check.live && outcome.code !== 0) {
    process.stdout.write(`\n--- ${outcome.check.name} ---\n${outcome.output}`);
  }
}
process.stdout.write('\n');
for (const { check, code, seconds } of outcomes) {
  process.stdout.write(`${code === 0 ? 'ok  ' : 'FAIL'} ${check.name} (${seconds.toFixed(1)} s)\n`);
}
process.exitCode = outcomes.some((outcome) => outcome.code !== 0) ? 1 : 0;
