/**
 * A checkout of an older commit under `.cache/against/<commit>` with its own dependencies, for
 * benchmarks that run it side by side with this tree (bench/against.ts). Made once per commit.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../infra/repo-root.ts';

/** The commit a benchmark compares against, and where its tree is. */
export interface OldTree {
  /** Full commit hash. */
  readonly commit: string;
  /** `git log --format='%h %s'` of it. */
  readonly subject: string;
  /** Its checkout with node_modules installed. */
  readonly dir: string;
}

/** Written last, once `npm ci` has finished: a folder without it is a broken attempt. */
const READY_MARK = '.stepflow-bench-ready';

const git = (...args: string[]): string =>
  execFileSync('git', ['-C', REPO_ROOT, ...args], { encoding: 'utf8' }).trim();

/**
 * The tree of `rev` under `.cache/against/<commit>`, made on first use: `git archive` of the commit
 * (a plain export: nothing is registered in the shared `.git`, so deleting `.cache` leaves no stale
 * worktree), then `npm ci` from its own lockfile with this Node first on PATH.
 *
 * @throws Error when `rev` names no commit, or the export or the install fails
 */
export function prepareOldTree(rev: string, log: (line: string) => void = () => undefined): OldTree {
  const commit = git('rev-parse', '--verify', `${rev}^{commit}`);
  const subject = git('log', '-1', '--format=%h %s', commit);
  const dir = join(REPO_ROOT, '.cache', 'against', commit);
  if (existsSync(join(dir, READY_MARK))) return { commit, subject, dir };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`against: exporting ${subject.slice(0, 80)} to ${dir}`);
  execFileSync(
    'sh',
    ['-c', `git -C "$1" archive --format=tar "$2" | tar -x -C "$3"`, 'sh', REPO_ROOT, commit, dir],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  log('against: npm ci in it (its own lockfile; once per commit)');
  const started = performance.now();
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
  });
  log(`against: installed in ${Math.round((performance.now() - started) / 1000)} s`);
  writeFileSync(join(dir, READY_MARK), `${commit}\n`);
  return { commit, subject, dir };
}

/**
 * The commit issue 14 was filed against: where the branch of the first commit naming it left the
 * main line (the newest first-parent ancestor of HEAD that is also its ancestor). In a linear
 * history that is the commit's parent. Here that parent sits on a side branch whose tree never
 * ran on its own (its stack invoked Lambda versions, which the offline runtime learned to resolve
 * on another branch), so the main line's commit is the one every part of the project started from.
 *
 * @throws Error when no commit names issue 14
 */
export function issue14Baseline(): string {
  const first = git('log', '--reverse', '--grep=issue 14', '--format=%H').split('\n')[0];
  if (!first) throw new Error('no commit names issue 14: pass --against=<rev>');
  const mainLine = git('rev-list', '--first-parent', 'HEAD').split('\n');
  const isAncestor = (commit: string): boolean => {
    try {
      execFileSync('git', ['-C', REPO_ROOT, 'merge-base', '--is-ancestor', commit, first], {
        stdio: 'ignore',
      });
      return true;
    } catch {
      return false;
    }
  };
  const fork = mainLine.find((commit) => commit !== first && isAncestor(commit));
  if (fork === undefined)
    throw new Error(`no main-line ancestor of ${first.slice(0, 7)}: pass --against=<rev>`);
  return fork;
}
