import * as z from 'zod/mini';
import { createStepHandler, defineStep, type StepContext } from '../../runtime/step-handler.ts';
import { STEP as FORWARD_STEP } from './create-user-account.ts';
import { correlationIdSchema } from './registration-state.ts';
import { requireCompensation } from './undo.ts';

/** The step this module compensates (`compensate: {handler_class: UndoCreateUserAccountHandler}`). */
export const STEP = FORWARD_STEP;

export const undoCreateUserAccountInput = z.object({
  correlation_id: correlationIdSchema,
  steps: z.object({
    create_user_account: z.object({
      user_id: z.string().check(z.minLength(1)),
      status: z.optional(z.string()),
    }),
  }),
});
export type UndoCreateUserAccountInput = z.infer<typeof undoCreateUserAccountInput>;

export interface UndoCreateUserAccountResult {
  user_id: string;
  /** `deleted` now, `already_undone` (404: a retry or a second run), or `kept` (not ours to delete). */
  status: 'deleted' | 'already_undone' | 'kept';
  [key: string]: unknown;
}

/**
 * DELETE /users/{id}: the registration failed, so the account it created goes (its email is free
 * again). A user the step found `already_exists` belongs to an earlier registration and is kept.
 * A 404 means it is already gone: success, so a retried or repeated undo changes nothing.
 */
export async function undoCreateUserAccount(
  input: UndoCreateUserAccountInput,
  ctx: StepContext,
): Promise<UndoCreateUserAccountResult> {
  requireCompensation(ctx);
  const { user_id: userId, status: created } = input.steps.create_user_account;
  if (created === 'already_exists') {
    ctx.logger.info('user existed before this registration; keeping it');
    return { user_id: userId, status: 'kept' };
  }
  const { status } = await ctx.http.request('DELETE', `/users/${encodeURIComponent(userId)}`, {
    notFound: 'resolve',
    responseBody: 'json-or-null',
  });
  return { user_id: userId, status: status === 404 ? 'already_undone' : 'deleted' };
}

/** The compensation as the runtime runs it; tests build handlers from it with an explicit environment. */
export const definition = defineStep({
  step: STEP,
  inputSchema: undoCreateUserAccountInput,
  run: undoCreateUserAccount,
});

/** The Lambda entry point (template metadata `Stepflow:Handler`): runtime middlewares around the logic above. */
export const handler = createStepHandler(definition);
