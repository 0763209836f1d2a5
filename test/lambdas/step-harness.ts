import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, beforeEach } from 'node:test';
import type { Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { generateCorrelationId } from '../../lambdas/api/start-execution.ts';
import { ENV } from '../../lambdas/contracts.ts';
import type { Env } from '../../lambdas/runtime/config.ts';
import {
  createStepHandler,
  type StepDefinition,
  type StepHandler,
} from '../../lambdas/runtime/step-handler.ts';
import type { StepState } from '../../lambdas/runtime/step-lifecycle.ts';
import { createWorkflowTable, type LocalDynamo, startDynalite } from '../../local/dynamo.ts';
import {
  type ServiceName,
  type Simulators,
  startSimulators,
} from '../../local/simulators/user_registration/index.ts';

/** What every handler test needs: dynalite with the table and the captured log lines. */
export interface RuntimeHarness {
  readonly dynamo: LocalDynamo;
  readonly tableName: string;
  /** Every JSON line written to stdout/stderr (logs, EMF) since the harness started. */
  readonly lines: string[];
  close(): Promise<void>;
}

/** The flagship's handler tests: the runtime harness plus the four service simulators. */
export interface StepHarness extends RuntimeHarness {
  readonly sims: Simulators;
}

const STEP_SERVICES: Readonly<Record<string, ServiceName>> = {
  create_user_account: 'user',
  setup_billing_profile: 'billing',
  initialize_preferences: 'preferences',
  send_welcome_sequence: 'notification',
  update_user_status: 'user',
};

/**
 * Starts dynalite with the workflow table and captures JSON lines on stdout/stderr (kept out of
 * the test report) so tests can inspect logs and metrics. Nothing is written to `process.env`:
 * handlers get their environment through {@link buildHandler}.
 */
export async function startRuntimeHarness(): Promise<RuntimeHarness> {
  const dynamo = await startDynalite();
  const tableName = 'stepflow-test';
  await createWorkflowTable(dynamo.client, tableName);
  const lines: string[] = [];
  const restore = captureJsonLines(lines);
  return {
    dynamo,
    tableName,
    lines,
    async close() {
      restore();
      await dynamo.close();
    },
  };
}

/** {@link startRuntimeHarness} plus the flagship's simulators. */
export async function startStepHarness(): Promise<StepHarness> {
  const runtime = await startRuntimeHarness();
  const sims = await startSimulators({ seed: 7 });
  return {
    ...runtime,
    sims,
    async close() {
      await sims.close();
      await runtime.close();
    },
  };
}

/**
 * The environment the stack gives a step function, without its service: small timeouts so the
 * suite stays fast. `overrides` win; an override of `undefined` removes the variable.
 */
export function runtimeEnv(harness: RuntimeHarness, step: string, overrides: Env = {}): Env {
  return {
    [ENV.tableName]: harness.tableName,
    [ENV.workflowName]: 'user_registration',
    [ENV.stepName]: step,
    [ENV.requestTimeoutMs]: '2000',
    [ENV.retryLimit]: '3',
    [ENV.honorRetryAfter]: 'false',
    [ENV.maxRetryAfterSeconds]: '60',
    [ENV.idempotencyTtlSeconds]: '3600',
    [ENV.powertoolsMetricsNamespace]: 'StepflowTest',
    [ENV.powertoolsLogLevel]: 'DEBUG',
    ...overrides,
  };
}

/** A flagship step's environment: {@link runtimeEnv} plus its simulator as the service. */
export function stepEnv(harness: StepHarness, step: string, overrides: Env = {}): Env {
  const service = STEP_SERVICES[step];
  if (service === undefined) throw new Error(`no service known for step ${step}`);
  return runtimeEnv(harness, step, {
    [ENV.serviceName]: service,
    [ENV.serviceUrl]: harness.sims.urls[service],
    [ENV.honorRetryAfter]: step === 'send_welcome_sequence' ? 'true' : 'false',
    ...overrides,
  });
}

/**
 * A handler of `definition` reading `env` (a fresh one is a cold start) with dynalite as the
 * idempotency store: the configuration seam, instead of changing `process.env`.
 */
export function buildHandler<S extends z.ZodMiniType<StepState>>(
  harness: RuntimeHarness,
  definition: StepDefinition<S>,
  env: Env,
): StepHandler {
  return createStepHandler({ ...definition, env, dynamodb: harness.dynamo.client });
}

/** Invokes a flagship step like Step Functions does, on a fresh handler with the step's environment. */
export function invokeStep<S extends z.ZodMiniType<StepState>>(
  harness: StepHarness,
  definition: StepDefinition<S>,
  state: Record<string, unknown>,
  options: { attempt?: number; env?: Env; timeoutMs?: number } = {},
): ReturnType<StepHandler> {
  const step = definition.step;
  if (step === undefined) throw new Error('invokeStep needs a step definition that names its step');
  const handler = buildHandler(harness, definition, stepEnv(harness, step, options.env));
  return handler(stepPayload(step, state, options.attempt), lambdaContext(step, options.timeoutMs));
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
  return generateCorrelationId();
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

/**
 * Where captured lines go: every harness open in this process (files sharing a process may have
 * several open at once, and each must see the lines its tests write). The streams are patched
 * while at least one is open.
 */
const captures = new Set<string[]>();
let restoreStreams: (() => void) | undefined;

function captureJsonLines(lines: string[]): () => void {
  captures.add(lines);
  restoreStreams ??= patchStreams();
  return () => {
    captures.delete(lines);
    if (captures.size === 0) {
      restoreStreams?.();
      restoreStreams = undefined;
    }
  };
}

function patchStreams(): () => void {
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write);
  streams.forEach((stream, i) => {
    const original = originals[i]!;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string' && chunk.startsWith('{')) {
        for (const line of chunk.split('\n'))
          if (line.trim() !== '') for (const lines of captures) lines.push(line);
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
 * The hooks every flagship handler test file needs: one harness for the file (closed at the end),
 * and no faults before each test. `onStart` receives the harness.
 */
export function useStepSuite(onStart: (harness: StepHarness) => void): void {
  let harness: StepHarness | undefined;
  before(async () => {
    harness = await startStepHarness();
    onStart(harness);
  });
  after(() => harness?.close());
  beforeEach(() => {
    harness!.sims.faults.clear();
  });
}
