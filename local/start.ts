/**
 * `npm start`: the offline runtime (the synthesized state machine on aws-local-stepfunctions,
 * dynalite, the service simulators, the local API), one live demo registration, then serving
 * until Ctrl-C. `--once` exits after the demo (exit code = demo success); `--no-demo` only serves.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createApiClient, type ExecutionStatusDocument } from './cli/api-client.ts';
import { removeRuntimeInfo, writeRuntimeInfo } from './cli/local-target.ts';
import { followExecution, formatMs, stepTransitions, summaryLine } from './cli/step-lines.ts';
import { type LocalRuntime, startLocalRuntime } from './runtime/index.ts';

const USAGE = `Usage: npm start -- [--port N] [--once | --no-demo] [--verbose]
  --port N     API port (default: $PORT or 3000)
  --once       run the demo registration, then exit (exit code 0 when it succeeded)
  --no-demo    only serve the API
  --verbose    print the handlers' log lines (default: written to a log file)`;

const out = (line = '') => process.stdout.write(`${line}\n`);
/** Seconds since this process started (performance.now() counts from the time origin). */
const sinceLaunch = () => formatMs(performance.now());

async function main(): Promise<number> {
  let values: { port?: string; once?: boolean; 'no-demo'?: boolean; verbose?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        once: { type: 'boolean' },
        'no-demo': { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(
      `--port/PORT must be a port number (0-65535), got '${values.port ?? process.env.PORT}'\n`,
    );
    return 2;
  }
  if (values.once && values['no-demo']) {
    process.stderr.write(`--once and --no-demo exclude each other\n${USAGE}\n`);
    return 2;
  }

  const logDir = join(tmpdir(), 'stepflow-local');
  mkdirSync(logDir, { recursive: true });
  const logPath = join(logDir, `handlers-${port}.log`);
  const logFile = values.verbose ? undefined : createWriteStream(logPath, { flags: 'w' });
  out(
    'Starting the offline runtime: synthesizing the CDK app (no bundling), reading the state machine from the template...',
  );
  let runtime: LocalRuntime;
  try {
    runtime = await startLocalRuntime({
      apiPort: port,
      onLog: (line, functionId) => {
        if (logFile) logFile.write(`${functionId} ${line}\n`);
        else process.stderr.write(`[${functionId}] ${line}\n`);
      },
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') process.stderr.write(`Port ${port} is in use: pass --port N or set PORT.\n`);
    else process.stderr.write(`Could not start the offline runtime: ${(error as Error).message}\n`);
    return 1;
  }
  const readyAt = sinceLaunch();
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

  out(`Ready in ${readyAt}:`);
  out(
    `  API                   ${runtime.apiUrl}   (POST /registrations, GET /registrations/{correlation_id})`,
  );
  out(`  Step Functions        ${runtime.sfnEndpoint}`);
  for (const workflow of runtime.workflows) out(`    ${workflow.name}: ${workflow.stateMachineArn}`);
  out(`  DynamoDB              ${runtime.dynamo.endpoint}   (dynalite, table ${runtime.tableName})`);
  for (const [service, url] of Object.entries(runtime.simulators.urls))
    out(`  ${`${service} service`.padEnd(22)}${url}`);
  out(`  Handler logs          ${logFile ? logPath : 'stderr (--verbose)'}`);
  out(`  Runtime info          ${infoPath} (read by \`npm run registration\`)`);

  let demoOk = true;
  if (!values['no-demo']) {
    try {
      demoOk = (await runDemo(runtime)).status === 'SUCCEEDED';
    } catch (error) {
      demoOk = false;
      process.stderr.write(`Demo registration failed: ${(error as Error).message}\n`);
    }
  }
  if (values.once) {
    await shutdown();
    return demoOk ? 0 : 1;
  }

  printExamples(runtime.apiUrl);
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

async function runDemo(runtime: LocalRuntime): Promise<ExecutionStatusDocument> {
  const client = createApiClient(`${runtime.apiUrl}/registrations`);
  const body = {
    user_info: { email: `demo+${Date.now()}@example.com`, name: 'Demo User', plan: 'pro', source: 'web' },
    billing_info: { payment_method: 'card_demo' },
    preferences: { marketing_emails: false, product_updates: true },
  };
  out();
  out('Demo registration (plan: pro) through the local API:');
  const started = await client.start(body, { idempotencyKey: `demo-${Date.now()}` });
  out(`  POST /registrations -> ${started.status} correlation_id=${started.body.correlation_id}`);
  let firstStepAt: string | undefined;
  const final = await followExecution(
    () => client.status(started.body.correlation_id),
    (status, previous) => {
      for (const line of stepTransitions(previous?.steps, status.steps)) {
        firstStepAt ??= sinceLaunch();
        out(`${line}`);
      }
    },
    { pollMs: 50, timeoutMs: 120_000 },
  );
  out(`  ${summaryLine(final)}`);
  printOutput(final.output);
  out(`  correlation ID: ${final.correlation_id}`);
  if (firstStepAt) out(`  (first step seen ${firstStepAt} after launch)`);
  return final;
}

/** The final output, one line per step result, so a long document stays readable. */
function printOutput(output: unknown): void {
  if (typeof output !== 'object' || output === null) return;
  const { steps, ...input } = output as { steps?: Record<string, unknown> };
  out('  output:');
  out(`    input: ${JSON.stringify(input)}`);
  for (const [step, result] of Object.entries(steps ?? {}))
    out(`    steps.${step}: ${JSON.stringify(result)}`);
}

function printExamples(apiUrl: string): void {
  const body = '{"user_info":{"email":"ada@example.com","name":"Ada Lovelace","plan":"pro"}}';
  out();
  out('Serving until Ctrl-C. Try:');
  out(`  curl -si -X POST ${apiUrl}/registrations \\`);
  out(`    -H 'Content-Type: application/json' -H 'Idempotency-Key: try-1' \\`);
  out(`    -d '${body}'`);
  out(`  curl -s ${apiUrl}/registrations/<correlation_id>`);
  out(
    '  npm run registration -- start --email grace@example.com --name "Grace Hopper" --plan enterprise --watch',
  );
  out('  npm run registration -- status <correlation_id>');
  out('  npm run registration -- faults set billing --status 503 --times 2');
}

const code = await main();
process.exitCode = code;
// Everything is closed by now; if a stray handle still holds the event loop, do not hang on it.
setTimeout(() => process.exit(code), 2000).unref();
