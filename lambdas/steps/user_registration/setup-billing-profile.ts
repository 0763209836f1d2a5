import * as z from 'zod/mini';
import { createStepHandler, defineStep, type StepContext } from '../../runtime/step-handler.ts';
import { PLAN_PRICES_USD } from './plan-defaults.ts';
import {
  billingInfoSchema,
  correlationIdSchema,
  createdUserSchema,
  planOnlySchema,
} from './registration-state.ts';

/** The step's name in the workflow file. */
export const STEP = 'setup_billing_profile';

export const setupBillingProfileInput = z.object({
  correlation_id: correlationIdSchema,
  user_info: planOnlySchema,
  billing_info: z.optional(billingInfoSchema),
  steps: z.object({ create_user_account: createdUserSchema }),
});
export type SetupBillingProfileInput = z.infer<typeof setupBillingProfileInput>;

export type SetupBillingProfileResult =
  | { billing_required: false; status: 'skipped_free_plan'; plan: 'free'; [key: string]: unknown }
  | {
      billing_required: true;
      status: 'created' | 'already_exists';
      billing_id: string | undefined;
      plan: string;
      amount: number;
      currency: 'USD';
      billing_cycle: 'monthly';
      [key: string]: unknown;
    };

/**
 * Free plans skip billing without a call. Paid plans get a monthly USD profile (pro 29.99,
 * enterprise 299.99); a 409 means this user already has one — success, `already_exists`.
 */
export async function setupBillingProfile(
  input: SetupBillingProfileInput,
  ctx: StepContext,
): Promise<SetupBillingProfileResult> {
  const plan = input.user_info.plan;
  if (plan === 'free') return { billing_required: false, status: 'skipped_free_plan', plan };
  const userId = input.steps.create_user_account.user_id;
  const amount = PLAN_PRICES_USD[plan];
  const { status, body } = await ctx.http.request<{ id?: unknown; profile_id?: unknown }>(
    'POST',
    '/profiles',
    {
      body: {
        user_id: userId,
        plan,
        amount,
        currency: 'USD',
        billing_cycle: 'monthly',
        payment_method: input.billing_info?.payment_method ?? null,
        billing_address: input.billing_info?.billing_address ?? null,
      },
    },
  );
  const id = status === 409 ? body.profile_id : body.id;
  return {
    billing_required: true,
    status: status === 409 ? 'already_exists' : 'created',
    billing_id: typeof id === 'string' ? id : undefined,
    plan,
    amount,
    currency: 'USD',
    billing_cycle: 'monthly',
  };
}

/** The step as the runtime runs it; tests build handlers from it with an explicit environment. */
export const definition = defineStep({
  step: STEP,
  inputSchema: setupBillingProfileInput,
  run: setupBillingProfile,
});

/** The Lambda entry point (template metadata `Stepflow:Handler`): runtime middlewares around the logic above. */
export const handler = createStepHandler(definition);
