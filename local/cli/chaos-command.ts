/**
 * `stepflow chaos --workflow W [--seed S] [--count N]`: starts its own offline runtime (so the
 * seed fixes the services' fault draws from their first request), runs the chaos run and prints
 * its summary. Exit code 0 when nothing was applied twice or lost and every execution ended.
 */

import { ENV } from '../../lambdas/contracts.ts';
import {
  CHAOS_REQUEST_TIMEOUT_MS,
  type ChaosOutage,
  chaosSummary,
  parseOutage,
  runChaos,
} from '../chaos/chaos-run.ts';
import type { LocalRuntimeOptions } from '../runtime/index.ts';
import { type Command, integerFlag, parseCommand, readJsonInput, UsageError } from './args.ts';

export const CHAOS_USAGE = `chaos   --workflow W [--seed S] [--count N] [--concurrency C] [--config-dir D]
          [--environment E] [--file body.json | --input JSON]
          [--outage service:seconds[@start]]... [--refuse] [--no-fault-mix] [--time-scale X]
          [--breaker off]
          N executions (default 50) while every offline service of W injects faults; own runtime.
          Input: the schema's examples in turn, or the file/JSON given, where {{n}} in any
          string becomes the execution's number (unique emails, order ids).
          --outage: that service is down for every caller for that many wall-clock seconds,
          from start seconds into the run (503, or with --refuse closed connections); the
          summary counts the calls each outage met. With an outage the run's time scale is 1
          (the breaker's cool-down runs on the wall clock) unless --time-scale says otherwise.
          --no-fault-mix: no per-request faults or 429 bursts, only the outages.
          --breaker off: every step runs without its circuit breaker, to compare the figures`;

/** `{{n}}` in every string of `value` replaced by `n`. */
export function numbered(value: unknown, n: number): unknown {
  if (typeof value === 'string') return value.replaceAll('{{n}}', String(n));
  if (Array.isArray(value)) return value.map((item) => numbered(item, n));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, numbered(item, n)]));
  }
  return value;
}

const OPTIONS = {
  workflow: { type: 'string' },
  seed: { type: 'string' },
  count: { type: 'string' },
  concurrency: { type: 'string' },
  'config-dir': { type: 'string' },
  environment: { type: 'string' },
  file: { type: 'string' },
  input: { type: 'string' },
  outage: { type: 'string', multiple: true },
  refuse: { type: 'boolean' },
  'no-fault-mix': { type: 'boolean' },
  'time-scale': { type: 'string' },
  breaker: { type: 'string' },
} as const;

/** Retry waits pass this much faster in a chaos run without outages. */
const CHAOS_TIME_SCALE = 50;

/** The `chaos` command. */
export const chaosCommand: Command = async (args, globals, io) => {
  const { values, positionals } = parseCommand(args, OPTIONS);
  if (positionals.length > 0)
    throw new UsageError(`chaos takes no positional argument (got '${positionals[0]}')`);
  if (globals.api || globals.stack || globals.region)
    throw new UsageError('chaos runs its own offline runtime: --api, --stack and --region do not apply');
  const count = integerFlag(values.count, '--count', 50, 1, 100_000);
  const concurrency = integerFlag(values.concurrency, '--concurrency', 24, 1, 1000);
  const seed = integerFlag(values.seed, '--seed', Date.now() % 1_000_000_000, 0, 2 ** 32 - 1);
  const input =
    values.file === undefined && values.input === undefined
      ? undefined
      : readJsonInput(values.file, values.input);
  const outages = outagesOf(values.outage ?? [], values.refuse === true);
  const timeScale = timeScaleOf(values['time-scale'], outages.length > 0 ? 1 : CHAOS_TIME_SCALE);
  if (values.breaker !== undefined && values.breaker !== 'off')
    throw new UsageError(
      `--breaker takes only 'off' (the breaker is on by default), got '${values.breaker}'`,
    );
  // First, so a run that dies half-way still says how to replay it.
  io.stdout.write(`chaos: seed=${seed} (replay: npx stepflow chaos --seed ${seed} ...)\n`);
  const { startLocalRuntime } = await import('../runtime/index.ts');
  const runtime = await startLocalRuntime(
    chaosRuntimeOptions({
      seed,
      timeScale,
      breakerOff: values.breaker === 'off',
      ...(values['config-dir'] ? { configDir: values['config-dir'] } : {}),
      ...(values.environment ? { environment: values.environment } : {}),
    }),
  );
  try {
    const workflow = values.workflow ?? onlyWorkflow(runtime.workflows.map((w) => w.name));
    const report = await runChaos(runtime, {
      workflow,
      count,
      concurrency,
      seed,
      ...(input === undefined ? {} : { input: (n: number) => numbered(input, n) }),
      ...(outages.length > 0 ? { outages } : {}),
      ...(values['no-fault-mix'] ? { faultMix: false } : {}),
    });
    io.stdout.write(`${chaosSummary(report)}\n`);
    for (const problem of report.problems.slice(0, 20)) io.stderr.write(`  ${problem}\n`);
    return report.problems.length === 0 ? 0 : 1;
  } finally {
    await runtime.close();
  }
};

/**
 * The runtime a chaos run starts: seeded, at its time scale, a few sandboxes per function, the
 * handlers' request timeout short enough for the slow answers to overrun it, and with `breakerOff`
 * every function's circuit breaker setting (`ENV.circuitBreaker`) replaced by `off`.
 */
export function chaosRuntimeOptions(opts: {
  readonly seed: number;
  readonly timeScale: number;
  readonly breakerOff?: boolean;
  readonly configDir?: string;
  readonly environment?: string;
}): LocalRuntimeOptions {
  return {
    seed: opts.seed,
    timeScale: opts.timeScale,
    maxConcurrencyPerFunction: 6,
    envOverrides: {
      [ENV.requestTimeoutMs]: String(CHAOS_REQUEST_TIMEOUT_MS),
      ...(opts.breakerOff ? { [ENV.circuitBreaker]: 'off' } : {}),
    },
    ...(opts.configDir ? { configDir: opts.configDir } : {}),
    ...(opts.environment ? { environment: opts.environment } : {}),
  };
}

function outagesOf(texts: readonly string[], refuse: boolean): ChaosOutage[] {
  if (refuse && texts.length === 0) throw new UsageError('--refuse goes with --outage service:seconds');
  return texts.map((text) => {
    try {
      return { ...parseOutage(text), ...(refuse ? { refuse } : {}) };
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  });
}

function timeScaleOf(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const scale = Number(text);
  if (!(scale > 0) || !Number.isFinite(scale))
    throw new UsageError(`--time-scale must be a positive number, got '${text}'`);
  return scale;
}

function onlyWorkflow(names: readonly string[]): string {
  if (names.length === 1) return names[0]!;
  throw new UsageError(`chaos needs --workflow (one of ${names.join(', ')})`);
}
