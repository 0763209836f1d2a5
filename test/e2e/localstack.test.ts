import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createApiClient, type ExecutionApiClient } from '../../local/cli/api-client.ts';
import type { Simulators } from '../../local/simulators/user_registration/index.ts';
import { LOCALSTACK_ENVIRONMENT, localstackResourceUrl, prepareWorkflows } from './localstack-setup.ts';
import { historyOf, register, registrationBody } from './support.ts';

/**
 * The end-to-end scenarios against LocalStack (deployed with `cdklocal`), gated on an endpoint.
 * LocalStack runs in Docker, which these machines lack, so here the suite is skipped with the
 * reason printed. Targets the LocalStack image `localstack/localstack:4.14` (later images need an
 * auth token). Every workflow of config/ is deployed (LOCALSTACK_CONFIG_DIR picks another folder)
 * with a `localstack` Tasker environment pointing its steps at its offline services on this host,
 * at LOCALSTACK_HOST_ADDRESS (default host.docker.internal). Each workflow's first example must
 * succeed; the flagship's scenarios run when the flagship is among them.
 */
const ENDPOINT = process.env.LOCALSTACK_ENDPOINT ?? process.env.AWS_ENDPOINT_URL;
const SKIP = ENDPOINT
  ? false
  : 'LOCALSTACK_ENDPOINT not set: LocalStack needs a Docker engine, which these machines lack';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REGION = 'us-east-1';

function run(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`npx ${args.join(' ')} exited ${code}:\n${output}`));
    });
  });
}

describe('the end-to-end scenarios on LocalStack', { skip: SKIP }, () => {
  let simulators: Simulators;
  let client: ExecutionApiClient;
  let sfn: SFNClient;
  let workDir: string;
  let env: NodeJS.ProcessEnv;

  let prepared: Awaited<ReturnType<typeof prepareWorkflows>> | undefined;
  const resourceUrls = new Map<string, string>();

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'stepflow-localstack-'));
    const hostAddress = process.env.LOCALSTACK_HOST_ADDRESS ?? 'host.docker.internal';
    prepared = await prepareWorkflows(
      process.env.LOCALSTACK_CONFIG_DIR ?? join(ROOT, 'config'),
      workDir,
      ROOT,
      hostAddress,
    );
    const flagship = prepared.workflows.find((workflow) => workflow.spec.name === 'user_registration');
    if (flagship?.services) simulators = flagship.services as Simulators;
    env = {
      ...process.env,
      AWS_ENDPOINT_URL: ENDPOINT,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      CDK_DEFAULT_ACCOUNT: '000000000000',
      CDK_DEFAULT_REGION: REGION,
      WORKFLOW_CONFIG_DIR: workDir,
    };
    await run(['cdklocal', 'bootstrap', `aws://000000000000/${REGION}`], env, 600_000);
    const outputsFile = join(workDir, 'outputs.json');
    await run(
      [
        'cdklocal',
        'deploy',
        '--all',
        '--require-approval',
        'never',
        '-c',
        `environment=${LOCALSTACK_ENVIRONMENT}`,
        '-c',
        'apiAuthorization=NONE',
        '-c',
        'tableRemovalPolicy=destroy',
        '--outputs-file',
        outputsFile,
      ],
      env,
      900_000,
    );
    const outputs = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, string>>;
    for (const workflow of prepared.workflows) {
      const endpoint = Object.values(outputs)
        .map((stack) => stack.ExecutionsEndpoint ?? '')
        .find((url) => url.endsWith(`/${workflow.spec.api.resource}`));
      if (endpoint) resourceUrls.set(workflow.spec.name, localstackResourceUrl(ENDPOINT!, endpoint));
    }
    const flagshipUrl = resourceUrls.get('user_registration');
    if (flagshipUrl) client = createApiClient(flagshipUrl);
    sfn = new SFNClient({
      region: REGION,
      endpoint: ENDPOINT!,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });
  afterEach(() => simulators?.faults.clear());
  after(async () => {
    if (env) await run(['cdklocal', 'destroy', '--all', '--force'], env, 600_000).catch(() => undefined);
    sfn?.destroy();
    await prepared?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const callsFor = (correlationId: string) =>
    simulators.counters
      .log({ correlationId })
      .map((r) => `${r.service} ${r.route}`)
      .sort();

  test("every workflow's first example succeeds on LocalStack", async () => {
    const workflows =
      prepared?.workflows.filter((workflow) => Array.isArray(workflow.spec.schema.examples)) ?? [];
    assert.ok(workflows.length > 0, 'no workflow has examples to run');
    for (const { spec } of workflows) {
      const url = resourceUrls.get(spec.name);
      assert.ok(url, `no ExecutionsEndpoint output for ${spec.name}`);
      const example = (spec.schema.examples as unknown[])[0];
      const { status } = await register(createApiClient(url), example, { timeoutMs: 180_000 });
      assert.equal(status.status, 'SUCCEEDED', `${spec.name}: ${JSON.stringify(status)}`);
    }
  });

  for (const plan of ['free', 'pro', 'enterprise'] as const) {
    test(`a ${plan} registration makes exactly the expected service calls`, async () => {
      const id = `ls-${plan}`;
      const { status } = await register(client, registrationBody(plan, `ls-${plan}`), {
        correlationId: id,
        timeoutMs: 180_000,
      });
      assert.equal(status.status, 'SUCCEEDED', JSON.stringify(status));
      const expected = [
        'notification POST /notifications/welcome',
        'preferences POST /users/{id}/preferences',
        'user PATCH /users/{id}/status',
        'user POST /users',
        ...(plan === 'free' ? [] : ['billing POST /profiles']),
      ].sort();
      assert.deepEqual(callsFor(id), expected);
    });
  }

  test('a 503 then success is retried and succeeds', async () => {
    simulators.faults.set('billing', 'POST /profiles', { kind: 'status', status: 503, times: 1 });
    const { status } = await register(client, registrationBody('pro', 'ls-503'), { timeoutMs: 180_000 });
    assert.equal(status.status, 'SUCCEEDED');
    assert.equal(status.steps.find((s) => s.name === 'setup_billing_profile')?.attempts, 2);
  });

  test('a 429 with Retry-After: 2 is not retried before 2 s', async () => {
    simulators.faults.set('notification', 'POST /notifications/welcome', {
      kind: 'status',
      status: 429,
      retryAfter: 2,
      times: 1,
    });
    const { started, status } = await register(client, registrationBody('pro', 'ls-429'), {
      timeoutMs: 180_000,
    });
    assert.equal(status.status, 'SUCCEEDED');
    const events = await historyOf(sfn, started.execution_arn);
    const failed = events.find(
      (e) =>
        e.type === 'LambdaFunctionFailed' && e.lambdaFunctionFailedEventDetails?.error === 'RetryAfter.2s',
    );
    const retried = events.find(
      (e) =>
        e.type === 'LambdaFunctionScheduled' &&
        (e.id ?? 0) > (failed?.id ?? 0) &&
        e.lambdaFunctionScheduledEventDetails?.input?.includes('send_welcome_sequence'),
    );
    assert.ok(failed && retried);
    assert.ok(retried.timestamp!.getTime() - failed.timestamp!.getTime() >= 2000);
  });

  test('a permanent 422 from billing fails naming setup_billing_profile', async () => {
    simulators.faults.set('billing', 'POST /profiles', { kind: 'status', status: 422 });
    const { status } = await register(client, registrationBody('pro', 'ls-422'), { timeoutMs: 180_000 });
    assert.equal(status.status, 'FAILED');
    assert.deepEqual(status.failed_steps, ['setup_billing_profile']);
    assert.match(status.cause ?? '', /422/);
  });

  test('a preferences outage completes with the fallback', async () => {
    simulators.faults.set('preferences', '*', { kind: 'status', status: 503 });
    const { status } = await register(client, registrationBody('pro', 'ls-prefs'), { timeoutMs: 240_000 });
    assert.equal(status.status, 'SUCCEEDED');
    const output = status.output as { steps: Record<string, Record<string, unknown>> };
    assert.equal(output.steps.initialize_preferences?.fallback_used, true);
  });

  test('the same data again is already_exists; different data for the email is USER_CONFLICT', async () => {
    const body = registrationBody('pro', 'ls-repeat');
    await register(client, body, { timeoutMs: 180_000 });
    const again = await register(client, body, { timeoutMs: 180_000 });
    const steps = (again.status.output as { steps: Record<string, { status: string }> }).steps;
    assert.equal(steps.create_user_account?.status, 'already_exists');
    const other = registrationBody('pro', 'ls-repeat');
    (other.user_info as Record<string, unknown>).name = 'Someone Else';
    const conflict = await register(client, other, { timeoutMs: 180_000 });
    assert.equal(conflict.status.status, 'FAILED');
    assert.match(conflict.status.cause ?? '', /USER_CONFLICT/);
  });

  test("the client's X-Correlation-ID is on every service request and in the status", async () => {
    const id = 'ls-client-id';
    const { status } = await register(client, registrationBody('enterprise', 'ls-corr'), {
      correlationId: id,
      timeoutMs: 180_000,
    });
    assert.equal(status.correlation_id, id);
    assert.equal(simulators.counters.requests({ correlationId: id }), 5);
  });
});
