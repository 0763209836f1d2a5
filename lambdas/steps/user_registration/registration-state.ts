import * as z from 'zod/mini';
import { PLANS, type Preferences, resolvePreferences } from './plan-defaults.ts';

/**
 * zod schemas of the registration state document (docs/architecture.md): the request after schema
 * defaults, plus `steps.<name>` results. Each step composes the parts it reads; zod drops the rest.
 * `zod/mini` rather than `zod`: same validation, tree-shakable, so each bundle stays ~80 KB smaller.
 */

export const planSchema = z.enum(PLANS);

export const userInfoSchema = z.object({
  email: z.email(),
  name: z.string().check(z.minLength(1)),
  phone: z.optional(z.string()),
  plan: z._default(planSchema, 'free'),
  referral_code: z.optional(z.string()),
  company: z.optional(z.string()),
  source: z._default(z.enum(['web', 'mobile', 'api']), 'web'),
});

/** `user_info` for steps that only need the plan. */
export const planOnlySchema = z.object({ plan: z._default(planSchema, 'free') });

export const billingInfoSchema = z.object({
  payment_method: z.optional(z.string()),
  billing_address: z.optional(
    z.object({
      street: z.optional(z.string()),
      city: z.optional(z.string()),
      state: z.optional(z.string()),
      zip: z.optional(z.string()),
    }),
  ),
});

export const requestedPreferencesSchema = z.record(z.string(), z.union([z.boolean(), z.string()]));

export const correlationIdSchema = z.string().check(z.minLength(1), z.maxLength(128));

/** `steps.create_user_account`: every later step needs the user id. */
export const createdUserSchema = z.object({ user_id: z.string().check(z.minLength(1)) });

/**
 * `steps.initialize_preferences`: the service's answer, or the YAML fallback
 * (`{status: 'defaults_applied', preferences_source: 'plan_defaults', plan, fallback_used: true, error}`).
 */
export const preferencesResultSchema = z.object({
  status: z.string(),
  preferences: z.optional(requestedPreferencesSchema),
  fallback_used: z.optional(z.boolean()),
});

export type PreferencesResult = z.infer<typeof preferencesResultSchema>;

/**
 * The preferences in force after initialize_preferences: the stored ones, or — when the step fell
 * back (or its result is missing) — the plan defaults merged with the request, as the service
 * would have stored them.
 */
export function effectivePreferences(
  plan: z.infer<typeof planSchema>,
  requested: Preferences | undefined,
  result: PreferencesResult | undefined,
): { preferences: Preferences; source: 'service' | 'plan_defaults' } {
  if (result?.preferences !== undefined && result.fallback_used !== true) {
    return { preferences: result.preferences, source: 'service' };
  }
  return { preferences: resolvePreferences(plan, requested), source: 'plan_defaults' };
}
