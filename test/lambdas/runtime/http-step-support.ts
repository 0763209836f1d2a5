import { randomUUID } from 'node:crypto';
import { after, before, beforeEach } from 'node:test';
import { ENV, type HttpStepResult } from '../../../lambdas/contracts.ts';
import type { Env } from '../../../lambdas/runtime/config.ts';
import { definition } from '../../../lambdas/runtime/http-step.ts';
import {
  buildHandler,
  lambdaContext,
  newCorrelationId,
  type RuntimeHarness,
  runtimeEnv,
  startRuntimeHarness,
} from '../step-harness.ts';
import { type ScriptedService, startScriptedService } from './scripted-service.ts';

/** The step every HTTP step test runs as. */
export const STEP = 'charge_payment';

/** What an HTTP step test file works with. */
export interface HttpStepSuite {
  readonly harness: RuntimeHarness;
  readonly service: ScriptedService;
  /** The stack's environment of the step, pointed at the scripted service. */
  env(overrides?: Env): Env;
  /** Invokes the built-in handler as Step Functions does (a fresh handler: a cold start). */
  invoke(request: unknown, options?: InvokeOptions): Promise<HttpStepResult>;
}

/** Options of {@link HttpStepSuite.invoke}. */
export interface InvokeOptions {
  readonly correlationId?: string;
  readonly attempt?: number;
  readonly env?: Env;
  /** Invoke this handler instead of a fresh one. */
  readonly handler?: ReturnType<typeof buildHandler>;
}

/** The payload Step Functions sends an HTTP step: the contract's envelope plus `request`. */
export function httpStepPayload(
  request: unknown,
  correlationId: string,
  attempt = 0,
): Record<string, unknown> {
  return {
    workflow: 'order_fulfillment',
    step: STEP,
    attempt,
    execution_id: `arn:aws:states:us-east-1:123456789012:execution:order-fulfillment:${randomUUID()}`,
    state: { correlation_id: correlationId, order_id: 'ord-1' },
    ...(request === undefined ? {} : { request }),
  };
}

/**
 * The hooks of an HTTP step test file: dynalite, captured logs and a scripted service on
 * 127.0.0.1 for the file; before each test the service's default answer and an empty request log.
 */
export function useHttpStepSuite(): HttpStepSuite {
  let harness: RuntimeHarness | undefined;
  let service: ScriptedService | undefined;
  before(async () => {
    harness = await startRuntimeHarness();
    service = await startScriptedService();
  });
  after(async () => {
    await service?.close();
    await harness?.close();
  });
  beforeEach(() => {
    service!.received.length = 0;
    service!.answer(() => ({ status: 200, body: { ok: true } }));
  });
  const suite: HttpStepSuite = {
    get harness() {
      return harness!;
    },
    get service() {
      return service!;
    },
    env: (overrides = {}) =>
      runtimeEnv(harness!, STEP, {
        [ENV.workflowName]: 'order_fulfillment',
        [ENV.serviceName]: 'payments',
        [ENV.serviceUrl]: service!.url,
        // These tests pin the HTTP policy one call at a time; the breaker has its own tests.
        [ENV.circuitBreaker]: 'off',
        ...overrides,
      }),
    invoke: (request, options = {}) => {
      const handler = options.handler ?? buildHandler(harness!, definition, suite.env(options.env));
      const payload = httpStepPayload(request, options.correlationId ?? newCorrelationId(), options.attempt);
      return handler(payload, lambdaContext(STEP)) as unknown as Promise<HttpStepResult>;
    },
  };
  return suite;
}
