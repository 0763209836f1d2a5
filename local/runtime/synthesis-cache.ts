/**
 * The offline runtime's synthesis, kept on disk between starts. Synthesizing the CDK app costs
 * about a second of CPU a start (loading aws-cdk-lib in a worker, then the synth), and what it
 * produces, the local models and workflow specs, is a function of files and a few settings. An
 * entry is named after a SHA-256 of everything the synthesis reads:
 * - the workflow files (every file of the config folder, by name and content);
 * - this package's `infra/`, `lambdas/` and `local/runtime/` sources, `package.json` and
 *   `package-lock.json` (the compiler, the CDK app, the template reader, the CDK version);
 * - the project's own `lambdas/` when the project root is another folder;
 * - the options (root, config folder, environment), the working directory (diagnostics name
 *   files relative to it), the Node version, and the environment variables the app reads
 *   (`CDK_*`, `AWS_REGION`, `WORKFLOW_*`).
 *
 * So an edit to any of them is a different entry, and the synthesis runs again. A hit is also
 * checked against the disk: every function's module (the synthesis checks handler files exist)
 * and every generated start validator must still be there, else it is a miss. Failed syntheses
 * are never stored: their diagnostics come from a real run each time. The key is computed again
 * after the synthesis, and an entry is stored only when no input changed while it ran.
 *
 * Entries live in `<root>/.cache/synthesis/` (not committed), at most {@link MAX_ENTRIES} of them.
 * `STEPFLOW_SYNTHESIS_CACHE=off` turns the cache off.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { REPO_ROOT } from '../../infra/repo-root.ts';
import { API_ENV } from '../../lambdas/contracts.ts';
import type { LoadedWorkflow, LoadModelsOptions } from './load-models.ts';

/** Where the entries are, under the project root. */
export const SYNTHESIS_CACHE_DIR = '.cache/synthesis';

/** Entries kept; the oldest go first. */
export const MAX_ENTRIES = 32;

/** Environment variables the CDK app and the compiler read. */
const READ_ENV = /^(CDK_|WORKFLOW_|AWS_REGION$)/;

/** Folders of this package whose sources the synthesis runs. */
const PACKAGE_SOURCES = ['infra', 'lambdas', 'local/runtime'];

/** The on-disk cache is off when `STEPFLOW_SYNTHESIS_CACHE=off`. */
export function synthesisCacheEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.STEPFLOW_SYNTHESIS_CACHE !== 'off';
}

function hashTree(hash: ReturnType<typeof createHash>, dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
  } catch {
    hash.update(`\0missing ${dir}\0`);
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    let contents: Buffer;
    try {
      if (!statSync(path).isFile()) continue;
      contents = readFileSync(path);
    } catch {
      continue;
    }
    hash.update(`\0${name}\0${contents.length}\0`);
    hash.update(contents);
  }
}

function hashFile(hash: ReturnType<typeof createHash>, path: string): void {
  hash.update(`\0${path}\0`);
  try {
    hash.update(readFileSync(path));
  } catch {
    hash.update('\0missing\0');
  }
}

/**
 * The entry name for a synthesis with these options, in this process's environment and working
 * directory; `undefined` for bundled runs, which read `cdk.out` and synthesize nothing.
 */
export function synthesisKey(
  opts: LoadModelsOptions,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (opts.bundled) return undefined;
  const rootDir = resolve(opts.rootDir);
  const configDir = resolve(opts.configDir ?? env.WORKFLOW_CONFIG_DIR ?? join(rootDir, 'config'));
  const hash = createHash('sha256');
  const settings = Object.entries(env)
    .filter(([name]) => READ_ENV.test(name))
    .sort(([a], [b]) => a.localeCompare(b));
  hash.update(
    JSON.stringify({
      rootDir,
      configDir,
      environment: opts.environment ?? null,
      cwd: process.cwd(),
      node: process.version,
      settings,
    }),
  );
  hashTree(hash, configDir);
  for (const dir of PACKAGE_SOURCES) hashTree(hash, join(REPO_ROOT, dir));
  if (resolve(REPO_ROOT) !== rootDir) hashTree(hash, join(rootDir, 'lambdas'));
  hashFile(hash, join(REPO_ROOT, 'package.json'));
  hashFile(hash, join(REPO_ROOT, 'package-lock.json'));
  return hash.digest('hex');
}

const entryPath = (rootDir: string, key: string): string =>
  join(resolve(rootDir), SYNTHESIS_CACHE_DIR, `${key}.v8`);

/** Every file a cached synthesis points at is still there. */
function stillOnDisk(loaded: readonly LoadedWorkflow[]): boolean {
  return loaded.every(({ model }) =>
    model.functions.every((fn) => {
      const validator = fn.env[API_ENV.validatorModule];
      return existsSync(fn.modulePath) && (validator === undefined || existsSync(validator));
    }),
  );
}

/** The stored synthesis under `key`, or `undefined` (none, unreadable, or its files are gone). */
export function readSynthesis(rootDir: string, key: string): LoadedWorkflow[] | undefined {
  let loaded: LoadedWorkflow[];
  try {
    loaded = deserialize(readFileSync(entryPath(rootDir, key))) as LoadedWorkflow[];
  } catch {
    return undefined;
  }
  if (!Array.isArray(loaded) || loaded.length === 0) return undefined;
  return stillOnDisk(loaded) ? loaded : undefined;
}

/**
 * Stores a synthesis under `key` (written to a temporary file, then renamed into place, so a
 * concurrent start reads a whole entry or none) and drops the oldest entries past
 * {@link MAX_ENTRIES}. A folder that cannot be written only means no cache.
 */
export function writeSynthesis(rootDir: string, key: string, loaded: readonly LoadedWorkflow[]): void {
  const dir = join(resolve(rootDir), SYNTHESIS_CACHE_DIR);
  try {
    mkdirSync(dir, { recursive: true });
    const temporary = join(dir, `${key}.${process.pid}.${Date.now()}.tmp`);
    writeFileSync(temporary, serialize(loaded));
    renameSync(temporary, entryPath(rootDir, key));
    const entries = readdirSync(dir)
      .filter((name) => name.endsWith('.v8'))
      .map((name) => ({ path: join(dir, name), mtime: statSync(join(dir, name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    for (const stale of entries.slice(MAX_ENTRIES)) rmSync(stale.path, { force: true });
  } catch {
    // A read-only project or a full disk: the next start synthesizes again.
  }
}
