/** What `npm start` prints: the endpoints of every workflow, the live demos, the examples to try. */
import { createApiClient, type ExecutionStatusDocument } from './cli/api-client.ts';
import { followExecution, formatMs, stepTransitions, summaryLine } from './cli/step-lines.ts';
import type { LocalRuntime, LocalWorkflow } from './runtime/index.ts';

type Print = (line?: string) => void;

/** How a workflow's steps reach their services, one phrase per service. */
function servicesLine(workflow: LocalWorkflow): string {
  const phrases = new Map<string, string>();
  for (const step of workflow.steps) {
    if (step.via === 'none') continue;
    const name = step.service ?? step.step;
    phrases.set(
      `${name} ${step.via}`,
      step.via === 'loopback'
        ? `${name} -> ${step.url} (as is)`
        : `${name} -> ${workflow.services?.urls[name as never] ?? '?'}`,
    );
  }
  const mocks = workflow.mockFile ? ` (${workflow.mockFile})` : '';
  return phrases.size === 0 ? 'no service calls' : `${[...phrases.values()].join(', ')}${mocks}`;
}

/** The endpoint block printed once the runtime is ready. */
export function printEndpoints(runtime: LocalRuntime, print: Print): void {
  print(`  Local API             ${runtime.apiUrl}   (environment: ${runtime.environment})`);
  for (const workflow of runtime.workflows) {
    print(`    ${workflow.name}`);
    print(`      POST ${workflow.resourceUrl}`);
    print(`      GET  ${workflow.resourceUrl}/{correlation_id}`);
    print(`      services: ${servicesLine(workflow)}`);
  }
  print(`  Step Functions        ${runtime.sfnEndpoint}`);
  for (const workflow of runtime.workflows) print(`    ${workflow.name}: ${workflow.stateMachineArn}`);
  print(`  DynamoDB              ${runtime.dynamo.endpoint}   (dynalite)`);
  for (const workflow of runtime.workflows) print(`    ${workflow.name}: table ${workflow.tableName}`);
}

/** Runs the first example of `workflow` through its API, printing each step as it changes. */
export async function runDemo(workflow: LocalWorkflow, print: Print): Promise<ExecutionStatusDocument> {
  const client = createApiClient(workflow.resourceUrl);
  print();
  print(`Demo of ${workflow.name} (the first example of its input schema) through the local API:`);
  const started = await client.start(workflow.examples[0], {
    idempotencyKey: `demo-${workflow.name}-${Date.now()}`,
  });
  print(`  POST /${workflow.resource} -> ${started.status} correlation_id=${started.body.correlation_id}`);
  // The status_url carries the status token: the demo reads through it, so it works with
  // --require-status-token too (callers are then anonymous).
  const statusUrl = started.body.status_url;
  const readStatus = statusUrl?.includes('token=')
    ? async (): Promise<ExecutionStatusDocument> => {
        const res = await fetch(statusUrl);
        if (!res.ok) throw new Error(`GET ${statusUrl} answered ${res.status}`);
        return (await res.json()) as ExecutionStatusDocument;
      }
    : () => client.status(started.body.correlation_id);
  const final = await followExecution(
    readStatus,
    (status, previous) => {
      for (const line of stepTransitions(previous?.steps, status.steps)) print(line);
    },
    { pollMs: 50, timeoutMs: 120_000 },
  );
  print(`  ${summaryLine(final)}`);
  printOutput(final.output, print);
  print(`  correlation ID: ${final.correlation_id}`);
  print(`  (${formatMs(performance.now())} after launch)`);
  return final;
}

/** The final output, one line per step result, so a long document stays readable. */
function printOutput(output: unknown, print: Print): void {
  if (typeof output !== 'object' || output === null) return;
  const { steps, ...input } = output as { steps?: Record<string, unknown> };
  print('  output:');
  print(`    input: ${JSON.stringify(input)}`);
  for (const [step, result] of Object.entries(steps ?? {}))
    print(`    steps.${step}: ${JSON.stringify(result)}`);
}

/** Commands to try against the running runtime: curl, the CLI, the real AWS CLI. */
export function printExamples(runtime: LocalRuntime, print: Print): void {
  const workflow =
    runtime.workflows.find((candidate) => candidate.examples.length > 0) ?? runtime.workflows[0];
  if (!workflow) return;
  const body = JSON.stringify(workflow.examples[0] ?? {});
  print();
  print('Serving until Ctrl-C. Try:');
  print(`  curl -si -X POST ${workflow.resourceUrl} \\`);
  print(`    -H 'Content-Type: application/json' -H 'Idempotency-Key: try-1' \\`);
  print(`    -d '${body.replaceAll("'", "'\\''")}'`);
  print(`  curl -s ${workflow.resourceUrl}/<correlation_id>`);
  print(`  npx stepflow status <correlation_id> --workflow ${workflow.name}`);
  print(`  npx stepflow list --workflow ${workflow.name}`);
  const faulted = runtime.workflows.find((candidate) => candidate.services);
  const [service, routes] = faulted?.services ? ([...faulted.services.routes][0] ?? []) : [];
  if (faulted && service && routes?.[0])
    print(
      `  npx stepflow faults set ${service} '${routes[0]}' --status 503 --times 2 --workflow ${faulted.name}`,
    );
  print(
    '  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1   # any values',
  );
  print(
    `  aws --endpoint-url ${runtime.sfnEndpoint} stepfunctions list-executions --state-machine-arn ${workflow.stateMachineArn}`,
  );
  print(`  aws dynamodb --endpoint-url ${runtime.dynamo.endpoint} scan --table-name ${workflow.tableName}`);
}
