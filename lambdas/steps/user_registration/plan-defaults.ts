/**
 * What each plan means for the steps: billing price, default preferences, welcome sequence.
 * One module, so initialize_preferences, the YAML fallback's readers (send_welcome_sequence,
 * update_user_status) and the tests agree on the defaults.
 */

export const PLANS = ['free', 'pro', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

/** Monthly price in USD; free plans have no billing profile. */
export const PLAN_PRICES_USD: Readonly<Record<Plan, number>> = { free: 0, pro: 29.99, enterprise: 299.99 };

/** Preferences as stored by the preferences service. */
export type Preferences = Readonly<Record<string, boolean | string>>;

const FREE_DEFAULTS: Preferences = {
  email_notifications: true,
  marketing_emails: false,
  product_updates: false,
  newsletter: false,
  theme: 'light',
};

/** Each plan's defaults: free's, plus what the paid plans add. */
export const PLAN_DEFAULT_PREFERENCES: Readonly<Record<Plan, Preferences>> = {
  free: FREE_DEFAULTS,
  pro: { ...FREE_DEFAULTS, product_updates: true, weekly_digest: true, api_access: true },
  enterprise: {
    ...FREE_DEFAULTS,
    product_updates: true,
    weekly_digest: true,
    api_access: true,
    sso: true,
    audit_log_notifications: true,
    dedicated_support: true,
  },
};

/** The plan's defaults overridden by what the user asked for in the request. */
export function resolvePreferences(plan: Plan, requested: Preferences | undefined): Preferences {
  return { ...PLAN_DEFAULT_PREFERENCES[plan], ...(requested ?? {}) };
}

/** Welcome sequence per plan: template name and onboarding steps. */
export const WELCOME_SEQUENCES: Readonly<
  Record<Plan, { template: string; onboarding_steps: readonly string[] }>
> = {
  free: {
    template: 'welcome_free',
    onboarding_steps: ['verify_email', 'complete_profile', 'explore_features'],
  },
  pro: {
    template: 'welcome_pro',
    onboarding_steps: ['verify_email', 'complete_profile', 'connect_integrations', 'explore_pro_features'],
  },
  enterprise: {
    template: 'welcome_enterprise',
    onboarding_steps: [
      'verify_email',
      'complete_profile',
      'schedule_onboarding_call',
      'configure_sso',
      'invite_team',
    ],
  },
};
