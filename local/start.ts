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
import { localConsoleWorkflows } from './console/local-workflows.ts';
import { type ConsoleServer, startConsole } from './console/server.ts';
import { printEndpoints, printExamples, runDemo } from './demo.ts';
import {
  DEFAULT_ENVIRONMENT,
  DEFAULT_ROOT,
  examplesOf,
  type LocalRuntime,
  type LocalWorkflow,
  PortInUseError,
  startLocalRuntime,
} from './runtime/index.ts';
import { loadSpecs } from './runtime/load-models.ts';
import { assertPortsFree } from './runtime/ports.ts';
import {
  createStatusChangeHub,
  createWebhookSink,
  type ExecutionStatusEvent,
  formatStatusLine,
  type WebhookSink,
} from './runtime/status-events.ts';

/** The fixed ports and their flags (`--console-port` joins them with the console). */
const PORT_FLAGS = {
  port: { name: 'local API', fallback: () => process.env.PORT || '3000' },
  'sfn-port': { name: 'Step Functions endpoint', fallback: () => '8083' },
  'dynamodb-port': { name: 'DynamoDB (dynalite)', fallback: () => '8000' },
  'console-port': { name: 'local console', fallback: () => '3001' },
} as const;
type PortFlag = keyof typeof PORT_FLAGS;

const USAGE = `Usage: npm start -- [options]
  --port N             local API port, every workflow at its resource (default: $PORT or 3000)
  --sfn-port N         Step Functions endpoint port (default 8083)
  --dynamodb-port N    DynamoDB (dynalite) port (default 8000)
  --console-port N     local console port (default 3001; when 3001 is taken and the
                       flag was not given, npm start serves without the console)
                       (0 = any free port)
  --no-console         do not serve the local console (--once never serves it)
  --environment E      the workflows' Tasker environments.<E> overrides (default development)
  --workflow W         demo only workflow W
  --config-dir D       workflow files folder (default config/)
  --data-dir DIR       keep DynamoDB and execution histories in DIR across restarts; executions
                       cut off by a restart come back ABORTED and redrivable (default: a clean
                       slate on every start)
  --events-webhook URL POST every execution status-change event (EventBridge's shape) to URL
  --require-status-token
                       callers are anonymous: a status is readable only with its status_url token
  --public-url URL     the local API's base URL as clients reach it (a proxy in front)
  --max-sandboxes N    Lambda sandboxes per function at most (default: the number of cores)
  --max-finished-executions N
                       finished executions kept, the oldest dropped beyond (default 1000)
  --quiet-events       do not print a line per execution status change
  --once               run the demos, then exit (exit code 0 when every demo succeeded)
  --no-demo            only serve
  --verbose            print the handlers' log lines (default: written to a log file)`;

const OPTIONS = {
  port: { type: 'string' },
  'sfn-port': { type: 'string' },
  'dynamodb-port': { type: 'string' },
  'console-port': { type: 'string' },
  'no-console': { type: 'boolean' },
  'data-dir': { type: 'string' },
  'events-webhook': { type: 'string' },
  'require-status-token': { type: 'boolean' },
  'public-url': { type: 'string' },
  'max-sandboxes': { type: 'string' },
  'max-finished-executions': { type: 'string' },
  'quiet-events': { type: 'boolean' },
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

/**
 * The runtime's status-change events, passed on to the console's live pages so a page reads its
 * execution again at once when it starts, ends or is redriven.
 */
const statusChanges = createStatusChangeHub();

/** Where status-change events go: a printed line each, the webhook when given, the console's pages. */
function eventSink(values: Values, webhook: WebhookSink | undefined): (event: ExecutionStatusEvent) => void {
  return (event) => {
    if (!values['quiet-events']) out(`  event  ${formatStatusLine(event)}`);
    webhook?.send(event);
    statusChanges.publish(event);
  };
}

/** What the optional flags ask of the runtime. */
interface RuntimeFlags {
  readonly maxSandboxes?: number;
  readonly maxFinishedExecutions?: number;
  readonly webhook?: WebhookSink;
}

/** The optional flags' values, checked: an error message, or the runtime options they give. */
function runtimeFlags(values: Values): string | RuntimeFlags {
  const counts: Partial<Record<'max-sandboxes' | 'max-finished-executions', number>> = {};
  for (const flag of ['max-sandboxes', 'max-finished-executions'] as const) {
    const text = values[flag];
    if (text === undefined) continue;
    if (!/^\d+$/.test(text) || Number(text) < 1) return `--${flag} must be a positive integer, got '${text}'`;
    counts[flag] = Number(text);
  }
  if (values['public-url'] !== undefined && !URL.canParse(values['public-url']))
    return `--public-url must be a URL, got '${values['public-url']}'`;
  let webhook: WebhookSink | undefined;
  if (values['events-webhook'] !== undefined) {
    try {
      webhook = createWebhookSink(values['events-webhook'], {
        onError: (error, event) =>
          process.stderr.write(
            `events webhook: ${event.detail.status} of ${event.detail.name} not delivered: ${error.message}\n`,
          ),
      });
    } catch (error) {
      return (error as Error).message;
    }
  }
  return {
    ...(counts['max-sandboxes'] ? { maxSandboxes: counts['max-sandboxes'] } : {}),
    ...(counts['max-finished-executions']
      ? { maxFinishedExecutions: counts['max-finished-executions'] }
      : {}),
    ...(webhook ? { webhook } : {}),
  };
}

async function start(
  values: Values,
  ports: Record<PortFlag, number>,
  flags: RuntimeFlags,
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
      ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
      ...(values['public-url'] ? { apiPublicUrl: values['public-url'] } : {}),
      ...(values['require-status-token'] ? { requireStatusToken: true } : {}),
      ...(flags.maxSandboxes ? { maxConcurrencyPerFunction: flags.maxSandboxes } : {}),
      ...(flags.maxFinishedExecutions ? { maxFinishedExecutions: flags.maxFinishedExecutions } : {}),
      // Loaded below once the flags are known to be good, and only for a runtime that keeps serving.
      prewarm: false,
      onExecutionStatusChange: eventSink(values, flags.webhook),
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

type DemoCandidate = Pick<LocalWorkflow, 'name' | 'file' | 'examples'>;

/** The workflows whose demo runs: `--workflow W` alone, else every one with examples; a refusal names why. */
function demoWorkflows<W extends DemoCandidate>(
  workflows: readonly W[],
  only: string | undefined,
): W[] | string {
  if (only !== undefined) {
    const workflow = workflows.find((candidate) => candidate.name === only);
    if (!workflow)
      return `--workflow: no workflow '${only}' (workflows: ${workflows.map((w) => w.name).join(', ')})`;
    if (workflow.examples.length === 0)
      return `--workflow ${only}: its input schema (${workflow.file}) has no 'examples' to run`;
    return [workflow];
  }
  return workflows.filter((workflow) => workflow.examples.length > 0);
}

/**
 * `--workflow W` checked against the workflow files before the synthesis, so a typo is refused
 * in a second, not after the runtime started. Files that do not load are left to the start,
 * which reports them as file:line.
 */
async function refusedDemo(values: Values): Promise<string | undefined> {
  if (values.workflow === undefined || values['no-demo']) return undefined;
  let specs: Awaited<ReturnType<typeof loadSpecs>>;
  try {
    specs = await loadSpecs({
      rootDir: DEFAULT_ROOT,
      configDir: values['config-dir'],
      environment: values.environment ?? DEFAULT_ENVIRONMENT,
    });
  } catch {
    return undefined;
  }
  const candidates = specs.map((spec) => ({
    name: spec.name,
    file: spec.file,
    examples: examplesOf(spec.schema),
  }));
  const demos = demoWorkflows(candidates, values.workflow);
  return typeof demos === 'string' ? demos : undefined;
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
  const flags = runtimeFlags(values);
  if (typeof flags === 'string') return fail(flags, 2);
  // --once exits after the demos: nobody would open the console.
  const consoleWanted = !values['no-console'] && !values.once;
  if (values.once && values['no-demo']) return fail(`--once and --no-demo exclude each other\n${USAGE}`, 2);

  try {
    // Before the synthesis, which takes seconds: a taken port fails fast, naming its flag.
    await assertPortsFree(
      (Object.keys(PORT_FLAGS) as PortFlag[])
        // An explicit --console-port must be free; the default is only tried (see serveConsole).
        .filter((flag) => flag !== 'console-port' || (consoleWanted && values['console-port'] !== undefined))
        .map((flag) => ({
          name: PORT_FLAGS[flag].name,
          port: ports[flag],
          flag: `--${flag}`,
        })),
      '127.0.0.1',
    );
  } catch (error) {
    return fail((error as Error).message, 1);
  }
  const refused = await refusedDemo(values);
  if (refused) return fail(refused, 2);
  const started = await start(values, ports, flags);
  if (typeof started === 'number') return started;
  const { runtime, logFile } = started;
  const infoPath = writeRuntimeInfo(runtime);
  let consoleServer: ConsoleServer | undefined;
  let closing: Promise<void> | undefined;
  const shutdown = () => {
    closing ??= (async () => {
      removeRuntimeInfo(runtime.apiUrl);
      await consoleServer?.close();
      await runtime.close();
      await flags.webhook?.flush();
      logFile?.end();
    })();
    return closing;
  };
  let consoleNote: string | undefined;
  if (consoleWanted) {
    try {
      consoleServer = await startConsole({
        port: ports['console-port'],
        sfnEndpoint: runtime.sfnEndpoint,
        statusChanges,
        workflows: localConsoleWorkflows(
          runtime,
          runtime.workflows.map((workflow) => workflow.spec),
        ),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE' && values['console-port'] === undefined) {
        consoleNote = `not served: port ${ports['console-port']} is in use (--console-port N picks another)`;
      } else {
        await shutdown();
        return fail(`Could not start the local console: ${(error as Error).message}`, 1);
      }
    }
  }
  const synthesis =
    runtime.synthesis === 'cached' ? ' (the synthesis reused: no input changed since the last one)' : '';
  out(`Ready in ${formatMs(performance.now())}${synthesis}:`);
  printEndpoints(runtime, out);
  if (consoleServer ?? consoleNote) out(`  Local console         ${consoleServer?.url ?? consoleNote}`);
  if (values['data-dir'])
    out(`  Data dir              ${values['data-dir']} (${runtime.restoredExecutions} executions restored)`);
  else out('  Data                  in memory: a restart is a clean slate (--data-dir DIR keeps it)');
  if (values['events-webhook']) out(`  Events webhook        ${values['events-webhook']}`);
  if (values['require-status-token'])
    out('  Status reads          need the status_url token (--require-status-token)');
  out(
    `  Handler logs          ${values.verbose ? 'stderr (--verbose)' : join(tmpdir(), 'stepflow-local', `handlers-${ports.port}.log`)}`,
  );
  out(`  Runtime info          ${infoPath} (read by \`npx stepflow\`)`);

  const demos = values['no-demo'] ? [] : demoWorkflows(runtime.workflows, values.workflow);
  if (typeof demos === 'string') {
    await shutdown();
    return fail(demos, 2);
  }
  // A serving runtime loads every function now, so no request pays a cold start; --once runs its
  // demos on cold functions (as a fresh deploy would) and exits.
  if (!values.once) await runtime.lambdas.prewarm();
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
