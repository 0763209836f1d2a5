import * as z from 'zod/mini';
import { createStepHandler, defineStep, type StepContext } from '../../runtime/step-handler.ts';
import { correlationIdSchema } from './registration-state.ts';
import { STEP as FORWARD_STEP } from './send-welcome-sequence.ts';
import { requireCompensation } from './undo.ts';

/** The step this module compensates (`compensate: {handler_class: UndoSendWelcomeSequenceHandler}`). */
export const STEP = FORWARD_STEP;

export const undoSendWelcomeSequenceInput = z.object({
  correlation_id: correlationIdSchema,
  steps: z.object({
    send_welcome_sequence: z.object({
      status: z.string(),
      sequence_id: z.optional(z.string()),
    }),
  }),
});
export type UndoSendWelcomeSequenceInput = z.infer<typeof undoSendWelcomeSequenceInput>;

export interface UndoSendWelcomeSequenceResult {
  sequence_id?: string;
  /** `cancelled` now, `already_undone` (404), or `nothing_to_undo` (not ours, or no id). */
  status: 'cancelled' | 'already_undone' | 'nothing_to_undo';
  [key: string]: unknown;
}

/**
 * POST /notifications/welcome/{id}/cancel: the registration failed, so the welcome sequence it
 * scheduled sends nothing more. A sequence the step found `already_sent` belongs to an earlier
 * registration and is left alone. A 404 is success: nothing to cancel.
 */
export async function undoSendWelcomeSequence(
  input: UndoSendWelcomeSequenceInput,
  ctx: StepContext,
): Promise<UndoSendWelcomeSequenceResult> {
  requireCompensation(ctx);
  const { status: sent, sequence_id: sequenceId } = input.steps.send_welcome_sequence;
  if (sent !== 'sent' || sequenceId === undefined) {
    // No undefined values: the result is stored as the compensation's idempotency record.
    return {
      ...(sequenceId === undefined ? {} : { sequence_id: sequenceId }),
      status: 'nothing_to_undo',
      step_status: sent,
    };
  }
  const { status } = await ctx.http.request(
    'POST',
    `/notifications/welcome/${encodeURIComponent(sequenceId)}/cancel`,
    { notFound: 'resolve', responseBody: 'json-or-null' },
  );
  return { sequence_id: sequenceId, status: status === 404 ? 'already_undone' : 'cancelled' };
}

/** The compensation as the runtime runs it; tests build handlers from it with an explicit environment. */
export const definition = defineStep({
  step: STEP,
  inputSchema: undoSendWelcomeSequenceInput,
  run: undoSendWelcomeSequence,
});

/** The Lambda entry point (template metadata `Stepflow:Handler`): runtime middlewares around the logic above. */
export const handler = createStepHandler(definition);
