import { LOGGER_KEY } from '@aws-lambda-powertools/commons';
import type { Logger } from '@aws-lambda-powertools/logger';
import middy, { type MiddlewareObj, type Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { readStepConfig, type StepConfig } from './config.ts';
import { applyRetryPolicy, normalizeStepError } from './errors.ts';
import { createServiceClient, deriveIdempotencyKey, type ServiceClient } from './http-client.ts';
import { stepIdempotency } from './idempotency.ts';
import { createStepLogger } from './logger.ts';
import { createStepMetrics, type StepMetrics } from './metrics.ts';
import { parseInput } from './validation.ts';

/** What every step's business logic gets besides its input. */
export interface StepContext {
  readonly step: string;
  readonly workflow: string;
  /** 0 on the first try. */
  readonly attempt: number;
  readonly correlationId: string;
  readonly config: StepConfig;
  /** Client for the step's downstream service (X-Correlation-ID, Idempotency-Key, HTTP policy). */
  readonly http: ServiceClient;
  readonly logger: Logger;
}

/** Every step result carries the correlation ID (docs/architecture.md, "State document"). */
export type StepResult = Record<string, unknown> & { correlation_id?: string };

/** The payload Step Functions sends each step Lambda (Task `Parameters`). */
export interface StepPayload<State> {
  readonly workflow: string;
  readonly step: string;
  readonly attempt: number;
  readonly execution_id?: string | undefined;
  readonly state: State;
}

/** Options for {@link createStepHandler}. */
export interface StepHandlerOptions<S extends z.ZodMiniType<{ correlation_id: string }>> {
  /** The step name in the workflow file, e.g. `create_user_account`. */
  readonly step: string;
  /** Schema of `state` (the execution input plus earlier steps' results) this step needs. */
  readonly inputSchema: S;
  /** The business logic: plain, testable without middy. */
  readonly run: (input: z.infer<S>, ctx: StepContext) => Promise<StepResult>;
}

/** A Lambda handler for a step. */
export type StepHandler = (event: unknown, context: Context) => Promise<StepResult>;

/** Per-invocation state the middlewares share. */
interface Invocation {
  /** A child of the chain's logger, so concurrent invocations in one process keep their own keys. */
  logger: Logger;
  readonly metrics: StepMetrics;
  readonly started: number;
  payload?: StepPayload<{ correlation_id: string }>;
  stepContext?: StepContext;
}

/**
 * Builds a step Lambda: `middy(run).use(lifecycle).use(idempotency)`, where `lifecycle` validates
 * the payload, sets the log keys, flushes metrics and gives errors the names the state machine
 * matches, and idempotency returns a completed step's stored result without calling the service.
 * Configuration is read from the environment on each invocation (one middy chain per distinct
 * configuration), so tests and the offline runtime can change it between calls.
 *
 * @example
 * export const handler = createStepHandler({ step: 'create_user_account', inputSchema, run: createUserAccount });
 */
export function createStepHandler<S extends z.ZodMiniType<{ correlation_id: string }>>(
  opts: StepHandlerOptions<S>,
): StepHandler {
  const payloadSchema = z.object({
    workflow: z.optional(z.string()),
    step: z.optional(z.string()),
    attempt: z.optional(z.int().check(z.nonnegative())),
    execution_id: z.optional(z.string()),
    state: opts.inputSchema,
  });
  const chains = new Map<string, StepHandler>();
  return async (event, context) => {
    const config = readStepConfig(opts.step);
    const id = JSON.stringify(config);
    let chain = chains.get(id);
    if (chain === undefined) {
      chain = buildChain(opts, config, payloadSchema);
      chains.set(id, chain);
    }
    return chain(event, context);
  };
}

function buildChain<S extends z.ZodMiniType<{ correlation_id: string }>>(
  opts: StepHandlerOptions<S>,
  config: StepConfig,
  payloadSchema: z.ZodMiniType,
): StepHandler {
  const logger = createStepLogger({ service: config.service });
  const metrics = createStepMetrics(config);
  const invocations = new WeakMap<Request, Invocation>();
  const current = (request: Request): Invocation => {
    let invocation = invocations.get(request);
    if (invocation === undefined) {
      invocation = { logger, metrics, started: performance.now() };
      invocations.set(request, invocation);
    }
    return invocation;
  };

  const lifecycle: MiddlewareObj = {
    before: (request) => {
      const invocation = current(request);
      invocation.logger = logger.createChild({
        persistentKeys: { workflow: config.workflow, step: config.step },
      });
      invocation.logger.addContext(request.context);
      const payload = parseInput(payloadSchema, request.event) as StepPayload<{ correlation_id: string }>;
      const attempt = payload.attempt ?? 0;
      const correlationId = payload.state.correlation_id;
      invocation.logger.appendPersistentKeys({ correlation_id: correlationId, attempt });
      const log = invocation.logger;
      invocation.payload = payload;
      invocation.stepContext = {
        step: config.step,
        workflow: config.workflow,
        attempt,
        correlationId,
        config,
        logger: log,
        http: createServiceClient({
          baseUrl: config.serviceUrl,
          timeoutMs: config.requestTimeoutMs,
          correlationId,
          idempotencyKey: deriveIdempotencyKey(correlationId, config.step),
          logger: log,
          metrics,
        }),
      };
      log.info('step started');
      // Runs instead of `after` when idempotency answers from its store (middy's early return).
      (request.internal as Record<string, unknown>)[LOGGER_KEY] = () => {
        log.info('step result replayed from the idempotency store', { duration_ms: elapsed(invocation) });
        metrics.flush();
      };
    },
    after: (request) => {
      const invocation = current(request);
      invocation.logger.info('step completed', { duration_ms: elapsed(invocation) });
      metrics.flush();
    },
    onError: (request) => {
      const invocation = current(request);
      const normalized = normalizeStepError(request.error);
      const error = applyRetryPolicy(normalized, {
        attempt: invocation.payload?.attempt ?? 0,
        retryLimit: config.retryLimit,
        honorRetryAfter: config.honorRetryAfter,
        maxRetryAfterSeconds: config.maxRetryAfterSeconds,
      });
      invocation.logger.warn('step failed', {
        duration_ms: elapsed(invocation),
        error_name: error.name,
        reason: error.message,
      });
      metrics.flush();
      request.error = error;
    },
  };

  const run = async (_event: unknown, context: Context): Promise<StepResult> => {
    const invocation = invocationFor(context);
    const ctx = invocation.stepContext!;
    const result = await opts.run(invocation.payload!.state as z.infer<S>, ctx);
    return { ...result, correlation_id: ctx.correlationId };
  };
  // middy hands the handler (event, context) only; the request object is reachable through a
  // per-context link set in `before`.
  const byContext = new WeakMap<object, Invocation>();
  const invocationFor = (context: Context): Invocation => byContext.get(context)!;
  const link: MiddlewareObj = {
    before: (request) => {
      byContext.set(request.context, current(request));
    },
  };

  const chain = middy(run).use(lifecycle);
  if (config.tableName !== undefined) {
    chain.use(
      stepIdempotency({
        tableName: config.tableName,
        ttlSeconds: config.idempotencyTtlSeconds,
        keyPrefix: process.env.AWS_LAMBDA_FUNCTION_NAME || `${config.workflow}.${config.step}`,
      }),
    );
  }
  chain.use(link);
  return chain as unknown as StepHandler;
}

function elapsed(invocation: Invocation): number {
  return Math.round(performance.now() - invocation.started);
}
