/** `stepflow start`, `status` and `list`: executions through a workflow's API and Step Functions. */
import { type ExecutionStatus, paginateListExecutions } from '@aws-sdk/client-sfn';
import { EXECUTION_STATUSES } from '../../lambdas/contracts.ts';
import {
  ApiResponseError,
  type ExecutionListItem,
  type ExecutionStatusDocument,
  statusTokenOf,
} from './api-client.ts';
import {
  type Command,
  type CommandIo,
  integerFlag,
  parseCommand,
  readJsonInput,
  UsageError,
} from './args.ts';
import {
  awaitingSteps,
  followExecution,
  nextActions,
  stepTable,
  stepTransitions,
  summaryLine,
} from './step-lines.ts';
import { pickWorkflow, resolveTarget, type Target, type TargetWorkflow, workflowNames } from './targets.ts';

/** Most executions `list --limit` fetches (pages of {@link LIST_PAGE_SIZE} through the API). */
export const LIST_MAX = 1000;
/** The list route's largest page (`limit` 1..100). */
const LIST_PAGE_SIZE = 100;

export const EXECUTION_USAGE = `  start   --workflow W (--file body.json | --input JSON)
          [--idempotency-key K] [--correlation-id ID] [--watch]
  status  <correlation_id> [--workflow W] [--no-follow] [--json] [--token T]
                              live view until the execution ends (or waits for an operator);
                              --no-follow: one readable summary; --json: the raw status document
  list    [--workflow W] [--status ${EXECUTION_STATUSES.join('|')}] [--limit N] [--json]
                              newest first, N 1-${LIST_MAX} (default 20)`;

const START_OPTIONS = {
  workflow: { type: 'string' },
  file: { type: 'string' },
  input: { type: 'string' },
  'idempotency-key': { type: 'string' },
  'correlation-id': { type: 'string' },
  watch: { type: 'boolean' },
} as const;

/** `start`: POSTs the input to the workflow's resource; `--watch` follows it to the end. */
export const startCommand: Command = async (args, globals, io) => {
  const { values, positionals } = parseCommand(args, START_OPTIONS);
  if (positionals.length > 0)
    throw new UsageError(`start takes no positional argument (got '${positionals[0]}')`);
  const body = readJsonInput(values.file, values.input);
  const target = await resolveTarget(globals, values.workflow);
  const workflow = pickWorkflow(target, values.workflow);
  const result = await workflow.client.start(body, {
    ...(values['idempotency-key'] ? { idempotencyKey: values['idempotency-key'] } : {}),
    ...(values['correlation-id'] ? { correlationId: values['correlation-id'] } : {}),
  });
  io.stdout.write(`${JSON.stringify(result.body, null, 2)}\n`);
  if (!values.watch) return 0;
  const token = statusTokenOf(result.body.status_url);
  const workflowFlag = target.workflows.length > 1 ? ` --workflow ${workflow.name}` : '';
  return showStatus(workflow, result.body.correlation_id, { follow: true, token, workflowFlag }, io);
};

/** `status`: follows (or with --no-follow, shows once) the execution of a correlation ID. */
export const statusCommand: Command = async (args, globals, io) => {
  const { values, positionals } = parseCommand(args, {
    workflow: { type: 'string' },
    'no-follow': { type: 'boolean' },
    json: { type: 'boolean' },
    token: { type: 'string' },
  });
  const [id, ...extra] = positionals;
  if (!id || extra.length > 0) throw new UsageError('status needs one correlation ID');
  const target = await resolveTarget(globals, values.workflow);
  const workflow = await workflowFor(target, values.workflow, id, values.token);
  if (values.json) {
    const document = await workflow.client.status(id, tokenOption(values.token));
    io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    return 0;
  }
  const workflowFlag = target.workflows.length > 1 ? ` --workflow ${workflow.name}` : '';
  return showStatus(workflow, id, { follow: !values['no-follow'], token: values.token, workflowFlag }, io);
};

/**
 * The workflow of a command on one execution: the one `--workflow` names, the only one, or the
 * one workflow whose API knows the correlation ID.
 */
export async function workflowFor(
  target: Target,
  name: string | undefined,
  id: string,
  token?: string,
): Promise<TargetWorkflow> {
  return name !== undefined || target.workflows.length === 1
    ? pickWorkflow(target, name)
    : workflowWithExecution(target, id, token);
}

const tokenOption = (token: string | undefined) => (token === undefined ? {} : { token });

/** The one workflow that knows the correlation ID (asked through each workflow's API). */
async function workflowWithExecution(target: Target, id: string, token?: string): Promise<TargetWorkflow> {
  const found: TargetWorkflow[] = [];
  for (const workflow of target.workflows) {
    try {
      await workflow.client.status(id, tokenOption(token));
      found.push(workflow);
    } catch (error) {
      if (!(error instanceof ApiResponseError && error.status === 404)) throw error;
    }
  }
  const [only, ...others] = found;
  if (only && others.length === 0) return only;
  if (!only)
    throw new Error(`No execution with correlation ID '${id}' in any workflow (${workflowNames(target)})`);
  throw new UsageError(
    `correlation ID '${id}' exists in ${found.map((w) => w.name).join(' and ')}: pass --workflow`,
  );
}

async function showStatus(
  workflow: TargetWorkflow,
  id: string,
  opts: { follow: boolean; token: string | undefined; workflowFlag: string },
  io: CommandIo,
): Promise<number> {
  const { follow } = opts;
  const fetchStatus = () => workflow.client.status(id, tokenOption(opts.token));
  const out = io.stdout;
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
  // A step waiting for an operator holds the execution RUNNING for as long as its timeout (days):
  // following stops there and says what to run.
  const waiting = (status: ExecutionStatusDocument) => awaitingSteps(status).length > 0;
  const final = follow ? await followExecution(fetchStatus, render, { until: waiting }) : await fetchStatus();
  if (!follow) {
    out.write(`${final.correlation_id}  ${final.status}\n`);
    for (const line of stepTable(final.steps)) out.write(`${line}\n`);
  }
  out.write(`${summaryLine(final)}\n`);
  if (final.outcome !== undefined) out.write(`outcome: ${final.outcome}\n`);
  if (final.output !== undefined) out.write(`output: ${JSON.stringify(final.output)}\n`);
  for (const line of nextActions(final, opts.workflowFlag)) out.write(`${line}\n`);
  if (final.console_url) out.write(`console: ${final.console_url}\n`);
  return final.status === 'SUCCEEDED' || (final.status === 'RUNNING' && (!follow || waiting(final))) ? 0 : 1;
}

/** `list`: the latest executions of one workflow or all, through each workflow's list route. */
export const listCommand: Command = async (args, globals, io) => {
  const { values, positionals } = parseCommand(args, {
    workflow: { type: 'string' },
    status: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length > 0)
    throw new UsageError(`list takes no positional argument (got '${positionals[0]}')`);
  const status = values.status?.toUpperCase();
  if (status !== undefined && !(EXECUTION_STATUSES as readonly string[]).includes(status)) {
    throw new UsageError(`--status must be one of ${EXECUTION_STATUSES.join(', ')}, got '${values.status}'`);
  }
  const limit = integerFlag(values.limit, '--limit', 20, 1, LIST_MAX);
  const target = await resolveTarget(globals, values.workflow);
  const workflows =
    values.workflow === undefined ? target.workflows : [pickWorkflow(target, values.workflow)];
  const listed: Array<{ workflow: string; executions: ExecutionListItem[] }> = [];
  for (const workflow of workflows) {
    const executions = await listExecutions(target, workflow, status, limit, io);
    if (executions !== undefined) listed.push({ workflow: workflow.name, executions });
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ workflows: listed }, null, 2)}\n`);
    return 0;
  }
  const lines = listed.flatMap(({ workflow, executions }) =>
    executions.map((item) => listLine(workflow, item)),
  );
  io.stdout.write(`${lines.length > 0 ? lines.join('\n') : 'No executions yet.'}\n`);
  return 0;
};

/** `user_registration  exec_1  FAILED  started ...  stopped ...  redriven 1x`. */
function listLine(workflow: string, item: ExecutionListItem): string {
  const stopped = item.stopped_at ? `  stopped ${item.stopped_at}` : '';
  const redriven = item.redrive_count ? `  redriven ${item.redrive_count}x` : '';
  return `${workflow.padEnd(24)} ${item.correlation_id.padEnd(36)} ${item.status.padEnd(10)} started ${item.started_at ?? '-'}${stopped}${redriven}`;
}

/**
 * Up to `limit` executions through the workflow's list route, page by page. A stack deployed
 * before the route existed answers API Gateway's 403 for an unknown route: then Step Functions'
 * ListExecutions is read instead (the CLI's credentials need states:ListExecutions), said on stderr.
 */
async function listExecutions(
  target: Target,
  workflow: TargetWorkflow,
  status: string | undefined,
  limit: number,
  io: CommandIo,
): Promise<ExecutionListItem[] | undefined> {
  const items: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await workflow.client.list({
        ...(status === undefined ? {} : { status }),
        limit: Math.min(LIST_PAGE_SIZE, limit - items.length),
        ...(nextToken === undefined ? {} : { nextToken }),
      });
      items.push(...page.executions.slice(0, limit - items.length));
      nextToken = page.next_token;
    } while (nextToken !== undefined && items.length < limit);
    return items;
  } catch (error) {
    if (!isMissingRoute(error) || !workflow.stateMachineArn) throw error;
    io.stderr.write(
      `${workflow.name}: ${target.description} has no list route (GET /<resource>); reading Step Functions' ListExecutions instead\n`,
    );
    return listFromStepFunctions(
      target,
      workflow.stateMachineArn,
      status as ExecutionStatus | undefined,
      limit,
    );
  }
}

/** API Gateway's answer for a route it does not have (the local API imitates it). */
function isMissingRoute(error: unknown): boolean {
  return (
    error instanceof ApiResponseError &&
    error.status === 403 &&
    (error.body as { message?: unknown } | null)?.message === 'Missing Authentication Token'
  );
}

async function listFromStepFunctions(
  target: Target,
  stateMachineArn: string,
  status: ExecutionStatus | undefined,
  limit: number,
): Promise<ExecutionListItem[]> {
  const items: ExecutionListItem[] = [];
  const pages = paginateListExecutions(
    { client: target.sfn, pageSize: Math.min(limit, 1000) },
    { stateMachineArn, ...(status ? { statusFilter: status } : {}) },
  );
  for await (const page of pages) {
    for (const execution of page.executions ?? []) {
      if (items.length >= limit) return items;
      items.push({
        correlation_id: execution.name ?? '',
        execution_arn: execution.executionArn ?? '',
        status: execution.status ?? '',
        started_at: execution.startDate?.toISOString() ?? null,
        stopped_at: execution.stopDate?.toISOString() ?? null,
        redrive_count: execution.redriveCount ?? 0,
      });
    }
    if (items.length >= limit) break;
  }
  return items;
}
