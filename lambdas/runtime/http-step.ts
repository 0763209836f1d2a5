/**
 * The built-in handler of declarative HTTP steps (`HTTP_STEP_ENTRY`): a step with
 * `handler_config.request` and no `handler:` module. Step Functions has already resolved the
 * request's `.$` keys, so the payload's `request` is plain data; this module checks it and sends
 * it through the same runtime as a module step (correlation ID, Idempotency-Key, HTTP policy,
 * Retry-After, timeouts, step idempotency, PII-safe logs). docs/handlers.md has the tables.
 */
import * as z from 'zod/mini';
import {
  type HttpStepResult,
  SHARED_HTTP_STEPS_ENV,
  STEP_CONFIG_PAYLOAD_KEY,
  STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES,
} from '../contracts.ts';
import type { Env } from './config.ts';
import { PermanentError, RUNTIME_ERROR_CODES } from './errors.ts';
import { checkHttpStepRequest } from './http-step-request.ts';
import { createStepHandler, defineStep, type StepContext } from './step-handler.ts';

/** An HTTP step reads nothing from the state but the correlation ID: its request is already mapped. */
const httpStepState = z.object({ correlation_id: z.string().check(z.minLength(1)) });

/**
 * Sends the step's request to `SERVICE_URL` + path and returns `{status, body}` (the runtime adds
 * `correlation_id`). A 409 fails the step (`PermanentError` `CONFLICT`): unlike a module step, an
 * HTTP step has no logic that could tell "already done" from a real conflict. The body is the
 * answer's JSON, or null when it was empty or not JSON (whatever its Content-Type says).
 *
 * A step's `compensate: {request}` runs here too, with the payload's `step` = `undoStepId(step)`:
 * its own Idempotency-Key and step record, and a 404 is success (`{status: 404, ...}`: already
 * undone), so a compensation retried after a lost answer, or run twice, still succeeds.
 */
export async function runHttpStep(
  _state: z.infer<typeof httpStepState>,
  ctx: StepContext,
): Promise<Omit<HttpStepResult, 'correlation_id'>> {
  const request = checkHttpStepRequest(ctx.request);
  const { status, body } = await ctx.http.request(request.method, request.path, {
    query: request.query,
    headers: request.headers,
    conflict: 'fail',
    // A compensation whose target is gone has nothing left to undo: done, not failed.
    notFound: ctx.compensating ? 'resolve' : 'fail',
    responseBody: 'json-or-null',
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  const result = { status, body };
  checkResultSize(result, ctx, `${request.method} ${request.path}`);
  return result;
}

/**
 * A result Step Functions cannot carry would fail the execution with an opaque
 * `States.DataLimitExceeded` after the call; fail the step instead, naming the call and the limit.
 * (The whole state must fit too, so this is the upper bound, not a guarantee.)
 */
function checkResultSize(
  result: Omit<HttpStepResult, 'correlation_id'>,
  ctx: StepContext,
  call: string,
): void {
  const bytes = Buffer.byteLength(JSON.stringify({ ...result, correlation_id: ctx.correlationId }));
  if (bytes > STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES) {
    throw new PermanentError(
      RUNTIME_ERROR_CODES.responseTooLarge,
      `${call} answered ${result.status} with a result of ${bytes} bytes; a step result must stay under ` +
        `Step Functions' ${STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES} bytes (use a module step that keeps what it needs)`,
    );
  }
}

/** The HTTP step as the runtime runs it: no step name of its own, `STEP_NAME` says which step. */
export const definition = defineStep({
  inputSchema: httpStepState,
  run: runHttpStep,
  // One function shared by a workflow's HTTP steps (the stack's choice past CloudFormation's
  // resource limit): each step's own variables arrive in its Task payload.
  payloadEnv: (event, env) =>
    env[SHARED_HTTP_STEPS_ENV] === 'true'
      ? ((event as Record<string, unknown> | null)?.[STEP_CONFIG_PAYLOAD_KEY] as Env | undefined)
      : undefined,
});

/** The Lambda entry point (template metadata `Stepflow:Handler`) of every declarative HTTP step. */
export const handler = createStepHandler(definition);
