import { parseArgs } from 'node:util';

/** Usage of `registration faults`. */
export const FAULTS_USAGE = `faults show
faults clear [<service> [<route>]]
faults set <service|*> [<route>] (--status N [--retry-after S] | --latency MS | --drop
                                  | --apply-then-drop | --apply-then-delay MS)
                                 [--times N] [--probability P]
  services: user, billing, preferences, notification; routes like 'POST /profiles' (default: every route)`;

/**
 * `faults show|clear|set` against a running simulator's control API (any simulator port controls
 * all four services). Returns the text to print.
 */
export async function runFaultsCommand(controlUrl: string, args: readonly string[]): Promise<string> {
  const [action, ...rest] = args;
  const base = controlUrl.replace(/\/+$/, '');
  switch (action) {
    case 'show':
    case undefined:
      return formatFaults(await control(`${base}/_faults`, 'GET'));
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

/** A command line the user must fix; printed with usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
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
      `faults set needs exactly one of --status, --latency, --drop, --apply-then-drop, --apply-then-delay.\n${FAULTS_USAGE}`,
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
    throw new Error(`Cannot reach the simulators' control API at ${url}: ${(error as Error).message}`);
  }
  const parsed = (await res.json()) as { message?: string };
  if (!res.ok) throw new Error(`Simulators refused the change: ${parsed.message ?? JSON.stringify(parsed)}`);
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
