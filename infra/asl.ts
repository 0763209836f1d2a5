/**
 * `npm run --silent asl -- <file.yaml>`: prints the compiled state machine definition (ASL JSON,
 * placeholder Lambda ARNs) on stdout. Diagnostics and budget warnings go to stderr; an invalid
 * file exits 1. Handler modules are not needed.
 */
import { loadWorkflowFile, renderWithWarnings, runOrExit } from './workflow/index.ts';

const USAGE = 'usage: npm run --silent asl -- <workflow.yaml>';

runOrExit(() => {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stderr.write(`${USAGE}\n`);
    return;
  }
  const [file, ...extra] = args;
  if (file === undefined || extra.length > 0) throw new Error(USAGE);
  const { definition, warnings } = renderWithWarnings(loadWorkflowFile(file));
  for (const warning of warnings) process.stderr.write(`${warning}\n`);
  process.stdout.write(`${JSON.stringify(definition, null, 2)}\n`);
});
