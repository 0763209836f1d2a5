/**
 * Execution histories on disk for `npm start -- --data-dir DIR`: one JSON file per execution
 * under `DIR/executions/`, written atomically (temporary file, then rename) whenever the
 * execution changed, at most every `intervalMs` while it runs and at once when its status
 * changes. On the next start they are read back; an execution that was RUNNING when the runtime
 * stopped (Ctrl-C or a crash alike) comes back ABORTED with `Local.RuntimeRestarted` and stays
 * redrivable from the state it was in.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionRecord, ExecutionSnapshot } from './executor.ts';
import type { StartedVia } from './sfn-operations.ts';

/** One saved execution. */
export interface SavedExecution {
  readonly stateMachineArn: string;
  readonly startedVia?: StartedVia;
  readonly snapshot: ExecutionSnapshot;
}

/** Options of {@link openExecutionFiles}. */
export interface ExecutionFilesOptions {
  /** How often running executions are written while they change. @default 250 */
  readonly intervalMs?: number;
  /** The version/alias an execution was started through (saved beside it). */
  readonly startedVia?: (executionArn: string) => StartedVia | undefined;
  /** A file that could not be read back (skipped). @default ignored */
  readonly onUnreadable?: (file: string, error: Error) => void;
}

/** The executions folder of a data dir. */
export interface ExecutionFiles {
  readonly dir: string;
  /** Every saved execution, oldest start first. */
  load(): SavedExecution[];
  /** Marks an execution changed (call on every status change); it is written at the next flush. */
  touch(record: ExecutionRecord): void;
  /** Deletes an execution's file (dropped by the retention bound). */
  remove(executionArn: string): void;
  /** Writes every changed execution now. */
  flush(): void;
  /** Flushes, then writes nothing more (what happens after a shutdown must not overwrite it). */
  close(): void;
}

const FILE_SUFFIX = '.json';

function fileOf(dir: string, executionArn: string): string {
  return join(dir, `${createHash('sha256').update(executionArn).digest('hex').slice(0, 32)}${FILE_SUFFIX}`);
}

/** What changes when an execution moves on: written again only then. */
function fingerprint(record: ExecutionRecord): string {
  return `${record.status}|${record.events.length}|${record.redriveCount}`;
}

/**
 * Opens (and creates) `<dataDir>/executions`.
 *
 * @example
 * const files = openExecutionFiles(join(dataDir, 'executions'), { startedVia: endpoint.startedVia });
 * for (const saved of files.load()) endpoint.adopt(executorFor(saved).restore(saved.snapshot), saved.startedVia);
 */
export function openExecutionFiles(dir: string, opts: ExecutionFilesOptions = {}): ExecutionFiles {
  mkdirSync(dir, { recursive: true });
  const touched = new Map<string, ExecutionRecord>();
  const written = new Map<string, string>();
  let closed = false;

  const write = (record: ExecutionRecord): void => {
    const file = fileOf(dir, record.executionArn);
    const via = opts.startedVia?.(record.executionArn);
    const saved: SavedExecution = {
      stateMachineArn: record.stateMachineArn,
      ...(via ? { startedVia: via } : {}),
      snapshot: record.snapshot(),
    };
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(saved));
    renameSync(temporary, file);
  };

  /** Writes one execution if it changed since it was last written. */
  const save = (arn: string, record: ExecutionRecord): void => {
    const print = fingerprint(record);
    if (written.get(arn) !== print) {
      write(record);
      written.set(arn, print);
    }
    // A finished execution changes again only through a redrive, which touches it again.
    if (record.status !== 'RUNNING') {
      touched.delete(arn);
      written.delete(arn);
    }
  };
  const flush = (): void => {
    if (closed) return;
    for (const [arn, record] of touched) save(arn, record);
  };
  const timer = setInterval(flush, opts.intervalMs ?? 250);
  timer.unref();

  return {
    dir,
    load() {
      const saved: SavedExecution[] = [];
      for (const name of readdirSync(dir)) {
        if (!name.endsWith(FILE_SUFFIX)) continue;
        try {
          saved.push(JSON.parse(readFileSync(join(dir, name), 'utf8')) as SavedExecution);
        } catch (error) {
          opts.onUnreadable?.(join(dir, name), error as Error);
        }
      }
      return saved.sort((a, b) => a.snapshot.startDate - b.snapshot.startDate);
    },
    touch(record) {
      if (closed) return;
      const arn = record.executionArn;
      const fresh = !written.has(arn);
      touched.set(arn, record);
      // A start, a redrive and an end are written at once: a crash right after must not lose them.
      if (record.status !== 'RUNNING' || fresh) save(arn, record);
    },
    remove(executionArn) {
      touched.delete(executionArn);
      written.delete(executionArn);
      rmSync(fileOf(dir, executionArn), { force: true });
    },
    flush,
    close() {
      flush();
      closed = true;
      clearInterval(timer);
    },
  };
}
