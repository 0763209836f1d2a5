import { parseArgs } from 'node:util';
import { type Command, takeFlags, UsageError } from './args.ts';
import { resolveTarget, type Target, type TargetWorkflow } from './targets.ts';

/** Usage of `stepflow faults`. */
export const FAULTS_USAGE = `faults [--workflow W] services                 the workflow's services and their routes
faults [--workflow W] show
faults [--workflow W] clear [<service> [<route>]]
faults [--workflow W] set <service|*> [<route>] (--status N [--retry-after S] | --latency MS | --drop
                                  | --apply-then-drop | --apply-then-delay MS)
                                 [--times N] [--probability P]
faults [--workflow W] set <service> [<route>] --outage SECONDS [--start-in SECONDS]
                                 [--from-first-call] [--status N | --refuse]
  services are the steps' service keys (mocked or simulated offline); routes like 'POST /profiles'
  (default: every route). --workflow may be left out when one workflow has the service.
  --outage: the service is down for every caller for SECONDS (wall clock), answering 503 (or
  --status N) at once, or with --refuse closing each connection; 'show' lists the calls it met.
  --from-first-call: the window starts at the first call it meets (plus --start-in), not now.`;

/**
 * `faults` against the offline services of a workflow of the local runtime. Exit code 0, or a
 * usage error.
 */
export const faultsCommand: Command = async (args, globals, io) => {
  const { taken, rest } = takeFlags(args, ['workflow']);
  const target = await resolveTarget(globals, taken.workflow);
  if (!target.local) throw new Error('faults works on the local runtime only, not on a deployed stack');
  const workflow = faultedWorkflow(
    target,
    taken.workflow,
    rest[0] === 'set' || rest[0] === 'clear' ? rest[1] : undefined,
  );
  const controlUrl = Object.values(workflow.services)[0];
  if (!controlUrl)
    throw new Error(`workflow '${workflow.name}' has no offline services (all its steps call loopback URLs)`);
  io.stdout.write(`${await runFaultsCommand(controlUrl, rest)}\n`);
  return 0;
};

/** The workflow whose services to fault: named, the only one with services, or the one with `service`. */
function faultedWorkflow(
  target: Target,
  name: string | undefined,
  service: string | undefined,
): TargetWorkflow {
  const withServices = target.workflows.filter((workflow) => Object.keys(workflow.services).length > 0);
  if (name !== undefined) {
    const found = target.workflows.find((workflow) => workflow.name === name);
    if (!found)
      throw new UsageError(
        `no workflow '${name}' (workflows: ${target.workflows.map((w) => w.name).join(', ')})`,
      );
    return found;
  }
  const candidates =
    service === undefined || service === '*'
      ? withServices
      : withServices.filter((workflow) => service in workflow.services);
  const [only, ...others] = candidates;
  if (only && others.length === 0) return only;
  const names = (candidates.length > 0 ? candidates : withServices)
    .map((workflow) => workflow.name)
    .join(', ');
  if (!only && service !== undefined && service !== '*')
    throw new UsageError(
      `no workflow has a service '${service}' offline (workflows with services: ${names || 'none'})`,
    );
  throw new UsageError(
    `several workflows have offline services${service ? ` called '${service}'` : ''}: pass --workflow (one of ${names})`,
  );
}

/**
 * `faults services|show|clear|set` against a service set's control API (any of its ports
 * controls all its services). Returns the text to print.
 */
export async function runFaultsCommand(controlUrl: string, args: readonly string[]): Promise<string> {
  const [action, ...rest] = args;
  const base = controlUrl.replace(/\/+$/, '');
  switch (action) {
    case 'services':
      return formatServices(await control(`${base}/_services`, 'GET'));
    case 'show':
    case undefined: {
      const faults = formatFaults(await control(`${base}/_faults`, 'GET'));
      const outages = formatOutages(await control(`${base}/_stats`, 'GET'));
      return outages === '' ? faults : `${faults}\n${outages}`;
    }
    case 'clear': {
      const [service, route] = rest;
      const query = new URLSearchParams();
      if (service) query.set('service', service);
      if (route) query.set('route', route);
      return formatFaults(await control(`${base}/_faults${query.size > 0 ? `?${query}` : ''}`, 'DELETE'));
    }
    case 'set': {
      const { service, route, fault } = parseFault(rest);
      return formatFaults(await control(`${base}/_faults`, 'POST', { service, route, fault }));
    }
    default:
      throw new UsageError(`Unknown faults action '${action}'.\n${FAULTS_USAGE}`);
  }
}

function parseFault(args: readonly string[]): {
  service: string;
  route: string;
  fault: Record<string, unknown>;
} {
  let parsed: ReturnType<typeof parseFaultArgs>;
  try {
    parsed = parseFaultArgs(args);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${FAULTS_USAGE}`);
  }
  const { values, positionals } = parsed;
  const [service, route = '*'] = positionals;
  if (!service) throw new UsageError(`faults set needs a service.\n${FAULTS_USAGE}`);
  const number = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0)
      throw new UsageError(`--${name} must be a non-negative number, got '${text}'`);
    return value;
  };
  if (values.outage !== undefined) return { service, route, fault: outageOf(values, number) };
  if (values.refuse || values['start-in'] !== undefined || values['from-first-call'])
    throw new UsageError(
      `--refuse, --start-in and --from-first-call go with --outage SECONDS.\n${FAULTS_USAGE}`,
    );
  const kinds: Array<Record<string, unknown>> = [];
  if (values.status !== undefined) {
    const retryAfter = values['retry-after'];
    kinds.push({
      kind: 'status',
      status: number('status', values.status),
      ...(retryAfter === undefined
        ? {}
        : { retryAfter: Number.isFinite(Number(retryAfter)) ? Number(retryAfter) : retryAfter }),
    });
  }
  if (values.latency !== undefined) kinds.push({ kind: 'latency', ms: number('latency', values.latency) });
  if (values.drop) kinds.push({ kind: 'drop' });
  if (values['apply-then-drop']) kinds.push({ kind: 'apply_then_drop' });
  if (values['apply-then-delay'] !== undefined) {
    kinds.push({ kind: 'apply_then_delay', ms: number('apply-then-delay', values['apply-then-delay']) });
  }
  if (kinds.length !== 1) {
    throw new UsageError(
      `faults set needs exactly one of --status, --latency, --drop, --apply-then-drop, --apply-then-delay, --outage.\n${FAULTS_USAGE}`,
    );
  }
  const times = number('times', values.times);
  const probability = number('probability', values.probability);
  if (probability !== undefined && probability > 1)
    throw new UsageError('--probability must be between 0 and 1');
  return {
    service,
    route,
    fault: {
      ...kinds[0],
      ...(times === undefined ? {} : { times }),
      ...(probability === undefined ? {} : { probability }),
    },
  };
}

/** `--outage S [--start-in S] [--status N | --refuse]` as an outage fault (milliseconds). */
function outageOf(
  values: ReturnType<typeof parseFaultArgs>['values'],
  number: (name: string, text: string | undefined) => number | undefined,
): Record<string, unknown> {
  const others: string[] = [
    ...(['latency', 'apply-then-delay', 'retry-after', 'times', 'probability'] as const).filter(
      (name) => values[name] !== undefined,
    ),
    ...(['drop', 'apply-then-drop'] as const).filter((name) => values[name] === true),
  ];
  if (others.length > 0)
    throw new UsageError(
      `--outage takes only --start-in and --status N or --refuse, not --${others.join(', --')}`,
    );
  if (values.refuse && values.status !== undefined)
    throw new UsageError('--outage answers either --status N or --refuse, not both');
  const seconds = number('outage', values.outage) ?? 0;
  if (seconds <= 0)
    throw new UsageError(`--outage must be a positive number of seconds, got '${values.outage}'`);
  const startIn = number('start-in', values['start-in']);
  const status = number('status', values.status);
  return {
    kind: 'outage',
    durationMs: Math.round(seconds * 1000),
    ...(startIn === undefined ? {} : { startInMs: Math.round(startIn * 1000) }),
    ...(values['from-first-call'] ? { startsOnFirstCall: true } : {}),
    ...(values.refuse ? { refuse: true } : {}),
    ...(status === undefined ? {} : { status }),
  };
}

function parseFaultArgs(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      status: { type: 'string' },
      'retry-after': { type: 'string' },
      latency: { type: 'string' },
      drop: { type: 'boolean' },
      'apply-then-drop': { type: 'boolean' },
      'apply-then-delay': { type: 'string' },
      times: { type: 'string' },
      probability: { type: 'string' },
      outage: { type: 'string' },
      'start-in': { type: 'string' },
      refuse: { type: 'boolean' },
      'from-first-call': { type: 'boolean' },
    },
  });
}

async function control(url: string, method: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
  } catch (error) {
    throw new Error(`Cannot reach the services' control API at ${url}: ${(error as Error).message}`);
  }
  const parsed = (await res.json()) as { message?: string };
  if (!res.ok)
    throw new UsageError(`The services refused the change: ${parsed.message ?? JSON.stringify(parsed)}`);
  return parsed;
}

function formatFaults(result: unknown): string {
  const faults = (result as { faults?: Record<string, Record<string, unknown[]>> }).faults ?? {};
  const lines: string[] = [];
  for (const [service, routes] of Object.entries(faults)) {
    for (const [route, list] of Object.entries(routes)) {
      for (const fault of list)
        lines.push(`  ${service.padEnd(13)} ${route.padEnd(30)} ${JSON.stringify(fault)}`);
    }
  }
  return lines.length > 0 ? `Active faults:\n${lines.join('\n')}` : 'No faults active.';
}

/** The outages since the last reset, with their windows and the calls each met. */
function formatOutages(stats: unknown): string {
  const outages =
    (
      stats as {
        outages?: Array<{
          service: string;
          route: string;
          state: string;
          starts_at: string | null;
          ends_at: string | null;
          answer: number | string;
          calls: number;
        }>;
      }
    ).outages ?? [];
  if (outages.length === 0) return '';
  const lines = outages.map(
    (o) =>
      `  ${o.service.padEnd(13)} ${o.route.padEnd(30)} ${o.state.padEnd(8)} ${o.starts_at === null ? 'starts at its first call' : `${o.starts_at} - ${o.ends_at}`}  answer ${o.answer}  calls ${o.calls}`,
  );
  return `Outages:\n${lines.join('\n')}`;
}

function formatServices(result: unknown): string {
  const services = (result as { services?: Record<string, string[]> }).services ?? {};
  return Object.entries(services)
    .map(([service, routes]) => `${service}\n${routes.map((route) => `  ${route}`).join('\n')}`)
    .join('\n');
}
