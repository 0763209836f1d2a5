/**
 * `npm run --silent asl -- <file.yaml> [--environment <env>]`: prints the compiled state machine
 * definition (ASL JSON, placeholder Lambda ARNs) on stdout. Diagnostics and warnings go to
 * stderr; an invalid file, or a step without its handler module, exits 1.
 */
import { aslOf } from './asl-command.ts';
import { runOrExit } from './workflow/index.ts';

const USAGE = 'usage: npm run --silent asl -- <workflow.yaml> [--environment <env>]';

/** The file and the environment from the command line. */
function parseArgs(args: string[]): { file: string; environment?: string } {
  const rest = [...args];
  let environment: string | undefined;
  const at = rest.findIndex((arg) => arg === '--environment' || arg.startsWith('--environment='));
  if (at >= 0) {
    const [flag] = rest.splice(at, 1);
    environment = flag?.includes('=') ? flag.slice(flag.indexOf('=') + 1) : rest.splice(at, 1)[0];
    if (environment === undefined || environment === '' || environment.startsWith('-')) {
      throw new Error(`--environment needs a name (${USAGE})`);
    }
  }
  const [file, ...extra] = rest;
  if (file === undefined || file.startsWith('-') || extra.length > 0) throw new Error(USAGE);
  return environment === undefined ? { file } : { file, environment };
}

runOrExit(() => {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stderr.write(`${USAGE}\n`);
    return;
  }
  const { file, environment } = parseArgs(args);
  const { definition, warnings } = aslOf(file, { environment });
  for (const warning of warnings) process.stderr.write(`${warning}\n`);
  process.stdout.write(`${JSON.stringify(definition, null, 2)}\n`);
});
