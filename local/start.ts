/**
 * `npm start`: the offline runtime (every workflow in config/ on one local API, the Step
 * Functions endpoint, dynalite, each workflow's offline services), a live demo of each workflow
 * whose input schema has `examples`, then serving until Ctrl-C. `--once` exits after the demos
 * (exit code 0 only when every demo succeeded); `--no-demo` only serves.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDiagnostic, WorkflowError } from '../infra/workflow/diagnostics.ts';
import { removeRuntimeInfo, writeRuntimeInfo } from './cli/local-target.ts';
import { formatMs } from './cli/step-lines.ts';
import { printEndpoints, printExamples, runDemo } from './demo.ts';
import { type LocalRuntime, type LocalWorkflow, PortInUseError, startLocalRuntime } from './runtime/index.ts';
import { assertPortsFree } from './runtime/ports.ts';

/** The fixed ports and their flags (`--console-port` joins them with the console). */
const PORT_FLAGS = {
  port: { name: 'local API', fallback: () => process.env.PORT || '3000' },
  'sfn-port': { name: 'Step Functions endpoint', fallback: () => '8083' },
  'dynamodb-port': { name: 'DynamoDB (dynalite)', fallback: () => '8000' },
} as const;
type PortFlag = keyof typeof PORT_FLAGS;

const USAGE = `Usage: npm start -- [options]
  --port N             local API port, every workflow at its resource (default: $PORT or 3000)
  --sfn-port N         Step Functions endpoint port (default 8083)
  --dynamodb-port N    DynamoDB (dynalite) port (default 8000)
                       (0 = any free port)
  --environment E      the workflows' Tasker environments.<E> overrides (default development)
  --workflow W         demo only workflow W
  --config-dir D       workflow files folder (default config/)
  --once               run the demos, then exit (exit code 0 when every demo succeeded)
  --no-demo            only serve
  --verbose            print the handlers' log lines (default: written to a log file)`;

const OPTIONS = {
  port: { type: 'string' },
  'sfn-port': { type: 'string' },
  'dynamodb-port': { type: 'string' },
  environment: { type: 'string' },
  workflow: { type: 'string' },
  'config-dir': { type: 'string' },
  once: { type: 'boolean' },
  'no-demo': { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

const out = (line = '') => process.stdout.write(`${line}\n`);
const fail = (message: string, code: number): number => {
  process.stderr.write(`${message}\n`);
  return code;
};

function portsOf(values: Values): Record<PortFlag, number> | string {
  const ports = {} as Record<PortFlag, number>;
  for (const [flag, { fallback }] of Object.entries(PORT_FLAGS) as Array<
    [PortFlag, (typeof PORT_FLAGS)[PortFlag]]
  >) {
    const text = values[flag] ?? fallback();
    const port = Number(text);
    if (!/^\d+$/.test(text) || port > 65535)
      return `--${flag} must be a port number (0-65535), got '${text}'`;
    ports[flag] = port;
  }
  return ports;
}

async function start(
  values: Values,
  ports: Record<PortFlag, number>,
): Promise<{ runtime: LocalRuntime; logFile: NodeJS.WritableStream | undefined } | number> {
  const logDir = join(tmpdir(), 'stepflow-local');
  mkdirSync(logDir, { recursive: true });
  const logPath = join(logDir, `handlers-${ports.port}.log`);
  const logFile = values.verbose ? undefined : createWriteStream(logPath, { flags: 'w' });
  out(
    'Starting the offline runtime: synthesizing the CDK app (no bundling), reading the state machines from the templates...',
  );
  try {
    const runtime = await startLocalRuntime({
      ports: { api: ports.port, sfn: ports['sfn-port'], dynamodb: ports['dynamodb-port'] },
      ...(values.environment ? { environment: values.environment } : {}),
      ...(values['config-dir'] ? { configDir: values['config-dir'] } : {}),
      onLog: (line, functionId) => {
        if (logFile) logFile.write(`${functionId} ${line}\n`);
        else process.stderr.write(`[${functionId}] ${line}\n`);
      },
    });
    return { runtime, logFile };
  } catch (error) {
    logFile?.end();
    if (error instanceof WorkflowError) return fail(error.diagnostics.map(formatDiagnostic).join('\n'), 1);
    if (error instanceof PortInUseError) return fail(error.message, 1);
    return fail(`Could not start the offline runtime: ${(error as Error).message}`, 1);
  }
}

function demoWorkflows(runtime: LocalRuntime, only: string | undefined): LocalWorkflow[] | string {
  if (only !== undefined) {
    const workflow = runtime.workflows.find((candidate) => candidate.name === only);
    if (!workflow)
      return `--workflow: no workflow '${only}' (workflows: ${runtime.workflows.map((w) => w.name).join(', ')})`;
    if (workflow.examples.length === 0)
      return `--workflow ${only}: its input schema (${workflow.file}) has no 'examples' to run`;
    return [workflow];
  }
  return runtime.workflows.filter((workflow) => workflow.examples.length > 0);
}

async function runDemos(workflows: readonly LocalWorkflow[]): Promise<boolean> {
  let ok = true;
  for (const workflow of workflows) {
    try {
      ok = (await runDemo(workflow, out)).status === 'SUCCEEDED' && ok;
    } catch (error) {
      ok = false;
      process.stderr.write(`Demo of ${workflow.name} failed: ${(error as Error).message}\n`);
    }
  }
  return ok;
}

async function main(): Promise<number> {
  let values: Values;
  try {
    ({ values } = parseArgs({ options: OPTIONS, strict: true }));
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }
  const ports = portsOf(values);
  if (typeof ports === 'string') return fail(ports, 2);
  if (values.once && values['no-demo']) return fail(`--once and --no-demo exclude each other\n${USAGE}`, 2);

  try {
    // Before the synthesis, which takes seconds: a taken port fails fast, naming its flag.
    await assertPortsFree(
      (Object.keys(PORT_FLAGS) as PortFlag[]).map((flag) => ({
        name: PORT_FLAGS[flag].name,
        port: ports[flag],
        flag: `--${flag}`,
      })),
      '127.0.0.1',
    );
  } catch (error) {
    return fail((error as Error).message, 1);
  }
  const started = await start(values, ports);
  if (typeof started === 'number') return started;
  const { runtime, logFile } = started;
  const infoPath = writeRuntimeInfo(runtime);
  let closing: Promise<void> | undefined;
  const shutdown = () => {
    closing ??= (async () => {
      removeRuntimeInfo(runtime.apiUrl);
      await runtime.close();
      logFile?.end();
    })();
    return closing;
  };
  out(`Ready in ${formatMs(performance.now())}:`);
  printEndpoints(runtime, out);
  out(
    `  Handler logs          ${values.verbose ? 'stderr (--verbose)' : join(tmpdir(), 'stepflow-local', `handlers-${ports.port}.log`)}`,
  );
  out(`  Runtime info          ${infoPath} (read by \`npx stepflow\`)`);

  const demos = values['no-demo'] ? [] : demoWorkflows(runtime, values.workflow);
  if (typeof demos === 'string') {
    await shutdown();
    return fail(demos, 2);
  }
  if (!values['no-demo'] && demos.length === 0)
    out("\nNo workflow's input schema has 'examples': no demo to run.");
  const demoOk = await runDemos(demos);
  if (values.once) {
    await shutdown();
    return demoOk ? 0 : 1;
  }
  printExamples(runtime, out);
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      if (closing) process.exit(130); // a second Ctrl-C: stop waiting for a clean close
      out('\nShutting down...');
      void shutdown().then(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return 0;
}

const code = await main();
process.exitCode = code;
// Everything is closed by now; if a stray handle still holds the event loop, do not hang on it.
setTimeout(() => process.exit(code), 2000).unref();
