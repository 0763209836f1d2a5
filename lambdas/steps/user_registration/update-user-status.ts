import * as z from 'zod/mini';
import { PermanentError } from '../../runtime/errors.ts';
import { createStepHandler, defineStep, type StepContext } from '../../runtime/step-handler.ts';
import {
  correlationIdSchema,
  createdUserSchema,
  effectivePreferences,
  planOnlySchema,
  preferencesResultSchema,
  requestedPreferencesSchema,
} from './registration-state.ts';

/** The step's name in the workflow file. */
export const STEP = 'update_user_status';

const stepResultSchema = z.looseObject({
  status: z.optional(z.string()),
  fallback_used: z.optional(z.boolean()),
});

export const updateUserStatusInput = z.object({
  correlation_id: correlationIdSchema,
  user_info: planOnlySchema,
  preferences: z.optional(requestedPreferencesSchema),
  steps: z.catchall(
    z.object({
      create_user_account: z.extend(createdUserSchema, { created_at: z.optional(z.string()) }),
      setup_billing_profile: z.optional(z.object({ billing_id: z.optional(z.string()) })),
      initialize_preferences: z.optional(preferencesResultSchema),
      send_welcome_sequence: z.optional(z.object({ channels: z.optional(z.array(z.string())) })),
    }),
    stepResultSchema,
  ),
});
export type UpdateUserStatusInput = z.infer<typeof updateUserStatusInput>;

export interface RegistrationSummary {
  completed_steps: string[];
  fallback_steps: string[];
  plan: string;
  billing_id?: string;
  preferences_count: number;
  preferences_source: 'service' | 'plan_defaults';
  notification_channels: string[];
  registered_at: string | undefined;
  activated_at: string;
}

export interface UpdateUserStatusResult {
  user_id: string;
  status: 'active';
  summary: RegistrationSummary;
  [key: string]: unknown;
}

/** The registration summary sent with the activation (pure, so tests can check it directly). */
export function registrationSummary(input: UpdateUserStatusInput, now: Date): RegistrationSummary {
  const steps = input.steps as Record<string, z.infer<typeof stepResultSchema>>;
  const names = Object.keys(steps);
  const fallback = names.filter((name) => steps[name]?.fallback_used === true);
  const { preferences, source } = effectivePreferences(
    input.user_info.plan,
    input.preferences,
    input.steps.initialize_preferences,
  );
  const billingId = input.steps.setup_billing_profile?.billing_id;
  return {
    completed_steps: [...names.filter((name) => !fallback.includes(name)), STEP],
    fallback_steps: fallback,
    plan: input.user_info.plan,
    ...(input.user_info.plan !== 'free' && billingId !== undefined ? { billing_id: billingId } : {}),
    preferences_count: Object.keys(preferences).length,
    preferences_source: source,
    notification_channels: input.steps.send_welcome_sequence?.channels ?? [],
    registered_at: input.steps.create_user_account.created_at,
    activated_at: now.toISOString(),
  };
}

/** PATCH /users/{id}/status to `active` with the summary. 404 (no such user) is permanent. */
export async function updateUserStatus(
  input: UpdateUserStatusInput,
  ctx: StepContext,
): Promise<UpdateUserStatusResult> {
  const userId = input.steps.create_user_account.user_id;
  const summary = registrationSummary(input, new Date());
  const { status } = await ctx.http.request('PATCH', `/users/${encodeURIComponent(userId)}/status`, {
    body: { status: 'active', summary },
  });
  if (status === 409) {
    throw new PermanentError('USER_STATUS_CONFLICT', `PATCH /users/{id}/status answered 409`);
  }
  return { user_id: userId, status: 'active', summary };
}

/** The step as the runtime runs it; tests build handlers from it with an explicit environment. */
export const definition = defineStep({
  step: STEP,
  inputSchema: updateUserStatusInput,
  run: updateUserStatus,
});

/** The Lambda entry point (template metadata `Stepflow:Handler`): runtime middlewares around the logic above. */
export const handler = createStepHandler(definition);
