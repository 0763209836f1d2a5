/** `stepflow start`, `status` and `list`: executions through a workflow's API and Step Functions. */
import { type ExecutionStatus, paginateListExecutions } from '@aws-sdk/client-sfn';
import { ApiResponseError, type ExecutionStatusDocument } from './api-client.ts';
import {
  type Command,
  type CommandIo,
  integerFlag,
  parseCommand,
  readJsonInput,
  UsageError,
} from './args.ts';
import { followExecution, stepTable, stepTransitions, summaryLine } from './step-lines.ts';
import { pickWorkflow, resolveTarget, type Target, type TargetWorkflow, workflowNames } from './targets.ts';

/** The values `list --status` accepts (Step Functions' execution statuses). */
export const EXECUTION_STATUSES = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
] as const;

export const EXECUTION_USAGE = `  start   --workflow W (--file body.json | --input JSON)
          [--idempotency-key K] [--correlation-id ID] [--watch]
  status  <correlation_id> [--workflow W] [--no-follow]    live view until the execution ends
  list    [--workflow W] [--status ${EXECUTION_STATUSES.join('|')}] [--limit N]`;

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
  return showStatus(workflow, result.body.correlation_id, true, io);
};

/** `status`: follows (or with --no-follow, shows once) the execution of a correlation ID. */
export const statusCommand: Command = async (args, globals, io) => {
  const { values, positionals } = parseCommand(args, {
    workflow: { type: 'string' },
    'no-follow': { type: 'boolean' },
  });
  const [id, ...extra] = positionals;
  if (!id || extra.length > 0) throw new UsageError('status needs one correlation ID');
  const target = await resolveTarget(globals, values.workflow);
  const workflow =
    values.workflow !== undefined || target.workflows.length === 1
      ? pickWorkflow(target, values.workflow)
      : await workflowWithExecution(target, id);
  return showStatus(workflow, id, !values['no-follow'], io);
};

/** The one workflow that knows the correlation ID (asked through each workflow's API). */
async function workflowWithExecution(target: Target, id: string): Promise<TargetWorkflow> {
  const found: TargetWorkflow[] = [];
  for (const workflow of target.workflows) {
    try {
      await workflow.client.status(id);
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
  follow: boolean,
  io: CommandIo,
): Promise<number> {
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
  const final = follow
    ? await followExecution(() => workflow.client.status(id), render)
    : await workflow.client.status(id);
  if (!follow) render(final, undefined);
  out.write(`${summaryLine(final)}\n`);
  if (final.output !== undefined) out.write(`output: ${JSON.stringify(final.output)}\n`);
  out.write(`console: ${final.console_url}\n`);
  return final.status === 'SUCCEEDED' || (!follow && final.status === 'RUNNING') ? 0 : 1;
}

/** `list`: the latest executions of one workflow or all, through Step Functions' ListExecutions. */
export const listCommand: Command = async (args, globals, io) => {
  const { values, positionals } = parseCommand(args, {
    workflow: { type: 'string' },
    status: { type: 'string' },
    limit: { type: 'string' },
  });
  if (positionals.length > 0)
    throw new UsageError(`list takes no positional argument (got '${positionals[0]}')`);
  const status = values.status?.toUpperCase();
  if (status !== undefined && !(EXECUTION_STATUSES as readonly string[]).includes(status)) {
    throw new UsageError(`--status must be one of ${EXECUTION_STATUSES.join(', ')}, got '${values.status}'`);
  }
  const limit = integerFlag(values.limit, '--limit', 20, 1, 1000);
  const target = await resolveTarget(globals, values.workflow);
  const workflows =
    values.workflow === undefined ? target.workflows : [pickWorkflow(target, values.workflow)];
  const lines: string[] = [];
  for (const workflow of workflows) {
    if (!workflow.stateMachineArn) continue;
    lines.push(...(await listLines(target, workflow, status as ExecutionStatus | undefined, limit)));
  }
  io.stdout.write(`${lines.length > 0 ? lines.join('\n') : 'No executions yet.'}\n`);
  return 0;
};

async function listLines(
  target: Target,
  workflow: TargetWorkflow,
  status: ExecutionStatus | undefined,
  limit: number,
) {
  const lines: string[] = [];
  const pages = paginateListExecutions(
    { client: target.sfn, pageSize: Math.min(limit, 1000) },
    { stateMachineArn: workflow.stateMachineArn, ...(status ? { statusFilter: status } : {}) },
  );
  for await (const page of pages) {
    for (const execution of page.executions ?? []) {
      if (lines.length >= limit) return lines;
      const stopped = execution.stopDate ? `  stopped ${execution.stopDate.toISOString()}` : '';
      lines.push(
        `${workflow.name.padEnd(24)} ${(execution.name ?? '').padEnd(36)} ${(execution.status ?? '').padEnd(10)} started ${execution.startDate?.toISOString()}${stopped}`,
      );
    }
    if (lines.length >= limit) break;
  }
  return lines;
}
