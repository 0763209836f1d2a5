import * as z from 'zod/mini';
import { createStepHandler, defineStep, type StepContext } from '../../runtime/step-handler.ts';
import { type Preferences, resolvePreferences } from './plan-defaults.ts';
import {
  correlationIdSchema,
  createdUserSchema,
  planOnlySchema,
  requestedPreferencesSchema,
} from './registration-state.ts';

/** The step's name in the workflow file. */
export const STEP = 'initialize_preferences';

export const initializePreferencesInput = z.object({
  correlation_id: correlationIdSchema,
  user_info: planOnlySchema,
  preferences: z.optional(requestedPreferencesSchema),
  steps: z.object({ create_user_account: createdUserSchema }),
});
export type InitializePreferencesInput = z.infer<typeof initializePreferencesInput>;

export interface InitializePreferencesResult {
  status: 'initialized';
  preferences_source: 'service';
  user_id: string;
  plan: string;
  preferences: Preferences;
  preferences_count: number;
  [key: string]: unknown;
}

/**
 * Stores the plan's default preferences merged with the request's. When the service keeps
 * failing, the state machine's fallback (YAML `on_failure: continue`) records
 * `{status: 'defaults_applied', fallback_used: true, ...}` instead and later steps apply the same
 * defaults from plan-defaults.ts.
 */
export async function initializePreferences(
  input: InitializePreferencesInput,
  ctx: StepContext,
): Promise<InitializePreferencesResult> {
  const userId = input.steps.create_user_account.user_id;
  const preferences = resolvePreferences(input.user_info.plan, input.preferences);
  await ctx.http.request('POST', `/users/${encodeURIComponent(userId)}/preferences`, {
    body: { preferences },
  });
  return {
    status: 'initialized',
    preferences_source: 'service',
    user_id: userId,
    plan: input.user_info.plan,
    preferences,
    preferences_count: Object.keys(preferences).length,
  };
}

/** The step as the runtime runs it; tests build handlers from it with an explicit environment. */
export const definition = defineStep({
  step: STEP,
  inputSchema: initializePreferencesInput,
  run: initializePreferences,
});

/** The Lambda entry point (template metadata `Stepflow:Handler`): runtime middlewares around the logic above. */
export const handler = createStepHandler(definition);
