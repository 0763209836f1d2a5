import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, beforeEach } from 'node:test';
import type { Context } from 'aws-lambda';
import { createWorkflowTable, type LocalDynamo, startDynalite } from '../../local/dynamo.ts';
import {
  type ServiceName,
  type Simulators,
  startSimulators,
} from '../../local/simulators/user_registration/index.ts';

/** Shared set-up of the handler tests: dynalite with the table, the simulators, captured logs. */
export interface StepHarness {
  readonly sims: Simulators;
  readonly dynamo: LocalDynamo;
  readonly tableName: string;
  /** Every JSON line written to stdout/stderr (logs, EMF) since the harness started. */
  readonly lines: string[];
  close(): Promise<void>;
}

const STEP_SERVICES: Readonly<Record<string, ServiceName>> = {
  create_user_account: 'user',
  setup_billing_profile: 'billing',
  initialize_preferences: 'preferences',
  send_welcome_sequence: 'notification',
  update_user_status: 'user',
};

/**
 * Starts dynalite and the simulators and points the step runtime at them through the same
 * environment variables the stack and the offline runtime set. JSON lines on stdout/stderr are
 * captured (and kept out of the test report) so tests can inspect logs and metrics.
 */
export async function startStepHarness(): Promise<StepHarness> {
  const dynamo = await startDynalite();
  const tableName = 'stepflow-test';
  await createWorkflowTable(dynamo.client, tableName);
  const sims = await startSimulators({ seed: 7 });
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    TABLE_NAME: tableName,
    WORKFLOW_NAME: 'user_registration',
    POWERTOOLS_METRICS_NAMESPACE: 'StepflowTest',
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
  });
  const lines: string[] = [];
  const restore = captureJsonLines(lines);
  return {
    sims,
    dynamo,
    tableName,
    lines,
    async close() {
      restore();
      await sims.close();
      await dynamo.close();
    },
  };
}

/** Environment of one step, as the stack sets it, with small timeouts so the suite stays fast. */
export function useStep(harness: StepHarness, step: string, overrides: Record<string, string> = {}): void {
  const service = STEP_SERVICES[step];
  if (service === undefined) throw new Error(`no service known for step ${step}`);
  Object.assign(process.env, {
    STEP_NAME: step,
    SERVICE_NAME: service,
    SERVICE_URL: harness.sims.urls[service],
    REQUEST_TIMEOUT_MS: '2000',
    RETRY_LIMIT: '3',
    HONOR_RETRY_AFTER: step === 'send_welcome_sequence' ? 'true' : 'false',
    MAX_RETRY_AFTER_SECONDS: '60',
    IDEMPOTENCY_TTL_SECONDS: '3600',
    ...overrides,
  });
}

/** A Lambda context shaped like the Node.js runtime's, with a real deadline. */
export function lambdaContext(step: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  const functionName = `user-registration-${step.replaceAll('_', '-')}`;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/01/01/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A fresh correlation ID in the start endpoint's format. */
export function newCorrelationId(): string {
  return `reg_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
}

/** The payload Step Functions sends (Task `Parameters` in docs/architecture.md). */
export function stepPayload(
  step: string,
  state: Record<string, unknown>,
  attempt = 0,
): Record<string, unknown> {
  return {
    workflow: 'user_registration',
    step,
    attempt,
    execution_id: `arn:aws:states:us-east-1:123456789012:execution:user-registration:${randomUUID()}`,
    state,
  };
}

/** Registration state with schema defaults applied; `user_info` fields override. */
export function registrationState(
  userInfo: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> & { correlation_id: string; user_info: Record<string, unknown> } {
  const suffix = randomBytes(3).toString('hex');
  return {
    correlation_id: newCorrelationId(),
    user_info: {
      email: `jane.doe.${suffix}@example.com`,
      name: `Jane Doe ${suffix}`,
      phone: '+1 555 010 4477',
      plan: 'free',
      source: 'web',
      ...userInfo,
    },
    ...extra,
  };
}

/** Polls `condition` every 5 ms for up to `limitMs` (bounded), failing the test if it never holds. */
export async function until(condition: () => boolean, limitMs = 3000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not reached within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The error a handler rejected with (fails the test if it resolved). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { errorCode?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the handler to fail, but it succeeded');
}

function captureJsonLines(lines: string[]): () => void {
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write);
  streams.forEach((stream, i) => {
    const original = originals[i]!;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string' && chunk.startsWith('{')) {
        for (const line of chunk.split('\n')) if (line.trim() !== '') lines.push(line);
        const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }
      return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    }) as typeof stream.write;
  });
  return () => {
    streams.forEach((stream, i) => {
      stream.write = originals[i]!;
    });
  };
}

/**
 * The hooks every handler test file needs: one harness for the file (closed at the end), and
 * before each test no faults and the step's default environment. `onStart` receives the harness.
 */
export function useStepSuite(step: string, onStart: (harness: StepHarness) => void): void {
  let harness: StepHarness | undefined;
  before(async () => {
    harness = await startStepHarness();
    onStart(harness);
  });
  after(() => harness?.close());
  beforeEach(() => {
    harness!.sims.faults.clear();
    useStep(harness!, step);
  });
}
