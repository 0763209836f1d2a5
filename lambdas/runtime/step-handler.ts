import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy, { type MiddlewareObj, type Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { KEY_PREFIX } from '../contracts.ts';
import { dynamoBreakerStore, dynamoRetrierWaits } from './breaker-store.ts';
import { type Env, readStepConfig, type StepConfig } from './config.ts';
import { sharedDynamoClient } from './dynamodb.ts';
import { stepIdempotency } from './idempotency.ts';
import { createStepLogger } from './logger.ts';
import { createStepMetrics } from './metrics.ts';
import {
  type Invocation,
  reportReplay,
  type StepContext,
  type StepState,
  stepLifecycle,
} from './step-lifecycle.ts';

export type { StepContext } from './step-lifecycle.ts';

/** Every step result carries the correlation ID (docs/architecture.md, "State document"). */
export type StepResult = Record<string, unknown> & { correlation_id?: string };

/** What a step is: its name, the part of the state it reads, and its business logic. */
export interface StepDefinition<S extends z.ZodMiniType<StepState>> {
  /**
   * The step name in the workflow file, e.g. `create_user_account`; `STEP_NAME` wins over it.
   * @default `STEP_NAME` (required then: a handler shared by many steps names none)
   */
  readonly step?: string;
  /** Schema of `state` (the execution input plus earlier steps' results) this step needs. */
  readonly inputSchema: S;
  /** The business logic: plain, testable without middy. */
  readonly run: (input: z.infer<S>, ctx: StepContext) => Promise<StepResult>;
  /**
   * For a function shared by many steps: the variables this invocation's payload carries for its
   * step, laid over the environment (`{...env, ...payloadEnv(event)}`); undefined when it carries
   * none. Each distinct set gets a configuration and middy chain of its own, built once.
   * @default none: the environment alone configures the function
   */
  readonly payloadEnv?: (event: unknown, env: Env) => Env | undefined;
}

/** Types a step definition (the identity: it lets TypeScript infer the schema once). */
export function defineStep<S extends z.ZodMiniType<StepState>>(
  definition: StepDefinition<S>,
): StepDefinition<S> {
  return definition;
}

/** Options for {@link createStepHandler}: the step, and where its configuration comes from. */
export interface StepHandlerOptions<S extends z.ZodMiniType<StepState>> extends StepDefinition<S> {
  /**
   * The environment the configuration is read from, once, on the first invocation (the cold
   * start); later changes to it are not seen. Tests pass one per handler instead of changing
   * `process.env`.
   * @default process.env
   */
  readonly env?: Env;
  /**
   * DynamoDB client of step idempotency and the circuit breaker (tests pass dynalite's).
   * @default one client per process in the configured region, honouring `AWS_ENDPOINT_URL_DYNAMODB`
   */
  readonly dynamodb?: DynamoDBClient;
}

/** A Lambda handler for a step. */
export type StepHandler = (event: unknown, context: Context) => Promise<StepResult>;

/**
 * Builds a step Lambda: `middy(run).use(lifecycle).use(idempotency)`, where `lifecycle` validates
 * the payload, sets the log keys, flushes metrics and gives errors the names the state machine
 * matches, and idempotency returns a completed step's stored result without calling the service.
 * Every call of the step's service client goes through the service's shared circuit breaker
 * (`CIRCUIT_BREAKER`, in the workflow table; off without a table).
 * The configuration is read on the first invocation, as a Lambda cold start would, and the
 * middy chain built from it serves every later invocation. A configuration error fails that
 * invocation (`PermanentError` `CONFIGURATION_ERROR`) and is read again on the next one.
 *
 * @example
 * export const definition = defineStep({ step: 'create_user_account', inputSchema, run: createUserAccount });
 * export const handler = createStepHandler(definition);
 * // in a test: createStepHandler({ ...definition, env: { SERVICE_URL: ..., ... } })
 */
export function createStepHandler<S extends z.ZodMiniType<StepState>>(
  opts: StepHandlerOptions<S>,
): StepHandler {
  const env = opts.env ?? process.env;
  let chain: StepHandler | undefined;
  const perStep = new Map<string, StepHandler>();
  return async (event, context) => {
    const overlay = opts.payloadEnv?.(event, env);
    if (overlay === undefined) {
      chain ??= buildChain(opts, readStepConfig(opts.step, env));
      return chain(event, context);
    }
    const key = JSON.stringify(Object.entries(overlay).sort(([a], [b]) => (a < b ? -1 : 1)));
    let own = perStep.get(key);
    if (own === undefined) {
      own = buildChain(opts, readStepConfig(opts.step, { ...env, ...overlay }));
      // A shared function serves a bounded set of steps; the bound only guards against a payload
      // that varies its variables on every call.
      if (perStep.size >= MAX_PAYLOAD_CONFIGS) perStep.delete(perStep.keys().next().value as string);
      perStep.set(key, own);
    }
    return own(event, context);
  };
}

/** Configurations a function shared by many steps keeps built (one per step it serves). */
const MAX_PAYLOAD_CONFIGS = 1000;

function envelopeSchema(inputSchema: z.ZodMiniType): z.ZodMiniType {
  return z.object({
    workflow: z.optional(z.string()),
    step: z.optional(z.string()),
    attempt: z.optional(z.int().check(z.nonnegative())),
    execution_id: z.optional(z.string()),
    state: inputSchema,
    request: z.optional(z.unknown()),
  });
}

function buildChain<S extends z.ZodMiniType<StepState>>(
  opts: StepHandlerOptions<S>,
  config: StepConfig,
): StepHandler {
  // One logger per configuration: an invocation's own keys are temporary (stepLifecycle).
  const logger = createStepLogger({ service: config.service, logLevel: config.logLevel });
  logger.appendPersistentKeys({ workflow: config.workflow, step: config.step });
  const metrics = createStepMetrics({ ...config, namespace: config.metricsNamespace });
  const invocations = new WeakMap<Request, Invocation>();
  const invocationOf = (request: Request): Invocation => {
    let invocation = invocations.get(request);
    if (invocation === undefined) {
      invocation = { logger, started: performance.now() };
      invocations.set(request, invocation);
    }
    return invocation;
  };
  // middy hands the handler (event, context) only; the invocation is reachable through a
  // per-context link set by the innermost middleware.
  const byContext = new WeakMap<object, Invocation>();
  const link: MiddlewareObj = {
    before: (request) => {
      byContext.set(request.context, invocationOf(request));
    },
  };
  const run = async (_event: unknown, context: Context): Promise<StepResult> => {
    const invocation = byContext.get(context)!;
    const ctx = invocation.stepContext!;
    const result = await opts.run(invocation.payload!.state as z.infer<S>, ctx);
    return withoutUndefined({ ...result, correlation_id: ctx.correlationId }) as StepResult;
  };

  // The breaker lives in the workflow table: without one (ad-hoc runs) there is no breaker.
  const keyPrefix = config.functionName ?? `${config.workflow}.${config.step}`;
  const breakerOn = config.circuitBreaker !== 'off';
  const tableName = config.tableName;
  const needsClient = tableName !== undefined && (breakerOn || config.honorRetryAfter);
  const client = needsClient ? (opts.dynamodb ?? sharedDynamoClient(config.region)) : undefined;
  const breakerStore =
    tableName !== undefined && client !== undefined && breakerOn
      ? dynamoBreakerStore({ client, tableName })
      : undefined;
  // In-progress waits happen with the breaker off too, so the count does not depend on it.
  const retrierWaits =
    tableName !== undefined && client !== undefined && config.honorRetryAfter
      ? dynamoRetrierWaits({
          client,
          tableName,
          // The step's own record partition, the one Powertools writes (and its role may).
          partition: `${KEY_PREFIX.stepRecord}${keyPrefix}`,
          ttlSeconds: config.idempotencyTtlSeconds,
        })
      : undefined;
  const chain = middy(run).use(
    stepLifecycle({
      config,
      logger,
      metrics,
      payloadSchema: envelopeSchema(opts.inputSchema),
      invocationOf,
      breakerStore,
      retrierWaits,
    }),
  );
  if (config.tableName !== undefined) {
    chain.use(
      stepIdempotency({
        tableName: config.tableName,
        ttlSeconds: config.idempotencyTtlSeconds,
        keyPrefix,
        region: config.region,
        ...(opts.dynamodb === undefined ? {} : { client: opts.dynamodb }),
        onReplay: (request) => reportReplay(invocationOf(request), metrics),
      }),
    );
  }
  chain.use(link);
  return chain as unknown as StepHandler;
}

/**
 * The result as Step Functions will see it (the Lambda runtime's JSON drops `undefined`), so the
 * idempotency record can store it: DynamoDB's marshaller refuses `undefined` values, which would
 * fail a step whose call already succeeded (`{billing_id: undefined}` from an answer without id).
 */
function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : withoutUndefined(item)));
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) {
    return value;
  }
  const out: Record<string, unknown> = {};
  // defineProperty, not `out[key] =`: a service answering with a `__proto__` key must stay data.
  for (const [key, item] of Object.entries(value))
    if (item !== undefined)
      Object.defineProperty(out, key, {
        value: withoutUndefined(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  return out;
}
