import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj, Request } from '@middy/core';
import type * as z from 'zod/mini';
import {
  CIRCUIT_OPEN_ERROR,
  IDEMPOTENCY_IN_PROGRESS_ERROR,
  RETRYABLE_ERROR,
  type StepPayload,
  undoStepId,
} from '../contracts.ts';
import type { BreakerStore, RetrierWaitStore } from './breaker-store.ts';
import { createBreakerGuard } from './circuit-breaker.ts';
import type { StepConfig } from './config.ts';
import { applyRetryPolicy, normalizeStepError } from './errors.ts';
import { createServiceClient, deriveIdempotencyKey, type ServiceClient } from './http-client.ts';
import type { EventProperties, StepMetrics } from './metrics.ts';
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
  /**
   * The payload's `request` as received, not validated: set for declarative HTTP steps (the
   * built-in handler validates it), undefined for module steps.
   */
  readonly request: unknown;
  /**
   * The payload's `step`: the step's name, or `undoStepId(step)` (`<step>:undo`) when this
   * invocation is the step's compensation.
   */
  readonly invocationStep: string;
  /** True when this invocation is the step's compensation (`compensate:`). */
  readonly compensating: boolean;
  /**
   * Emits the workflow's custom event `name` (declared in the YAML's `custom_events`) as one EMF
   * metric line, `properties` kept as metadata and PII-masked. An undeclared name throws
   * `PermanentError` `CONFIGURATION_ERROR`.
   *
   * @example
   * ctx.emit('order_validated', { order_id: input.order_id, items: 3 });
   */
  emit(name: string, properties?: EventProperties): void;
}

/** The state every step's schema must accept: the execution input always carries the correlation ID. */
export type StepState = { correlation_id: string };

/** Per-invocation state the middlewares and the handler share. */
export interface Invocation {
  /**
   * The configuration's logger. Its keys of one invocation (correlation ID, attempt, compensation)
   * are temporary keys, set in `before` and cleared when the invocation ends: a Lambda execution
   * environment, like each local sandbox, runs one invocation at a time.
   */
  readonly logger: Logger;
  readonly started: number;
  payload?: StepPayload<StepState>;
  stepContext?: StepContext;
}

/** What {@link stepLifecycle} works with: the configuration and the chain's logger and metrics. */
export interface LifecycleParts {
  readonly config: StepConfig;
  /** The configuration's logger, built once with `workflow` and `step` as persistent keys. */
  readonly logger: Logger;
  readonly metrics: StepMetrics;
  /** The envelope schema: `{workflow, step, attempt, execution_id, state, request}`. */
  readonly payloadSchema: z.ZodMiniType;
  /** The invocation of a middy request (created on first use). */
  readonly invocationOf: (request: Request) => Invocation;
  /**
   * Where the service's shared circuit breaker lives.
   * @default none: no breaker (no table, or `CIRCUIT_BREAKER=off`)
   */
  readonly breakerStore?: BreakerStore | undefined;
  /**
   * Steps with `honor_retry_after` (which enforce their retry limit themselves): where the
   * invocation's waits on Retriers of their own (an open breaker, an in-progress record) are
   * counted, so they do not spend the step's own retries.
   * @default none: every retry counts
   */
  readonly retrierWaits?: RetrierWaitStore | undefined;
}

/**
 * The outermost middleware of a step: `before` validates the payload, sets the log keys and
 * builds the step's context; `after` and `onError` log the outcome and flush metrics, and
 * `onError` gives the error the name the state machine's Retry/Catch blocks match.
 */
export function stepLifecycle(parts: LifecycleParts): MiddlewareObj {
  const { config, metrics } = parts;
  return {
    before: (request) => {
      const invocation = parts.invocationOf(request);
      const { logger } = invocation;
      // Whatever an earlier invocation left (one cut short before its end), this one starts clean.
      logger.resetKeys();
      logger.addContext(request.context);
      const payload = parseInput(parts.payloadSchema, request.event) as StepPayload<StepState>;
      invocation.payload = payload;
      invocation.stepContext = stepContextFor(parts, payload, logger);
      logger.appendKeys({
        correlation_id: invocation.stepContext.correlationId,
        attempt: invocation.stepContext.attempt,
        ...(invocation.stepContext.compensating ? { compensation: true } : {}),
      });
      logger.info('step started');
    },
    after: (request) => {
      const invocation = parts.invocationOf(request);
      invocation.logger.info('step completed', { duration_ms: elapsedMs(invocation) });
      metrics.flush();
      invocation.logger.resetKeys();
    },
    onError: async (request) => {
      const invocation = parts.invocationOf(request);
      const normalized = normalizeStepError(request.error);
      // Only RetryableError is renamed: an in-progress answer has a bounded Retrier of its own
      // (infra/workflow/retry.ts) and is never RetriesExhausted.
      const error = applyRetryPolicy(normalized, {
        attempt: await ownAttempt(parts, invocation, normalized),
        retryLimit: config.retryLimit,
        honorRetryAfter: config.honorRetryAfter,
        maxRetryAfterSeconds: config.maxRetryAfterSeconds,
      });
      invocation.logger.warn('step failed', {
        duration_ms: elapsedMs(invocation),
        error_name: error.name,
        reason: error.message,
      });
      metrics.flush();
      invocation.logger.resetKeys();
      request.error = error;
    },
  };
}

/**
 * The attempt as the step's own retry limit sees it: `$$.State.RetryCount` less the times this
 * invocation identity waited on a Retrier of its own: an open breaker (CircuitOpen) or another
 * invocation's in-progress record (IdempotencyAlreadyInProgressError), each with a budget of its
 * own. Counted only for steps that enforce their limit (`honor_retry_after`), and read only at
 * the limit; if the count cannot be read or written, every retry counts (logged).
 */
async function ownAttempt(parts: LifecycleParts, invocation: Invocation, error: Error): Promise<number> {
  const attempt = invocation.payload?.attempt ?? 0;
  const waits = parts.retrierWaits;
  const ctx = invocation.stepContext;
  if (!parts.config.honorRetryAfter || waits === undefined || ctx === undefined) return attempt;
  const id = `${ctx.correlationId}#${ctx.invocationStep}`;
  try {
    if (error.name === CIRCUIT_OPEN_ERROR || error.name === IDEMPOTENCY_IN_PROGRESS_ERROR) {
      await waits.add(id);
      return attempt;
    }
    if (error.name !== RETRYABLE_ERROR || attempt < parts.config.retryLimit) return attempt;
    return Math.max(0, attempt - (await waits.count(id)));
  } catch (failure) {
    invocation.logger.warn('own-Retrier waits not counted; every retry counts', {
      reason: failure instanceof Error ? `${failure.name}: ${failure.message}` : String(failure),
    });
    return attempt;
  }
}

/** The log line and metrics flush of an invocation answered from the idempotency store. */
export function reportReplay(invocation: Invocation, metrics: StepMetrics): void {
  invocation.logger.info('step result replayed from the idempotency store', {
    duration_ms: elapsedMs(invocation),
  });
  metrics.flush();
  invocation.logger.resetKeys();
}

function stepContextFor(parts: LifecycleParts, payload: StepPayload<StepState>, logger: Logger): StepContext {
  const { config, breakerStore } = parts;
  const correlationId = payload.state.correlation_id;
  const invocationStep = payload.step ?? config.step;
  const breaker =
    breakerStore === undefined || config.circuitBreaker === 'off'
      ? undefined
      : createBreakerGuard({
          service: config.service,
          settings: config.circuitBreaker,
          store: breakerStore,
          logger,
          metrics: parts.metrics,
          // Longer than one call may take, so a live probe keeps its lease to the end.
          probeLeaseMs: config.requestTimeoutMs + 1000,
        });
  return {
    step: config.step,
    workflow: config.workflow,
    attempt: payload.attempt ?? 0,
    correlationId,
    config,
    logger,
    request: payload.request,
    invocationStep,
    // Step names are identifiers, so only a compensation's payload ends in the undo suffix.
    compensating: invocationStep.endsWith(undoStepId('')),
    emit: (name, properties) => parts.metrics.emit(name, properties),
    http: createServiceClient({
      breaker,
      baseUrl: config.serviceUrl,
      timeoutMs: config.requestTimeoutMs,
      correlationId,
      // The payload's `step` is the invocation's idempotency identity, as for the step record
      // (STEP_IDEMPOTENCY_KEY_PATH): a compensation carries `<step>:undo` (undoStepId) and must
      // not replay the forward call's answer. It equals STEP_NAME for a step's own Task.
      idempotencyKey: deriveIdempotencyKey(correlationId, invocationStep),
      logger,
      metrics: parts.metrics,
    }),
  };
}

function elapsedMs(invocation: Invocation): number {
  return Math.round(performance.now() - invocation.started);
}
