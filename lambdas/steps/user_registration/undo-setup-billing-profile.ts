import * as z from 'zod/mini';
import { createStepHandler, defineStep, type StepContext } from '../../runtime/step-handler.ts';
import { correlationIdSchema } from './registration-state.ts';
import { STEP as FORWARD_STEP } from './setup-billing-profile.ts';
import { requireCompensation } from './undo.ts';

/** The step this module compensates (`compensate: {handler_class: UndoSetupBillingProfileHandler}`). */
export const STEP = FORWARD_STEP;

export const undoSetupBillingProfileInput = z.object({
  correlation_id: correlationIdSchema,
  steps: z.object({
    setup_billing_profile: z.object({
      status: z.string(),
      billing_id: z.optional(z.string()),
    }),
  }),
});
export type UndoSetupBillingProfileInput = z.infer<typeof undoSetupBillingProfileInput>;

export interface UndoSetupBillingProfileResult {
  billing_id?: string;
  /**
   * `cancelled` now, `already_undone` (404), or `nothing_to_undo` (a free plan, a profile that
   * existed before this registration, or no id to cancel).
   */
  status: 'cancelled' | 'already_undone' | 'nothing_to_undo';
  [key: string]: unknown;
}

/**
 * POST /profiles/{id}/cancel: the registration failed, so the billing profile it created is
 * cancelled (nothing is charged). Free plans made none; a profile the step found `already_exists`
 * was made by an earlier registration and is left alone. A 404 is success: nothing to cancel.
 */
export async function undoSetupBillingProfile(
  input: UndoSetupBillingProfileInput,
  ctx: StepContext,
): Promise<UndoSetupBillingProfileResult> {
  requireCompensation(ctx);
  const { status: created, billing_id: billingId } = input.steps.setup_billing_profile;
  if (created !== 'created' || billingId === undefined) {
    // No undefined values: the result is stored as the compensation's idempotency record.
    return {
      ...(billingId === undefined ? {} : { billing_id: billingId }),
      status: 'nothing_to_undo',
      step_status: created,
    };
  }
  const { status } = await ctx.http.request('POST', `/profiles/${encodeURIComponent(billingId)}/cancel`, {
    notFound: 'resolve',
    responseBody: 'json-or-null',
  });
  return { billing_id: billingId, status: status === 404 ? 'already_undone' : 'cancelled' };
}

/** The compensation as the runtime runs it; tests build handlers from it with an explicit environment. */
export const definition = defineStep({
  step: STEP,
  inputSchema: undoSetupBillingProfileInput,
  run: undoSetupBillingProfile,
});

/** The Lambda entry point (template metadata `Stepflow:Handler`): runtime middlewares around the logic above. */
export const handler = createStepHandler(definition);
