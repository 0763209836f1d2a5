/**
 * Which test files `npm test` runs in one shared process, and which each in a process of their own.
 *
 * `node --test` starts a process per file by default: Node, type stripping and every import again
 * (aws-cdk-lib alone is ~0.6 s of CPU). The compiler, CDK, engine, Lambda and local-part tiers
 * below do not need that isolation, so they run in one process (`--test-isolation=none`), which
 * measured 36 s of CPU against 72 s for 59 of these files, 506 tests passing either way
 * (test/run.ts); for the 31 shared Lambda-tier files, 17-18 s against 54-56 s, 324 tests passing
 * either way (two rounds side by side).
 *
 * A file in a shared tier keeps its own process when it could leak into the others: it sets
 * `process.env`, exits or crashes its process, mocks modules or timers, takes a fixed port,
 * starts a whole local runtime or child processes. test/tiers.test.ts checks every shared file
 * for those patterns, so a new test that needs isolation cannot land in the shared process
 * unnoticed. Hooks at a file's top level (`before`, `beforeEach`, `afterEach`) are on that list
 * too: in a shared process they belong to the root test and run around every file's tests (the
 * Lambda tiers once failed 16 tests shared for that reason, their log captures stacked up).
 */
import { globSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** Every test file of `npm test` (the long chaos proofs, `*.chaos.ts`, are `npm run test:chaos`). */
export const ALL_TESTS = 'test/**/*.test.ts';

/** Tiers whose files share one process, unless listed in {@link OWN_PROCESS}. */
export const SHARED_TIERS: readonly string[] = [
  'test/bench/**/*.test.ts',
  'test/infra/**/*.test.ts',
  'test/lambdas/**/*.test.ts',
  'test/local/dynamo.test.ts',
  'test/local/dynamo-parse-memo.test.ts',
  'test/local/{api,chaos,cli,engine,graph,mocks,runtime,simulators}/**/*.test.ts',
];

/** Files of the shared tiers that keep a process of their own, and why. */
export const OWN_PROCESS: Readonly<Record<string, string>> = {
  'test/infra/app.test.ts': 'runs the CDK app in a child process',
  'test/infra/build-app.test.ts': 'sets process.env',
  'test/infra/bundled-synth.test.ts':
    'runs cdk synth with bundling, then a whole local runtime on its assets',
  'test/infra/synth-cli.test.ts': 'runs cdk synth',
  'test/infra/workflow/asl-cli.test.ts': 'runs the asl CLI',
  'test/infra/workflow/hostile-yaml.test.ts': 'runs the compiler in child processes',
  'test/lambdas/api/operate-execution.test.ts':
    'runs the operate entry point in a child process configured from its environment',
  'test/lambdas/api/standalone-validator.test.ts':
    'runs the start entry point in a child process configured from its environment',
  'test/local/chaos/outage-run.test.ts': 'starts whole local runtimes (stepflow chaos, in-process)',
  'test/local/runtime/close.test.ts': 'runs a runtime in a child process that exits',
  'test/local/runtime/data-dir.test.ts': 'starts whole local runtimes',
  'test/local/runtime/memory-isolated-synthesis.test.ts':
    'asserts that no aws-cdk-lib module is loaded in its own process, which other files load',
  'test/local/runtime/npm-start.test.ts': 'runs npm start',
  'test/local/runtime/ports.test.ts':
    'names port 4555 (never listened on; kept out so the check stays strict)',
  'test/local/runtime/sandbox-crash.test.ts': 'crashes sandboxes with process.exit',
  'test/local/runtime/sfn-aws-cli.test.ts': 'runs the AWS CLI',
  'test/local/runtime/template.test.ts': 'sets process.env',
  'test/local/runtime/worker-exec-argv.test.ts': 'runs child processes',
  'test/local/simulators/main.test.ts': 'runs the simulators in a child process',
};

const glob = (patterns: readonly string[]): string[] =>
  [...new Set(patterns.flatMap((pattern) => globSync(pattern, { cwd: REPO_ROOT })))].sort();

/** The files run together in one process. */
export function sharedFiles(): string[] {
  const elsewhere = new Set([...Object.keys(OWN_PROCESS), ...SHARED_RUNTIME_FILES]);
  return glob(SHARED_TIERS).filter((file) => !elsewhere.has(file));
}

/**
 * End-to-end files that only need a running runtime: they run together in one more process, where
 * those asking for the same workflows share one runtime (test/e2e/shared-runtime.ts) instead of
 * each synthesizing the app and loading every function again (~5 s of CPU a start). `node --test`
 * runs them in path order; none may depend on it (each file's checks on the table, the executions
 * and the simulators are its own: counted from its start, or by its own IDs and emails).
 */
export const SHARED_RUNTIME_FILES: readonly string[] = [
  'test/e2e/bad-day.test.ts',
  'test/e2e/cli.test.ts',
  'test/e2e/registration-flow.test.ts',
  'test/e2e/retries-and-failures.test.ts',
  'test/local/runtime/index.test.ts',
  'test/reliability/crashes.test.ts',
  'test/reliability/duplicates.test.ts',
  'test/reliability/hostile-input.test.ts',
];

/**
 * The files run each in its own process: the heaviest tiers (whole runtimes, CLIs, browsers)
 * first, so the last file to start is a short one rather than a 20 s end-to-end run.
 */
export function isolatedFiles(): string[] {
  const shared = new Set([...sharedFiles(), ...SHARED_RUNTIME_FILES]);
  const heavyFirst = ['test/e2e/', 'test/reliability/', 'test/local/console/', 'test/infra/'];
  const rank = (file: string): number => {
    const index = heavyFirst.findIndex((prefix) => file.startsWith(prefix));
    return index === -1 ? heavyFirst.length : index;
  };
  return glob([ALL_TESTS])
    .filter((file) => !shared.has(file))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** What makes a file unsafe to share a process, for test/tiers.test.ts. */
export const NEEDS_OWN_PROCESS: ReadonlyArray<readonly [RegExp, string]> = [
  [/process\.env(\.\w+|\[[^\]]+\])\s*=[^=]|delete process\.env|process\.env\s*=[^=]/, 'sets process.env'],
  [/process\.(exit|chdir|abort)\(/, 'exits or changes directory'],
  [/\bmock\.(module|timers)\b|\.mock\.timers\b/, 'mocks modules or timers'],
  [/\bstartLocalRuntime\(|node:child_process|puppeteer/, 'starts a runtime, a child process or a browser'],
  [/listen\([1-9]\d*|port: [1-9]\d*/, 'takes a fixed port'],
  // A suite helper that registers hooks (useStepSuite, useScriptedSuite) counts as one.
  [
    /^(before|beforeEach|afterEach|use\w*Suite)\(/m,
    'sets hooks at the top level (they would run around every file)',
  ],
];
