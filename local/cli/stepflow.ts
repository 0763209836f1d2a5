#!/usr/bin/env node
/**
 * `npx stepflow <command>`: the project's one CLI, for every workflow, against the local runtime
 * of `npm start` (default) or a deployed stack (`--stack NAME --region R`).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ApiResponseError } from './api-client.ts';
import { type Command, type CommandIo, splitGlobalFlags, UsageError } from './args.ts';

export type { Command } from './args.ts';

import { CHAOS_USAGE, chaosCommand } from './chaos-command.ts';
import { EXECUTION_USAGE, listCommand, startCommand, statusCommand } from './execution-commands.ts';
import { FAULTS_USAGE, faultsCommand } from './faults-command.ts';
import { GRAPH_USAGE, runGraphCommand } from './graph-command.ts';
import {
  failStepCommand,
  OPERATION_USAGE,
  redriveCommand,
  resolveCommand,
  stopCommand,
} from './operation-commands.ts';
import { DEFAULT_API_URL } from './targets.ts';

const ASL_ENTRY = fileURLToPath(new URL('../../infra/asl.ts', import.meta.url));

/** `asl <file>`: the compiler's own entry point (one implementation for `npm run asl` and this). */
const aslCommand: Command = (args, _globals, io) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ASL_ENTRY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => io.stdout.write(chunk));
    child.stderr.on('data', (chunk: Buffer) => io.stderr.write(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });

/** `graph <workflow.yaml>`: reads only the YAML, so it takes no target. */
const graphCommand: Command = (args, _globals, io) => runGraphCommand(args, io);

/** The commands. */
export const COMMANDS: Record<string, Command> = {
  start: startCommand,
  status: statusCommand,
  list: listCommand,
  faults: faultsCommand,
  asl: aslCommand,
  chaos: chaosCommand,
  stop: stopCommand,
  redrive: redriveCommand,
  resolve: resolveCommand,
  'fail-step': failStepCommand,
  graph: graphCommand,
};

export const USAGE = `Usage: npx stepflow <command> [options]

Commands:
${EXECUTION_USAGE}
${OPERATION_USAGE}
  ${FAULTS_USAGE.split('\n').join('\n  ')}
  asl     <workflow.yaml>                   print the compiled definition (ASL JSON)
  graph   ${GRAPH_USAGE.replace(/^usage: npx stepflow graph /, '')
    .split('\n')
    .join('\n  ')}
  ${CHAOS_USAGE.split('\n').join('\n  ')}

--workflow may be left out when the target serves one workflow (status: or when only one
workflow knows the correlation ID).

Target (global flags, in any position; default: the local runtime of \`npm start\` at ${DEFAULT_API_URL}):
  --api URL                 another local runtime's API URL
  --stack NAME --region R   a deployed stack (reads its outputs, signs requests with SigV4);
                            --region R --workflow W finds the stack of workflow W`;

/** Runs the CLI; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function main(argv: readonly string[], io: CommandIo = process): Promise<number> {
  try {
    const { globals, rest } = splitGlobalFlags(argv);
    const [name, ...args] = rest;
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      (name ? io.stdout : io.stderr).write(`${USAGE}\n`);
      return name ? 0 : 2;
    }
    const command = COMMANDS[name];
    if (!command)
      throw new UsageError(`Unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    return await command(args, globals, io);
  } catch (error) {
    return report(error, io.stderr);
  }
}

function report(error: unknown, err: NodeJS.WritableStream): number {
  if (error instanceof UsageError) {
    err.write(`${error.message}\n\nRun 'npx stepflow --help' for the commands and their options.\n`);
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

/** `stepflow list | head`: the reader went away; stop quietly, as Unix tools do. */
function exitOnBrokenPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

if (import.meta.main) {
  exitOnBrokenPipe(process.stdout);
  exitOnBrokenPipe(process.stderr);
  process.exitCode = await main(process.argv.slice(2));
}
