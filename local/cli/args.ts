/** Command-line plumbing shared by the `stepflow` commands: global flags, parsing, usage errors. */
import { readFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A command line the user must fix; printed with usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Where a command writes; `process.stdout`/`process.stderr` fit. */
export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** A command: its arguments (global flags removed), the global flags, where to write; the exit code. */
export type Command = (args: readonly string[], globals: GlobalFlags, io: CommandIo) => Promise<number>;

/** The flags every command accepts, in any position. */
export interface GlobalFlags {
  /** Base URL of a local runtime's API. @default http://127.0.0.1:3000 */
  readonly api?: string;
  /** A deployed stack (reads its outputs, signs with SigV4). */
  readonly stack?: string;
  readonly region?: string;
}

const GLOBAL_NAMES = ['api', 'stack', 'region'] as const;

/**
 * Takes the string flags `names` (as `--flag value` or `--flag=value`) out of `argv` wherever
 * they are; the rest keeps its order. Everything after `--` is left alone.
 */
export function takeFlags<const N extends string>(
  argv: readonly string[],
  names: readonly N[],
): { taken: Partial<Record<N, string>>; rest: string[] } {
  const taken: Partial<Record<N, string>> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const name = names.find((flag) => arg === `--${flag}` || arg.startsWith(`--${flag}=`));
    if (name === undefined) {
      rest.push(arg);
      continue;
    }
    const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
    if (value === undefined || value === '' || value.startsWith('--'))
      throw new UsageError(`--${name} needs a value`);
    taken[name] = value;
  }
  return { taken, rest };
}

/**
 * Takes `--api/--stack/--region` out of `argv` wherever they are, so `stepflow status X --api U`
 * and `stepflow --api U status X` mean the same.
 */
export function splitGlobalFlags(argv: readonly string[]): { globals: GlobalFlags; rest: string[] } {
  const { taken, rest } = takeFlags(argv, GLOBAL_NAMES);
  return { globals: taken, rest };
}

/** `parseArgs` with strict options and positionals; its errors become usage errors. */
export function parseCommand<const O extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: O,
) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A positive integer flag within bounds, or a usage error naming the flag. */
export function integerFlag(
  value: string | undefined,
  flag: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} must be an integer ${min}-${max}, got '${value}'`);
  return n;
}

/** The JSON of exactly one of `--file F` and `--input JSON`. */
export function readJsonInput(file: string | undefined, input: string | undefined): unknown {
  if ((file === undefined) === (input === undefined))
    throw new UsageError('give exactly one of --file body.json and --input JSON');
  let text = input ?? '';
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(
        `Cannot read --file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file ?? '--input'} is not valid JSON: ${(error as Error).message}`);
  }
}
