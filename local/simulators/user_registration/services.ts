import type { RouteRequest, ServiceAnswer, SimulatedRoute, SimulatedService } from '../types.ts';
import type { RegistrationState } from './state.ts';
import {
  type PreferenceEntity,
  type ProfileEntity,
  SERVICE_NAMES,
  type ServiceName,
  type UserEntity,
  type WelcomeSequenceEntity,
} from './types.ts';

/** The four services' routes and their semantics, over the shared in-memory state (state.ts). */

/** A route of one of the four services, over the shared state. */
interface Route {
  readonly service: ServiceName;
  readonly key: string;
  readonly handle: (req: RouteRequest & { readonly state: RegistrationState }) => ServiceAnswer;
}

/** Counts per correlation ID; requests without one count under `(none)`. */
const bump = (counts: Record<string, number>, correlationId: string | undefined): void => {
  const key = correlationId ?? '(none)';
  counts[key] = (counts[key] ?? 0) + 1;
};
const now = (): string => new Date().toISOString();
const id = (prefix: string, n: number): string => `${prefix}_${n.toString().padStart(6, '0')}`;
const answer = (status: number, body: unknown, applied = false): ServiceAnswer => ({ status, body, applied });
const str = (value: unknown): value is string => typeof value === 'string' && value !== '';
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PLANS = ['free', 'pro', 'enterprise'];

const ROUTES: readonly Route[] = [
  {
    service: 'user',
    key: 'POST /users',
    handle: ({ state, body, correlationId }) => {
      if (!str(body.email) || !EMAIL.test(body.email)) return answer(422, { error: 'INVALID_EMAIL' });
      if (!str(body.name)) return answer(422, { error: 'INVALID_NAME' });
      const plan = body.plan ?? 'free';
      if (typeof plan !== 'string' || !PLANS.includes(plan)) return answer(422, { error: 'INVALID_PLAN' });
      const email = body.email.toLowerCase();
      const existing = state.userIdsByEmail.get(email);
      if (existing !== undefined) return answer(409, { error: 'EMAIL_TAKEN' });
      const user: UserEntity = {
        id: id('usr', ++state.seq.user),
        email: body.email,
        name: body.name,
        phone: str(body.phone) ? body.phone : undefined,
        plan,
        status: 'pending',
        created_at: now(),
        correlation_id: correlationId,
        activations: 0,
        activations_by_correlation: {},
        summary: undefined,
      };
      state.users.set(user.id, user);
      state.userIdsByEmail.set(email, user.id);
      return answer(201, publicUser(user), true);
    },
  },
  {
    service: 'user',
    key: 'GET /users',
    handle: ({ state, query }) => {
      const email = query.get('email')?.toLowerCase();
      if (email === undefined) return answer(400, { error: 'EMAIL_QUERY_REQUIRED' });
      const userId = state.userIdsByEmail.get(email);
      const user = userId === undefined ? undefined : state.users.get(userId);
      return answer(200, { users: user === undefined ? [] : [publicUser(user)] });
    },
  },
  {
    service: 'user',
    key: 'GET /users/{id}',
    handle: ({ state, params }) => {
      const user = state.users.get(params.id ?? '');
      return user === undefined ? answer(404, { error: 'USER_NOT_FOUND' }) : answer(200, publicUser(user));
    },
  },
  {
    service: 'user',
    key: 'PATCH /users/{id}/status',
    handle: ({ state, params, body, correlationId }) => {
      const user = state.users.get(params.id ?? '');
      if (user === undefined) return answer(404, { error: 'USER_NOT_FOUND' });
      if (!str(body.status) || !['pending', 'active', 'suspended'].includes(body.status)) {
        return answer(422, { error: 'INVALID_STATUS' });
      }
      user.status = body.status;
      user.summary = body.summary;
      if (body.status === 'active') {
        user.activations += 1;
        bump(user.activations_by_correlation, correlationId);
      }
      return answer(200, publicUser(user), true);
    },
  },
  {
    service: 'billing',
    key: 'POST /profiles',
    handle: ({ state, body, correlationId }) => {
      if (!str(body.user_id)) return answer(422, { error: 'USER_ID_REQUIRED' });
      if (body.plan !== 'pro' && body.plan !== 'enterprise')
        return answer(422, { error: 'PLAN_NOT_BILLABLE' });
      const existing = state.profilesByUser.get(body.user_id);
      if (existing !== undefined) return answer(409, { error: 'PROFILE_EXISTS', profile_id: existing.id });
      const paymentMethod = str(body.payment_method) ? body.payment_method : null;
      const profile: ProfileEntity = {
        id: id('bp', ++state.seq.profile),
        user_id: body.user_id,
        plan: body.plan,
        amount: typeof body.amount === 'number' ? body.amount : 0,
        currency: str(body.currency) ? body.currency : 'USD',
        billing_cycle: str(body.billing_cycle) ? body.billing_cycle : 'monthly',
        payment_method: paymentMethod,
        status: paymentMethod === null ? 'awaiting_payment_method' : 'active',
        created_at: now(),
        correlation_id: correlationId,
      };
      state.profilesByUser.set(profile.user_id, profile);
      const { correlation_id: _omit, ...publicProfile } = profile;
      return answer(201, publicProfile, true);
    },
  },
  {
    service: 'preferences',
    key: 'POST /users/{id}/preferences',
    handle: ({ state, params, body, correlationId }) => {
      const prefs = body.preferences;
      if (typeof prefs !== 'object' || prefs === null || Array.isArray(prefs)) {
        return answer(422, { error: 'PREFERENCES_REQUIRED' });
      }
      const userId = params.id ?? '';
      const record = state.preferencesByUser.get(userId);
      const updated: PreferenceEntity = {
        user_id: userId,
        preferences: { ...(record?.preferences ?? {}), ...(prefs as Record<string, unknown>) },
        updated_at: now(),
        correlation_id: correlationId,
        writes: (record?.writes ?? 0) + 1,
        writes_by_correlation: { ...(record?.writes_by_correlation ?? {}) },
      };
      bump(updated.writes_by_correlation, correlationId);
      state.preferencesByUser.set(userId, updated);
      return answer(
        200,
        { user_id: userId, preferences: updated.preferences, updated_at: updated.updated_at },
        true,
      );
    },
  },
  {
    service: 'notification',
    key: 'POST /notifications/welcome',
    handle: ({ state, body, correlationId }) => {
      if (!str(body.user_id)) return answer(422, { error: 'USER_ID_REQUIRED' });
      if (!str(body.template)) return answer(422, { error: 'TEMPLATE_REQUIRED' });
      if (!Array.isArray(body.channels) || body.channels.length === 0) {
        return answer(422, { error: 'CHANNELS_REQUIRED' });
      }
      const existing = state.welcomeByUser.get(body.user_id);
      if (existing !== undefined)
        return answer(409, { error: 'WELCOME_ALREADY_SENT', sequence_id: existing.id });
      const sequence: WelcomeSequenceEntity = {
        id: id('wseq', ++state.seq.sequence),
        user_id: body.user_id,
        plan: str(body.plan) ? body.plan : 'free',
        template: body.template,
        channels: body.channels.map(String),
        created_at: now(),
        correlation_id: correlationId,
      };
      state.welcomeByUser.set(sequence.user_id, sequence);
      return answer(
        202,
        {
          sequence_id: sequence.id,
          user_id: sequence.user_id,
          channels: sequence.channels,
          status: 'scheduled',
        },
        true,
      );
    },
  },
];

/** The four services over one shared state, as the simulator kit runs them. */
export function registrationServices(state: RegistrationState): SimulatedService[] {
  return SERVICE_NAMES.map((name) => ({
    name,
    routes: ROUTES.filter((route) => route.service === name).map(
      (route): SimulatedRoute => ({ key: route.key, handle: (req) => route.handle({ ...req, state }) }),
    ),
  }));
}

function publicUser(user: UserEntity): Record<string, unknown> {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    plan: user.plan,
    status: user.status,
    created_at: user.created_at,
  };
}
