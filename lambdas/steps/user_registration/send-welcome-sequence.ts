import * as z from 'zod/mini';
import { createStepHandler, defineStep, type StepContext } from '../../runtime/step-handler.ts';
import { type Plan, WELCOME_SEQUENCES } from './plan-defaults.ts';
import {
  correlationIdSchema,
  createdUserSchema,
  effectivePreferences,
  preferencesResultSchema,
  requestedPreferencesSchema,
  userInfoSchema,
} from './registration-state.ts';

/** The step's name in the workflow file. */
export const STEP = 'send_welcome_sequence';

export const sendWelcomeSequenceInput = z.object({
  correlation_id: correlationIdSchema,
  user_info: userInfoSchema,
  preferences: z.optional(requestedPreferencesSchema),
  steps: z.object({
    create_user_account: createdUserSchema,
    initialize_preferences: z.optional(preferencesResultSchema),
  }),
});
export type SendWelcomeSequenceInput = z.infer<typeof sendWelcomeSequenceInput>;

export type NotificationChannel = 'email' | 'in_app' | 'sms';

export interface SendWelcomeSequenceResult {
  status: 'sent' | 'already_sent';
  sequence_id: string | undefined;
  template: string;
  channels: NotificationChannel[];
  onboarding_steps: string[];
  preferences_source: 'service' | 'plan_defaults';
  [key: string]: unknown;
}

/**
 * Channels for the welcome sequence: email unless the user turned email notifications off,
 * always in-app, and SMS for enterprise users who gave a phone number (no number, no SMS).
 */
export function welcomeChannels(
  plan: Plan,
  emailNotifications: boolean,
  hasPhone: boolean,
): NotificationChannel[] {
  const channels: NotificationChannel[] = [];
  if (emailNotifications) channels.push('email');
  channels.push('in_app');
  if (plan === 'enterprise' && hasPhone) channels.push('sms');
  return channels;
}

/**
 * POST /notifications/welcome with the plan's template. Works from initialize_preferences' real
 * result or its fallback. 429 + Retry-After surfaces as RetryableError with `retryAfterSeconds`,
 * which the runtime renames `RetryAfter.<n>s` for the state machine; a 409 means this user's
 * sequence was already sent under another key — success, `already_sent`.
 */
export async function sendWelcomeSequence(
  input: SendWelcomeSequenceInput,
  ctx: StepContext,
): Promise<SendWelcomeSequenceResult> {
  const user = input.user_info;
  const { preferences, source } = effectivePreferences(
    user.plan,
    input.preferences,
    input.steps.initialize_preferences,
  );
  const channels = welcomeChannels(
    user.plan,
    preferences.email_notifications !== false,
    user.phone !== undefined,
  );
  const sequence = WELCOME_SEQUENCES[user.plan];
  const { status, body } = await ctx.http.request<{ sequence_id?: unknown; id?: unknown }>(
    'POST',
    '/notifications/welcome',
    {
      body: {
        user_id: input.steps.create_user_account.user_id,
        plan: user.plan,
        template: sequence.template,
        channels,
        onboarding_steps: sequence.onboarding_steps,
        recipient: {
          email: user.email,
          name: user.name,
          ...(user.phone === undefined ? {} : { phone: user.phone }),
        },
      },
    },
  );
  const id = body.sequence_id ?? body.id;
  return {
    status: status === 409 ? 'already_sent' : 'sent',
    sequence_id: typeof id === 'string' ? id : undefined,
    template: sequence.template,
    channels,
    onboarding_steps: [...sequence.onboarding_steps],
    preferences_source: source,
  };
}

/** The step as the runtime runs it; tests build handlers from it with an explicit environment. */
export const definition = defineStep({
  step: STEP,
  inputSchema: sendWelcomeSequenceInput,
  run: sendWelcomeSequence,
});

/** The Lambda entry point (template metadata `Stepflow:Handler`): runtime middlewares around the logic above. */
export const handler = createStepHandler(definition);
