/**
 * `stepflow stop | redrive | resolve | fail-step`: operate one execution through its workflow's
 * operator routes (`POST /<resource>/{correlation_id}/...`, lambdas/contracts.ts OPERATION_PATHS),
 * on the local runtime or a deployed stack alike.
 */
import { readFileSync } from 'node:fs';
import type { OperationAnswer } from './api-client.ts';
import { type Command, type CommandIo, parseCommand, UsageError } from './args.ts';
import { workflowFor } from './execution-commands.ts';
import { resolveTarget, type TargetWorkflow } from './targets.ts';

/** Step Functions' limits on an error name and a cause (StopExecution, SendTaskFailure). */
const MAX_ERROR_CHARS = 256;
const MAX_CAUSE_CHARS = 32_768;

export const OPERATION_USAGE = `  stop      <correlation_id> [--error E] [--cause C]     stop a running execution
  redrive   <correlation_id> [--idempotency-key K]     re-run a failed one from where it failed
  resolve   <correlation_id> <step> (--result JSON | --result-file F)
                              settle a step waiting for an operator with that result
  fail-step <correlation_id> <step> --error E [--cause C]
                              fail a step waiting for an operator
            (each takes [--workflow W] [--json]; --json prints the API's answer as JSON)`;

const COMMON = { workflow: { type: 'string' }, json: { type: 'boolean' } } as const;

/** The positionals a command needs, by name, or a usage error naming what is missing or extra. */
function positionalsOf(command: string, names: readonly string[], given: readonly string[]): string[] {
  const missing = names.slice(given.length);
  if (missing.length > 0)
    throw new UsageError(`${command} needs <${names.join('> <')}> (missing <${missing.join('> <')}>)`);
  if (given.length > names.length)
    throw new UsageError(`${command} takes <${names.join('> <')}>, got an extra '${given[names.length]}'`);
  return [...given];
}

function bounded(value: string | undefined, flag: string, max: number): string | undefined {
  if (value !== undefined && value.length > max)
    throw new UsageError(`${flag} is ${value.length} characters; Step Functions allows ${max}`);
  return value;
}

async function workflowOf(
  globals: Parameters<Command>[1],
  name: string | undefined,
  id: string,
): Promise<TargetWorkflow> {
  return workflowFor(await resolveTarget(globals, name), name, id);
}

/** Prints a one-line outcome (or, with --json, the API's answer). */
function done(io: CommandIo, json: boolean | undefined, line: string, answer: OperationAnswer): number {
  if (json) io.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  else io.stdout.write(`${line}\n`);
  return 0;
}

/** `stop <id> [--error E] [--cause C]`: StopExecution through the API. */
export const stopCommand: Command = async (args, globals, io) => {
  const { values, positionals } = parseCommand(args, {
    ...COMMON,
    error: { type: 'string' },
    cause: { type: 'string' },
  });
  const [id = ''] = positionalsOf('stop', ['correlation_id'], positionals);
  const error = bounded(values.error, '--error', MAX_ERROR_CHARS);
  const cause = bounded(values.cause, '--cause', MAX_CAUSE_CHARS);
  const workflow = await workflowOf(globals, values.workflow, id);
  const answer = await workflow.client.stop(id, {
    ...(error === undefined ? {} : { error }),
    ...(cause === undefined ? {} : { cause }),
  });
  const status = typeof answer.status === 'string' ? ` (${answer.status})` : '';
  return done(io, values.json, `stopped ${id}${status}`, answer);
};

/** `redrive <id>`: RedriveExecution through the API; the execution keeps its ARN. */
export const redriveCommand: Command = async (args, globals, io) => {
  const { values, positionals } = parseCommand(args, { ...COMMON, 'idempotency-key': { type: 'string' } });
  const [id = ''] = positionalsOf('redrive', ['correlation_id'], positionals);
  const key = values['idempotency-key'];
  if (key !== undefined && !/^[\x21-\x7e]{1,64}$/.test(key))
    throw new UsageError('--idempotency-key must be 1-64 printable characters without spaces');
  const workflow = await workflowOf(globals, values.workflow, id);
  const answer = await workflow.client.redrive(id, key === undefined ? {} : { idempotencyKey: key });
  const arn = typeof answer.execution_arn === 'string' ? ` (${answer.execution_arn})` : '';
  return done(io, values.json, `redriven ${id}${arn}; follow it with: npx stepflow status ${id}`, answer);
};

/** The `--result` of resolve: a JSON object, from the flag or a file. */
function resultOf(result: string | undefined, file: string | undefined): Record<string, unknown> {
  if ((result === undefined) === (file === undefined))
    throw new UsageError('resolve needs exactly one of --result JSON and --result-file F');
  let text = result ?? '';
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(
        `Cannot read --result-file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  }
  const flag = file === undefined ? '--result' : `--result-file ${file}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${flag} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`${flag} must be a JSON object (the step's result), got ${JSON.stringify(parsed)}`);
  return parsed as Record<string, unknown>;
}

/** `resolve <id> <step> --result JSON`: the waiting step continues with that result. */
export const resolveCommand: Command = async (args, globals, io) => {
  const { values, positionals } = parseCommand(args, {
    ...COMMON,
    result: { type: 'string' },
    'result-file': { type: 'string' },
  });
  const [id = '', step = ''] = positionalsOf('resolve', ['correlation_id', 'step'], positionals);
  const result = resultOf(values.result, values['result-file']);
  const workflow = await workflowOf(globals, values.workflow, id);
  const answer = await workflow.client.resolve(id, step, result);
  return done(io, values.json, `resolved ${step} of ${id}; the execution goes on`, answer);
};

/** `fail-step <id> <step> --error E [--cause C]`: the waiting step fails with that error. */
export const failStepCommand: Command = async (args, globals, io) => {
  const { values, positionals } = parseCommand(args, {
    ...COMMON,
    error: { type: 'string' },
    cause: { type: 'string' },
  });
  const [id = '', step = ''] = positionalsOf('fail-step', ['correlation_id', 'step'], positionals);
  if (values.error === undefined || values.error === '')
    throw new UsageError('fail-step needs --error E (the error name the step fails with)');
  const error = bounded(values.error, '--error', MAX_ERROR_CHARS) ?? '';
  const cause = bounded(values.cause, '--cause', MAX_CAUSE_CHARS);
  const workflow = await workflowOf(globals, values.workflow, id);
  const answer = await workflow.client.failStep(id, step, {
    error,
    ...(cause === undefined ? {} : { cause }),
  });
  return done(io, values.json, `failed ${step} of ${id} with ${error}`, answer);
};
