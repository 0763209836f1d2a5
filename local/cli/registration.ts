import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import {
  ApiResponseError,
  createApiClient,
  type ExecutionApiClient,
  type ExecutionStatusDocument,
} from './api-client.ts';
import { resolveStackTarget } from './aws-target.ts';
import { FAULTS_USAGE, runFaultsCommand, UsageError } from './faults-command.ts';
import { readRuntimeInfo } from './local-target.ts';
import { followExecution, stepTable, stepTransitions, summaryLine } from './step-lines.ts';

const USAGE = `Usage: npm run registration -- <command> [options]

Commands:
  start   --email E --name N [--plan free|pro|enterprise] [--phone P] [--company C]
          [--source web|mobile|api] [--referral-code R] [--payment-method M]
          [--marketing-emails] [--product-updates] [--newsletter]
          | --file body.json
          [--idempotency-key K] [--correlation-id ID] [--watch]
  status  <correlation_id> [--no-follow]      live view until the execution ends
  list    [--status RUNNING|SUCCEEDED|FAILED|TIMED_OUT|ABORTED] [--limit N]
  ${FAULTS_USAGE.split('\n').join('\n  ')}

Target (default: the local runtime of \`npm start\` at http://127.0.0.1:3000):
  --api URL                 another local API URL
  --stack NAME --region R   a deployed stack (reads its outputs, signs requests with SigV4)`;

const OPTIONS = {
  api: { type: 'string' },
  stack: { type: 'string' },
  region: { type: 'string' },
  email: { type: 'string' },
  name: { type: 'string' },
  plan: { type: 'string' },
  phone: { type: 'string' },
  company: { type: 'string' },
  source: { type: 'string' },
  'referral-code': { type: 'string' },
  'payment-method': { type: 'string' },
  'marketing-emails': { type: 'boolean' },
  'product-updates': { type: 'boolean' },
  newsletter: { type: 'boolean' },
  file: { type: 'string' },
  'idempotency-key': { type: 'string' },
  'correlation-id': { type: 'string' },
  watch: { type: 'boolean' },
  'no-follow': { type: 'boolean' },
  status: { type: 'string' },
  limit: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

interface Target {
  readonly client: ExecutionApiClient;
  listExecutions(status: string | undefined, limit: number): Promise<string[]>;
  /** A simulator control URL (local runtime only); throws saying why there is none. */
  simulatorUrl(): string;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function main(
  argv: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    out.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  try {
    if (command === 'faults') {
      // Fault options belong to `faults set`; only the target options are read here.
      const targetArgs = pickTargetArgs(rest);
      const target = await resolveTarget(parse(targetArgs.target).values);
      out.write(`${await runFaultsCommand(target.simulatorUrl(), targetArgs.others)}\n`);
      return 0;
    }
    const { values, positionals } = parse(rest);
    const target = await resolveTarget(values);
    switch (command) {
      case 'start':
        return await startCommand(target, values, out);
      case 'status': {
        const [id] = positionals;
        if (!id) throw new UsageError('status needs a correlation ID');
        return await statusCommand(target, id, !values['no-follow'], out);
      }
      case 'list': {
        const limit = Number(values.limit ?? 20);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
          throw new UsageError('--limit must be 1-1000');
        const lines = await target.listExecutions(values.status, limit);
        out.write(`${lines.length > 0 ? lines.join('\n') : 'No registrations yet.'}\n`);
        return 0;
      }
      default:
        throw new UsageError(`Unknown command '${command}'`);
    }
  } catch (error) {
    return report(error, err);
  }
}

function parse(args: readonly string[]) {
  try {
    return parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Splits `--api/--stack/--region` (with values) from the faults sub-command's own arguments. */
function pickTargetArgs(args: readonly string[]): { target: string[]; others: string[] } {
  const target: string[] = [];
  const others: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--api' || arg === '--stack' || arg === '--region') target.push(arg, args[++i] ?? '');
    else if (/^--(api|stack|region)=/.test(arg)) target.push(arg);
    else others.push(arg);
  }
  return { target, others };
}

async function resolveTarget(values: Values): Promise<Target> {
  if (values.stack) {
    const region = values.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new UsageError('--stack needs --region (or AWS_REGION)');
    const stack = await resolveStackTarget(values.stack, region);
    return {
      client: createApiClient(`${stack.apiUrl.replace(/\/+$/, '')}/registrations`, stack.sign),
      simulatorUrl: () => {
        throw new Error('faults works on the local simulators only, not on a deployed stack');
      },
      listExecutions: (status, limit) =>
        listExecutions(new SFNClient({ region }), [stack.stateMachineArn ?? ''], status, limit),
    };
  }
  const apiUrl = (values.api ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  // Only `list` and `faults` need the runtime's details; start/status just need the API.
  const info = () => readRuntimeInfo(apiUrl);
  return {
    client: createApiClient(`${apiUrl}/registrations`),
    simulatorUrl: () => {
      const url = Object.values(info().simulatorUrls)[0];
      if (!url) throw new Error(`The local runtime at ${apiUrl} published no simulator URLs`);
      return url;
    },
    listExecutions: async (status, limit) => {
      const runtime = info();
      const sfn = new SFNClient({
        region: 'us-east-1',
        endpoint: runtime.sfnEndpoint,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      return listExecutions(sfn, runtime.stateMachineArns, status, limit);
    },
  };
}

async function listExecutions(
  sfn: SFNClient,
  stateMachineArns: readonly string[],
  status: string | undefined,
  limit: number,
): Promise<string[]> {
  const lines: string[] = [];
  for (const stateMachineArn of stateMachineArns) {
    const { executions = [] } = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        maxResults: limit,
        ...(status ? { statusFilter: status as 'RUNNING' } : {}),
      }),
    );
    for (const execution of executions) {
      const stopped = execution.stopDate ? `  stopped ${execution.stopDate.toISOString()}` : '';
      lines.push(
        `${(execution.name ?? '').padEnd(36)} ${(execution.status ?? '').padEnd(10)} started ${execution.startDate?.toISOString()}${stopped}`,
      );
    }
  }
  return lines;
}

async function startCommand(target: Target, values: Values, out: NodeJS.WritableStream): Promise<number> {
  const body = values.file ? readBodyFile(values.file) : bodyFromFlags(values);
  const result = await target.client.start(body, {
    ...(values['idempotency-key'] ? { idempotencyKey: values['idempotency-key'] } : {}),
    ...(values['correlation-id'] ? { correlationId: values['correlation-id'] } : {}),
  });
  out.write(`${JSON.stringify(result.body, null, 2)}\n`);
  if (!values.watch) return 0;
  return statusCommand(target, result.body.correlation_id, true, out);
}

function readBodyFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `Cannot read --file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

function bodyFromFlags(values: Values): Record<string, unknown> {
  if (!values.email || !values.name)
    throw new UsageError('start needs --email and --name (or --file body.json)');
  const pick = (entries: Array<[string, unknown]>) =>
    Object.fromEntries(entries.filter(([, v]) => v !== undefined));
  const userInfo = pick([
    ['email', values.email],
    ['name', values.name],
    ['plan', values.plan],
    ['phone', values.phone],
    ['company', values.company],
    ['source', values.source],
    ['referral_code', values['referral-code']],
  ]);
  const preferences = pick([
    ['marketing_emails', values['marketing-emails']],
    ['product_updates', values['product-updates']],
    ['newsletter', values.newsletter],
  ]);
  return {
    user_info: userInfo,
    ...(values['payment-method'] ? { billing_info: { payment_method: values['payment-method'] } } : {}),
    ...(Object.keys(preferences).length > 0 ? { preferences } : {}),
  };
}

async function statusCommand(
  target: Target,
  id: string,
  follow: boolean,
  out: NodeJS.WritableStream,
): Promise<number> {
  const tty = (out as { isTTY?: boolean }).isTTY === true;
  let drawn = 0;
  const render = (status: ExecutionStatusDocument, previous: ExecutionStatusDocument | undefined) => {
    if (tty) {
      // Redraw the block in place: cursor up over the previous drawing, clear each line.
      const lines = [`${status.correlation_id}  ${status.status}`, ...stepTable(status.steps)];
      out.write(`${drawn > 0 ? `\x1b[${drawn}A` : ''}${lines.map((line) => `\x1b[2K${line}\n`).join('')}`);
      drawn = lines.length;
    } else {
      if (!previous) out.write(`${status.correlation_id}  ${status.status}\n`);
      for (const line of stepTransitions(previous?.steps, status.steps)) out.write(`${line}\n`);
    }
  };
  const final = follow
    ? await followExecution(() => target.client.status(id), render)
    : await target.client.status(id);
  if (!follow) render(final, undefined);
  out.write(`${summaryLine(final)}\n`);
  if (final.output !== undefined) out.write(`output: ${JSON.stringify(final.output)}\n`);
  out.write(`console: ${final.console_url}\n`);
  return final.status === 'SUCCEEDED' || (!follow && final.status === 'RUNNING') ? 0 : 1;
}

function report(error: unknown, err: NodeJS.WritableStream): number {
  if (error instanceof UsageError) {
    err.write(`${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (error instanceof ApiResponseError) {
    err.write(`${error.message}\n`);
    const problems = (error.body as { errors?: Array<{ field: string; problem: string }> }).errors ?? [];
    for (const { field, problem } of problems) err.write(`  ${field}: ${problem}\n`);
    return 1;
  }
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  err.write(`${(error as Error).message ?? String(error)}${cause ? ` (${cause})` : ''}\n`);
  if (cause === 'ECONNREFUSED') err.write('Is the local runtime running? Start it with `npm start`.\n');
  return 1;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
