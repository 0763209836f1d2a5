/**
 * Issue 10 "Done when": a failed flagship registration, redriven with the real AWS CLI
 * (`aws stepfunctions redrive-execution --endpoint-url <local Step Functions>`) after its fault is
 * cleared, ends SUCCEEDED on the same execution ARN, and the steps that had succeeded do not run
 * again (their service counters stay at 1). Skipped, with the reason printed, when no `aws` on
 * PATH has `stepfunctions redrive-execution` (pyenv's awscli 1.45 has it; Debian's 2.9 lacks it).
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime/index.ts';
import { simulatorsOf } from '../../local/simulators/user_registration/index.ts';
import { waitForTerminal } from '../reliability/support.ts';
import { apiClient, historyOf, registrationBody } from './support.ts';

const AWS_ENV = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_PAGER: '',
};
const probe = spawnSync('aws', ['stepfunctions', 'redrive-execution', 'help'], {
  env: AWS_ENV,
  encoding: 'utf8',
  timeout: 60_000,
});
const skip =
  probe.status === 0
    ? false
    : 'no `aws` on PATH with `stepfunctions redrive-execution` (awscli 1.45+ or 2.14+)';
if (skip) console.log(`skipped: ${skip}`);

const execFileAsync = promisify(execFile);
/** `aws <args> --endpoint-url <endpoint> --output json`, parsed. */
async function aws<T>(endpoint: string, ...args: string[]): Promise<T> {
  const { stdout } = await execFileAsync('aws', [...args, '--endpoint-url', endpoint, '--output', 'json'], {
    env: AWS_ENV,
    timeout: 60_000,
  });
  return JSON.parse(stdout) as T;
}

/** How many times each step's Lambda was scheduled in the history (attempts across redrives). */
function scheduledPerStep(events: readonly HistoryEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) {
    const input =
      event.lambdaFunctionScheduledEventDetails?.input ?? event.taskScheduledEventDetails?.parameters;
    if (!input) continue;
    const parsed = JSON.parse(input) as { step?: string; Payload?: { step?: string } };
    const step = parsed.step ?? parsed.Payload?.step;
    if (step) counts[step] = (counts[step] ?? 0) + 1;
  }
  return counts;
}

describe('a failed registration redriven with the real AWS CLI', { skip }, () => {
  let runtime: LocalRuntime;

  before(async () => {
    runtime = await startLocalRuntime({ timeScale: 50 });
  });
  after(() => runtime?.close());

  test('ends SUCCEEDED on the same ARN; the steps that had succeeded keep their counters at 1', async () => {
    const sims = simulatorsOf(runtime);
    sims.faults.set('billing', 'POST /profiles', { kind: 'status', status: 503 });
    const { body: started } = await apiClient(runtime.apiUrl).start(
      registrationBody('pro', 'aws-cli-redrive'),
    );
    const arn = started.execution_arn;
    assert.equal(await waitForTerminal(runtime.sfnClient, arn, Date.now() + 60_000), 'FAILED');
    const failed = await aws<{ status: string; redriveStatus?: string }>(
      runtime.sfnEndpoint,
      'stepfunctions',
      'describe-execution',
      '--execution-arn',
      arn,
    );
    assert.deepEqual([failed.status, failed.redriveStatus], ['FAILED', 'REDRIVABLE']);
    const billingBefore = sims.counters.requests({
      correlationId: started.correlation_id,
      service: 'billing',
    });

    sims.faults.clear();
    const redriven = await aws<{ redriveDate?: string }>(
      runtime.sfnEndpoint,
      'stepfunctions',
      'redrive-execution',
      '--execution-arn',
      arn,
    );
    assert.ok(redriven.redriveDate, 'redrive-execution answers a redriveDate');
    assert.equal(await waitForTerminal(runtime.sfnClient, arn, Date.now() + 60_000), 'SUCCEEDED');
    const described = await aws<{ executionArn: string; status: string; redriveCount?: number }>(
      runtime.sfnEndpoint,
      'stepfunctions',
      'describe-execution',
      '--execution-arn',
      arn,
    );
    assert.deepEqual(
      [described.executionArn, described.status, described.redriveCount],
      [arn, 'SUCCEEDED', 1],
    );

    const calls = (service: string, route: string) =>
      sims.counters.requests({ correlationId: started.correlation_id, service, route });
    const counters = {
      create_user: calls('user', 'POST /users'),
      preferences: calls('preferences', 'POST /users/{id}/preferences'),
      billing_after_redrive: calls('billing', 'POST /profiles') - billingBefore,
      welcome: calls('notification', 'POST /notifications/welcome'),
      activate: calls('user', 'PATCH /users/{id}/status'),
    };
    const scheduled = scheduledPerStep(await historyOf(runtime.sfnClient, arn));
    console.log(
      `PROOF aws-cli-redrive: FAILED -> aws stepfunctions redrive-execution -> ${described.status} on the same ARN ` +
        `(redriveCount=${described.redriveCount}); billing calls before=${billingBefore} after=${counters.billing_after_redrive}; ` +
        `create_user=${counters.create_user} preferences=${counters.preferences} welcome=${counters.welcome} activate=${counters.activate}; ` +
        `lambda scheduled per step ${JSON.stringify(scheduled)}`,
    );
    assert.deepEqual(counters, {
      create_user: 1,
      preferences: 1,
      billing_after_redrive: 1,
      welcome: 1,
      activate: 1,
    });
    assert.equal(scheduled.create_user_account, 1, 'create_user_account did not run again');
    assert.equal(scheduled.initialize_preferences, 1, 'the succeeded Parallel branch did not run again');
    assert.deepEqual(sims.counters.duplicates(), []);
  });
});
