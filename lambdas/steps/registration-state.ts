import { z } from 'zod';
import { PLANS, type Preferences, resolvePreferences } from './plan-defaults.ts';

/**
 * zod schemas of the registration state document (docs/architecture.md): the request after schema
 * defaults, plus `steps.<name>` results. Each step composes the parts it reads; zod drops the rest.
 */

export const planSchema = z.enum(PLANS);

export const userInfoSchema = z.object({
  email: z.email(),
  name: z.string().min(1),
  phone: z.string().optional(),
  plan: planSchema.default('free'),
  referral_code: z.string().optional(),
  company: z.string().optional(),
  source: z.enum(['web', 'mobile', 'api']).default('web'),
});

export const billingInfoSchema = z.object({
  payment_method: z.string().optional(),
  billing_address: z
    .object({
      street: z.string().optional(),
      city: z.string().optional(),
      state: z.string().optional(),
      zip: z.string().optional(),
    })
    .optional(),
});

export const requestedPreferencesSchema = z.record(z.string(), z.union([z.boolean(), z.string()]));

export const correlationIdSchema = z.string().min(1).max(128);

/** `steps.create_user_account`: every later step needs the user id. */
export const createdUserSchema = z.object({ user_id: z.string().min(1) });

/**
 * `steps.initialize_preferences`: the service's answer, or the YAML fallback
 * (`{status: 'defaults_applied', preferences_source: 'plan_defaults', plan, fallback_used: true, error}`).
 */
export const preferencesResultSchema = z.object({
  status: z.string(),
  preferences: requestedPreferencesSchema.optional(),
  fallback_used: z.boolean().optional(),
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
