/**
 * A chaos run for any workflow: N executions through the local API while every offline service
 * of the workflow injects faults at once (503s, answers slower than the request timeout, dropped
 * connections, "applied, then the response was lost", bursts of 429 with Retry-After). Each
 * execution is followed to its end through the status API; the services' request logs then show,
 * per service, whether anything was applied twice (duplicates) or a step succeeded without its
 * side effect (lost).
 */
import { deriveIdempotencyKey } from '../../lambdas/runtime/http-client.ts';
import { createApiClient, type ExecutionStatusDocument } from '../cli/api-client.ts';
import { followExecution } from '../cli/step-lines.ts';
import type { LocalRuntime, LocalWorkflow } from '../runtime/index.ts';
import type { RunningServices } from '../simulators/index.ts';
import { mulberry32 } from '../simulators/prng.ts';
import type { Fault, OutageRecord } from '../simulators/types.ts';
import { mapLimit, submit } from './careful-client.ts';

/** The handlers' per-request timeout during a chaos run, and the latency that overruns it. */
export const CHAOS_REQUEST_TIMEOUT_MS = 3000;
const SLOW_MS = 4000;

/**
 * The kit tries faults in order and the first that fires wins, so each probability is
 * conditional on the ones before not firing: the resulting shares are exactly 20/5/2/2 %.
 */
export const CHAOS_BASE_FAULTS: readonly Fault[] = [
  { kind: 'status', status: 503, probability: 0.2 },
  { kind: 'latency', ms: SLOW_MS, probability: 0.05 / 0.8 },
  { kind: 'drop', probability: 0.02 / 0.75 },
  { kind: 'apply_then_drop', probability: 0.02 / 0.73 },
];
/** A 429 burst (with Retry-After) starts after every this many submissions. */
const BURST_EVERY = 20;
const BURST_LENGTH = 6;

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  readonly workflow: string;
  readonly count: number;
  readonly seed: number;
  /** Executions in flight at most. @default 24 */
  readonly concurrency?: number;
  /** The input of execution `n`. @default the schema's `examples`, in turn */
  readonly input?: (n: number) => unknown;
  /** @default none */
  readonly onProgress?: (done: number, total: number) => void;
  /** Services down for a period during the run, for every caller (wall clock). @default none */
  readonly outages?: readonly ChaosOutage[];
  /**
   * The per-request fault mix and the 429 bursts; false leaves only the outages, to see what an
   * outage alone does. @default true
   */
  readonly faultMix?: boolean;
}

/** `--outage user:30@5`: `user` down for 30 s, from 5 s after the run starts (else from its first call). */
export interface ChaosOutage {
  readonly service: string;
  readonly seconds: number;
  /** Seconds into the run. @default from the service's first call */
  readonly startSeconds?: number;
  /** Close connections instead of answering 503. @default false */
  readonly refuse?: boolean;
}

/**
 * Parses `service:seconds[@start]` (the chaos command's `--outage`).
 * @throws Error naming the expected form
 */
export function parseOutage(text: string): ChaosOutage {
  const match = /^([A-Za-z0-9_.-]+):(\d+(?:\.\d+)?)(?:@(\d+(?:\.\d+)?))?$/.exec(text);
  const [, service = '', seconds = '', start] = match ?? [];
  if (!match || !(Number(seconds) > 0))
    throw new Error(
      `--outage must be service:seconds[@start_seconds] with seconds > 0 (e.g. user:30 or billing:10@5), got '${text}'`,
    );
  return {
    service,
    seconds: Number(seconds),
    ...(start === undefined ? {} : { startSeconds: Number(start) }),
  };
}

/** One execution of the run. */
export interface ChaosExecution {
  readonly n: number;
  readonly correlationId: string;
  readonly executionArn: string;
  readonly input: unknown;
  readonly doc: ExecutionStatusDocument;
}

/** What one service saw. */
export interface ServiceFigures {
  requests: number;
  applied: number;
  replays: number;
  faults: number;
  /** Idempotency-Keys applied more than once. */
  duplicates: number;
  /** Steps that succeeded although their calls to this service applied nothing. */
  lost: number;
  /** Requests without X-Correlation-ID. */
  uncorrelated: number;
}

/** The outcome of a run. */
export interface ChaosReport {
  readonly workflow: string;
  readonly seed: number;
  readonly executions: readonly ChaosExecution[];
  readonly succeeded: number;
  readonly failed: number;
  /** `step/Error(503)` -> count, for failed executions. */
  readonly byCause: ReadonlyMap<string, number>;
  readonly retries: number;
  readonly fallbacks: number;
  readonly services: Readonly<Record<string, ServiceFigures>>;
  /** Every duplicate and lost side effect, described. */
  readonly problems: readonly string[];
  readonly apiRetries: number;
  readonly wallSeconds: number;
  /** The outages of the run, with the calls each met. @default none */
  readonly outages?: readonly OutageRecord[];
}

function inputsOf(workflow: LocalWorkflow, opts: ChaosOptions): (n: number) => unknown {
  if (opts.input) return opts.input;
  const { examples } = workflow;
  if (examples.length === 0) {
    throw new Error(
      `workflow '${workflow.name}' (${workflow.file}) has no input: add 'examples' to its schema, or pass --file/--input`,
    );
  }
  return (n) => examples[n % examples.length];
}

function servicesOf(workflow: LocalWorkflow): RunningServices {
  if (!workflow.services) {
    throw new Error(
      `workflow '${workflow.name}' has no offline services to fault (its steps call loopback URLs); chaos needs a mock file`,
    );
  }
  return workflow.services;
}

/** Adds a 429 burst on one route of one service, drawn from the run's PRNG. */
function addBurst(services: RunningServices, random: () => number): void {
  const targets = [...services.routes].flatMap(([service, routes]) =>
    routes.map((route) => ({ service, route })),
  );
  const target = targets[Math.floor(random() * targets.length)];
  if (!target) return;
  // Route-specific faults are tried before the '*' ones, so the burst overrides the base mix.
  services.faults.add(target.service, target.route, {
    kind: 'status',
    status: 429,
    retryAfter: 1 + Math.floor(random() * 2),
    times: BURST_LENGTH,
  });
}

/**
 * Runs the chaos run on a started runtime (start it with `envOverrides: {REQUEST_TIMEOUT_MS:
 * String(CHAOS_REQUEST_TIMEOUT_MS)}` so the slow answers overrun the request timeout).
 */
export async function runChaos(runtime: LocalRuntime, opts: ChaosOptions): Promise<ChaosReport> {
  const workflow = runtime.workflow(opts.workflow);
  const services = servicesOf(workflow);
  const input = inputsOf(workflow, opts);
  const client = createApiClient(workflow.resourceUrl);
  const random = mulberry32(opts.seed);
  const started = performance.now();
  let apiRetries = 0;
  let done = 0;
  const mix = opts.faultMix ?? true;
  if (mix) services.faults.set('*', '*', CHAOS_BASE_FAULTS);
  for (const outage of opts.outages ?? []) {
    services.faults.add(outage.service, '*', {
      kind: 'outage',
      durationMs: outage.seconds * 1000,
      // Without a start, the outage begins at the service's first call: the sandboxes' start-up
      // time then never decides whether the run meets it.
      ...(outage.startSeconds === undefined
        ? { startsOnFirstCall: true }
        : { startInMs: outage.startSeconds * 1000 }),
      ...(outage.refuse ? { refuse: true } : {}),
    });
  }
  const executions = await mapLimit(
    Array.from({ length: opts.count }, (_, n) => n),
    opts.concurrency ?? 24,
    async (n): Promise<ChaosExecution> => {
      if (mix && n > 0 && n % BURST_EVERY === 0) addBurst(services, random);
      const body = input(n);
      const key = `chaos-${opts.seed}-${n}`;
      const accepted = await submit(
        workflow.resourceUrl,
        body,
        key,
        () => {
          apiRetries += 1;
        },
        key,
      );
      const doc = await followExecution(
        () => client.status(accepted.correlation_id),
        () => {},
        {
          pollMs: 250,
          timeoutMs: 5 * 60_000,
        },
      );
      opts.onProgress?.(++done, opts.count);
      return {
        n,
        correlationId: accepted.correlation_id,
        executionArn: accepted.execution_arn,
        input: body,
        doc,
      };
    },
  );
  const wallSeconds = (performance.now() - started) / 1000;
  services.faults.clear();
  const outages = (opts.outages ?? []).length > 0 ? { outages: services.faults.outages() } : {};
  return {
    ...chaosFigures(workflow, services, executions),
    workflow: workflow.name,
    seed: opts.seed,
    executions,
    apiRetries,
    wallSeconds,
    ...outages,
  };
}

/** `503`, `429`, `timeout`, `connection` or `other`, from the error message a step reported. */
export function causeKind(cause: string): string {
  const status = /answered (\d{3})/.exec(cause)?.[1];
  if (status) return status;
  if (/timed out/.test(cause)) return 'timeout';
  if (/failed: /.test(cause)) return 'connection';
  return 'other';
}

function emptyFigures(): ServiceFigures {
  return { requests: 0, applied: 0, replays: 0, faults: 0, duplicates: 0, lost: 0, uncorrelated: 0 };
}

/**
 * Per-service figures from the services' request logs, duplicates, lost side effects per
 * succeeded step and failures by cause, for executions that have ended.
 */
export function chaosFigures(
  workflow: Pick<LocalWorkflow, 'steps'>,
  services: RunningServices,
  executions: readonly Pick<ChaosExecution, 'correlationId' | 'doc'>[],
) {
  const figures: Record<string, ServiceFigures> = {};
  for (const name of services.routes.keys()) figures[name] = emptyFigures();
  for (const record of services.counters.log()) {
    const entry = figures[record.service] ?? emptyFigures();
    entry.requests += 1;
    if (record.outcome === 'applied') entry.applied += 1;
    if (record.outcome === 'replayed') entry.replays += 1;
    if (record.fault !== undefined) entry.faults += 1;
    if (record.correlationId === undefined) entry.uncorrelated += 1;
  }
  const problems: string[] = [];
  for (const [key, count] of Object.entries(services.counters.appliedByKey())) {
    if (count <= 1) continue;
    const service = key.slice(0, key.indexOf(' '));
    if (figures[service]) figures[service].duplicates += 1;
    problems.push(`${key}: applied ${count} times`);
  }
  problems.push(...services.counters.duplicates().filter((line) => !/: applied \d+ times$/.test(line)));
  const byCause = new Map<string, number>();
  let retries = 0;
  let fallbacks = 0;
  for (const execution of executions) {
    const { doc } = execution;
    retries += doc.steps.reduce((sum, step) => sum + Math.max(0, step.attempts - 1), 0);
    fallbacks += doc.steps.filter((step) => step.status === 'fallback').length;
    if (doc.status === 'SUCCEEDED') problems.push(...lostSteps(workflow, services, execution, figures));
    else {
      const step = doc.steps.find((candidate) => candidate.name === doc.failed_steps?.[0]);
      const cause = step?.error
        ? `${step.name}/${step.error.error}(${causeKind(step.error.cause)})`
        : `${doc.status}`;
      byCause.set(cause, (byCause.get(cause) ?? 0) + 1);
    }
  }
  const succeeded = executions.filter((execution) => execution.doc.status === 'SUCCEEDED').length;
  return {
    succeeded,
    failed: executions.length - succeeded,
    byCause,
    retries,
    fallbacks,
    services: figures,
    problems,
  };
}

/**
 * Steps reported `succeeded` although the service never handled any of their writes (found by
 * the step's Idempotency-Key, the same on every attempt): every call met a fault. A call the
 * service handled (applied, replayed, or refused such as a 409 the step treats as done) counts.
 */
function lostSteps(
  workflow: Pick<LocalWorkflow, 'steps'>,
  services: RunningServices,
  execution: Pick<ChaosExecution, 'correlationId' | 'doc'>,
  figures: Record<string, ServiceFigures>,
): string[] {
  const lost: string[] = [];
  for (const route of workflow.steps) {
    if (route.via !== 'mock' || route.service === undefined) continue;
    const step = execution.doc.steps.find((candidate) => candidate.name === route.step);
    if (step?.status !== 'succeeded') continue;
    const key = deriveIdempotencyKey(execution.correlationId, route.step);
    const calls = services.counters.log({ service: route.service, idempotencyKey: key });
    if (calls.length === 0) continue; // a read, or a step that had nothing to write this time
    if (calls.some((call) => call.outcome !== 'fault' && call.outcome !== undefined)) continue;
    const entry = figures[route.service];
    if (entry) entry.lost += 1;
    lost.push(
      `${execution.correlationId}: step ${route.step} succeeded but ${route.service} handled none of its ${calls.length} call(s)`,
    );
  }
  return lost;
}

/** The one-line summary a chaos run prints (the figures docs/reliability.md quotes). */
export function chaosSummary(report: ChaosReport): string {
  const causes = [...report.byCause].map(([key, count]) => `${key}=${count}`).join(', ') || 'none';
  const perService = Object.entries(report.services)
    .map(
      ([name, f]) =>
        `${name}(requests=${f.requests} applied=${f.applied} replays=${f.replays} faults=${f.faults} duplicates=${f.duplicates} lost=${f.lost})`,
    )
    .join(' ');
  const duplicates = Object.values(report.services).reduce((sum, f) => sum + f.duplicates, 0);
  const lost = Object.values(report.services).reduce((sum, f) => sum + f.lost, 0);
  const outages = (report.outages ?? [])
    .map((o) => {
      const seconds =
        o.starts_at === null || o.ends_at === null
          ? 0
          : (Date.parse(o.ends_at) - Date.parse(o.starts_at)) / 1000;
      return ` outage(${o.service} ${seconds.toFixed(1)}s calls_during=${o.calls})`;
    })
    .join('');
  return (
    `chaos: workflow=${report.workflow} executions=${report.executions.length} succeeded=${report.succeeded} ` +
    `failed=${report.failed} (by cause: ${causes}) retries=${report.retries} fallbacks=${report.fallbacks} ` +
    `duplicates=${duplicates} lost=${lost} services: ${perService}${outages} wall=${report.wallSeconds.toFixed(1)}s seed=${report.seed}`
  );
}
