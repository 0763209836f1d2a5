/**
 * Measures the runtime's CPU spent on status reads while one registration with a ~9 s step runs
 * and a CLI follows it: the same registration without a follower, with the old fixed 150 ms
 * follow and with the back-off, interleaved. The follower runs in a child process, so the
 * runtime process's `process.cpuUsage()` (its worker-thread sandboxes included) holds only the
 * runtime's work. Then the same with a console live page instead of the CLI: the console runs in
 * the runtime's process, as `npm start` runs it, at its old fixed 250 ms and with the back-off
 * plus the status-change events (the page's event stream is read in-process too). Not a test:
 * run it by hand.
 *
 *   node test/local/cli/status-poll-cpu.ts [rounds, default 2]
 */
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createApiClient } from '../../../local/cli/api-client.ts';
import { followExecution } from '../../../local/cli/step-lines.ts';

const SLOW_STEP_MS = 9000;
const MODES = ['none', 'fixed-150ms', 'backoff', 'console-250ms', 'console-new'] as const;
type Mode = (typeof MODES)[number];

if (process.argv[2] === 'follow') {
  // The child: follow one execution, print how many status reads it took.
  const [, , , resourceUrl, id, mode] = process.argv;
  const client = createApiClient(resourceUrl!);
  let reads = 0;
  await followExecution(
    () => {
      reads++;
      return client.status(id!);
    },
    () => {},
    mode === 'fixed-150ms' ? { pollMs: 150 } : {},
  );
  process.stdout.write(`${reads}\n`);
} else {
  await measure(Number(process.argv[2] ?? 2));
}

async function measure(rounds: number): Promise<void> {
  const { startLocalRuntime } = await import('../../../local/runtime/index.ts');
  const { startConsole } = await import('../../../local/console/server.ts');
  const { localConsoleWorkflows } = await import('../../../local/console/local-workflows.ts');
  const { createStatusChangeHub } = await import('../../../local/runtime/status-events.ts');
  const ended = new Map<string, () => void>();
  const changes = createStatusChangeHub();
  const runtime = await startLocalRuntime({
    onExecutionStatusChange: (event) => {
      changes.publish(event);
      if (event.detail.status !== 'RUNNING') ended.get(event.detail.name)?.();
    },
  });
  let consoleReads = 0;
  const consoleOf = (opts: { pollMs?: number; statusChanges?: typeof changes }) =>
    startConsole({
      port: 0,
      sfnEndpoint: runtime.sfnEndpoint,
      workflows: localConsoleWorkflows(
        runtime,
        runtime.workflows.map((workflow) => workflow.spec),
      ),
      apiFetch: (url, init) => {
        consoleReads++;
        return fetch(url, init);
      },
      ...opts,
    });
  const consoles = {
    'console-250ms': await consoleOf({ pollMs: 250 }),
    'console-new': await consoleOf({ statusChanges: changes }),
  };
  try {
    const workflow = runtime.workflow('user_registration');
    const client = createApiClient(workflow.resourceUrl);
    const services = runtime.services.user_registration!;
    let n = 0;
    const run = async (mode: Mode) => {
      services.faults.set('billing', 'POST /profiles', { kind: 'latency', ms: SLOW_STEP_MS });
      const id = `cpu-${process.pid}-${n++}`;
      const done = new Promise<void>((resolve) => ended.set(id, resolve));
      const before = process.cpuUsage();
      const started = performance.now();
      const answer = await client.start(
        {
          user_info: { email: `${id}@example.com`, name: 'Ada', plan: 'pro' },
          billing_info: { payment_method: 'card_visa' },
        },
        { correlationId: id },
      );
      if (answer.status !== 202) throw new Error(`start answered ${answer.status}`);
      const follower =
        mode === 'none'
          ? Promise.resolve('0')
          : mode === 'console-250ms' || mode === 'console-new'
            ? watchInConsole(consoles[mode].url, id)
            : followInChild(workflow.resourceUrl, id, mode);
      const [reads] = await Promise.all([follower, done]);
      const cpu = process.cpuUsage(before);
      services.faults.clear();
      return {
        mode,
        cpuMs: (cpu.user + cpu.system) / 1000,
        wallMs: performance.now() - started,
        reads: Number(reads),
      };
    };
    await run('none'); // warm-up: sandboxes started, code JIT-compiled
    const results: Awaited<ReturnType<typeof run>>[] = [];
    for (let round = 0; round < rounds; round++) for (const mode of MODES) results.push(await run(mode));
    // Medians: on a shared machine one run can be slowed by a neighbour.
    const median = (mode: Mode, key: 'cpuMs' | 'reads' | 'wallMs') => {
      const sorted = results
        .filter((result) => result.mode === mode)
        .map((result) => result[key])
        .sort((a, b) => a - b);
      const mid = Math.floor(sorted.length / 2);
      return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    };
    const baseline = median('none', 'cpuMs');
    process.stdout.write(
      `${execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim()}, ${rounds} rounds, slow step ${SLOW_STEP_MS} ms\n`,
    );
    for (const result of results)
      process.stdout.write(
        `  ${result.mode.padEnd(13)} cpu ${result.cpuMs.toFixed(1).padStart(7)} ms  wall ${result.wallMs.toFixed(0)} ms  reads ${result.reads}\n`,
      );
    for (const mode of MODES) {
      const extra = median(mode, 'cpuMs') - baseline;
      const reads = median(mode, 'reads');
      process.stdout.write(
        `${mode.padEnd(13)} median runtime cpu ${median(mode, 'cpuMs').toFixed(1)} ms, wall ${median(mode, 'wallMs').toFixed(0)} ms, on status reads ${extra.toFixed(1)} ms, ${reads.toFixed(1)} reads${reads > 0 ? `, ${(extra / reads).toFixed(2)} ms per read` : ''}\n`,
      );
    }
  } finally {
    await Promise.all(Object.values(consoles).map((server) => server.close()));
    await runtime.close();
  }

  /** Reads the live page's event stream to its end; the status reads the console made. */
  async function watchInConsole(consoleUrl: string, id: string): Promise<string> {
    consoleReads = 0;
    const response = await fetch(`${consoleUrl}api/workflows/user_registration/executions/${id}/events`);
    const text = await response.text();
    if (!text.includes('event: end')) throw new Error(`the stream of ${id} closed before the end`);
    return String(consoleReads);
  }
}

function followInChild(resourceUrl: string, id: string, mode: Mode): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'follow', resourceUrl, id, mode], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`follower exited ${code}`)),
    );
  });
}
