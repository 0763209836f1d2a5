/**
 * `npm run simulators [-- --workflow W --seed 1 --latency-ms 0 --config-dir config]`: starts the
 * offline services of every workflow with a mock file (or of W) alone, prints their URLs and the
 * control API, and runs until Ctrl-C.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../../infra/build-app.ts';
import { formatDiagnostic, WorkflowError } from '../../infra/workflow/diagnostics.ts';
import { loadWorkflows } from '../../infra/workflow/parse.ts';
import { loadWorkflowMocks } from '../mocks/load-mocks.ts';
import { type RunningServices, startServices } from './index.ts';

function integer(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${flag} must be a non-negative integer, got '${value}'`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      workflow: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'latency-ms': { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'config-dir': { type: 'string' },
    },
  });
  const seed = integer(values.seed, '--seed');
  const latencyMs = integer(values['latency-ms'], '--latency-ms');
  const specs = loadWorkflows(values['config-dir'] ?? join(REPO_ROOT, 'config')).filter(
    (spec) => values.workflow === undefined || spec.name === values.workflow,
  );
  if (specs.length === 0) throw new Error(`no workflow '${values.workflow}'`);
  const running: RunningServices[] = [];
  for (const spec of specs) {
    const mocks = await loadWorkflowMocks(spec.file, REPO_ROOT);
    if (!mocks) continue;
    const services = await startServices(mocks.create, { host: values.host, seed, latencyMs });
    running.push(services);
    console.log(`${spec.name} (${mocks.file})`);
    for (const [name, url] of Object.entries(services.urls)) console.log(`  ${name.padEnd(20)} ${url}`);
    const control = Object.values(services.urls)[0];
    console.log(`  control API on every port of this workflow, e.g. curl ${control}/_services`);
  }
  if (running.length === 0) throw new Error('no workflow has a mock file (config/<workflow>.mocks.yaml)');
  console.log(`\ne.g. curl -X POST <url>/_faults -d '{"service":"*","fault":{"kind":"status","status":503,"times":2}}'
Ctrl-C to stop.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await Promise.all(running.map((services) => services.close()));
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(
    `${error instanceof WorkflowError ? error.diagnostics.map(formatDiagnostic).join('\n') : (error as Error).message}\n`,
  );
  process.exitCode = 1;
}
