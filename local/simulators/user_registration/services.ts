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
        deactivated_at: undefined,
        deleted_at: undefined,
        undo_requests: 0,
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
      const user = liveUser(state, params.id);
      return user === undefined ? answer(404, { error: 'USER_NOT_FOUND' }) : answer(200, publicUser(user));
    },
  },
  {
    service: 'user',
    key: 'PATCH /users/{id}/status',
    handle: ({ state, params, body, correlationId }) => {
      const user = liveUser(state, params.id);
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
    // Undo of a registration that keeps the account (and its email) but turns it off; a later
    // registration of the same person may activate it again through PATCH .../status.
    service: 'user',
    key: 'POST /users/{id}/deactivate',
    handle: ({ state, params }) => {
      const user = liveUser(state, params.id);
      if (user === undefined) return answer(404, { error: 'USER_NOT_FOUND' });
      user.undo_requests += 1;
      if (user.status === 'deactivated') return answer(200, publicUser(user));
      user.status = 'deactivated';
      user.deactivated_at = now();
      return answer(200, publicUser(user), true);
    },
  },
  {
    // Undo of `POST /users`: the user is gone for every read and its email is free again. The
    // entity stays (status `deleted`) so the exactly-once checks can still see it; deleting it
    // again answers the same 200 and applies nothing.
    service: 'user',
    key: 'DELETE /users/{id}',
    handle: ({ state, params }) => {
      const user = state.users.get(params.id ?? '');
      if (user === undefined) return answer(404, { error: 'USER_NOT_FOUND' });
      user.undo_requests += 1;
      if (user.status === 'deleted') return answer(200, publicUser(user));
      user.status = 'deleted';
      user.deleted_at = now();
      const email = user.email.toLowerCase();
      if (state.userIdsByEmail.get(email) === user.id) state.userIdsByEmail.delete(email);
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
        cancelled_at: undefined,
        undo_requests: 0,
      };
      state.profilesByUser.set(profile.user_id, profile);
      return answer(201, publicProfile(profile), true);
    },
  },
  {
    service: 'billing',
    key: 'GET /profiles',
    handle: ({ state, query }) => {
      const userId = query.get('user_id');
      if (userId === null || userId === '') return answer(400, { error: 'USER_ID_QUERY_REQUIRED' });
      const profile = state.profilesByUser.get(userId);
      return answer(200, { profiles: profile === undefined ? [] : [publicProfile(profile)] });
    },
  },
  {
    service: 'billing',
    key: 'GET /profiles/{id}',
    handle: ({ state, params }) => {
      const profile = profileById(state, params.id);
      return profile === undefined
        ? answer(404, { error: 'PROFILE_NOT_FOUND' })
        : answer(200, publicProfile(profile));
    },
  },
  // Undo of `POST /profiles`. The profile stays (status `cancelled`), so the user still has one
  // and a second POST for that user answers 409 naming it. The alias is the name the wave's
  // brief proposed for the undo handlers; both routes do the same.
  ...['POST /profiles/{id}/cancel', 'DELETE /billing-profiles/{id}'].map(
    (key): Route => ({ service: 'billing', key, handle: cancelProfile }),
  ),
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
        status: 'scheduled',
        created_at: now(),
        correlation_id: correlationId,
        cancelled_at: undefined,
        undo_requests: 0,
      };
      state.welcomeByUser.set(sequence.user_id, sequence);
      return answer(202, publicSequence(sequence), true);
    },
  },
  {
    service: 'notification',
    key: 'GET /notifications/welcome',
    handle: ({ state, query }) => {
      const userId = query.get('user_id');
      if (userId === null || userId === '') return answer(400, { error: 'USER_ID_QUERY_REQUIRED' });
      const sequence = state.welcomeByUser.get(userId);
      return answer(200, { sequences: sequence === undefined ? [] : [publicSequence(sequence)] });
    },
  },
  {
    service: 'notification',
    key: 'GET /notifications/welcome/{id}',
    handle: ({ state, params }) => {
      const sequence = sequenceById(state, params.id);
      return sequence === undefined
        ? answer(404, { error: 'SEQUENCE_NOT_FOUND' })
        : answer(200, publicSequence(sequence));
    },
  },
  // Undo of `POST /notifications/welcome`: the scheduled sequence sends nothing more (with the
  // alias the wave's brief proposed).
  ...['POST /notifications/welcome/{id}/cancel', 'POST /welcome-sequences/{id}/cancel'].map(
    (key): Route => ({ service: 'notification', key, handle: cancelSequence }),
  ),
];

function cancelProfile({
  state,
  params,
}: RouteRequest & { readonly state: RegistrationState }): ServiceAnswer {
  const profile = profileById(state, params.id);
  if (profile === undefined) return answer(404, { error: 'PROFILE_NOT_FOUND' });
  profile.undo_requests += 1;
  if (profile.status === 'cancelled') return answer(200, publicProfile(profile));
  profile.status = 'cancelled';
  profile.cancelled_at = now();
  return answer(200, publicProfile(profile), true);
}

function cancelSequence({
  state,
  params,
}: RouteRequest & { readonly state: RegistrationState }): ServiceAnswer {
  const sequence = sequenceById(state, params.id);
  if (sequence === undefined) return answer(404, { error: 'SEQUENCE_NOT_FOUND' });
  sequence.undo_requests += 1;
  if (sequence.status === 'cancelled') return answer(200, publicSequence(sequence));
  sequence.status = 'cancelled';
  sequence.cancelled_at = now();
  return answer(200, publicSequence(sequence), true);
}

/** The four services over one shared state, as the simulator kit runs them. */
export function registrationServices(state: RegistrationState): SimulatedService[] {
  return SERVICE_NAMES.map((name) => ({
    name,
    routes: ROUTES.filter((route) => route.service === name).map(
      (route): SimulatedRoute => ({ key: route.key, handle: (req) => route.handle({ ...req, state }) }),
    ),
  }));
}

/** A user every read can see: a deleted one is gone (404), as a real service would answer. */
function liveUser(state: RegistrationState, id: string | undefined): UserEntity | undefined {
  const user = state.users.get(id ?? '');
  return user?.status === 'deleted' ? undefined : user;
}

function profileById(state: RegistrationState, id: string | undefined): ProfileEntity | undefined {
  for (const profile of state.profilesByUser.values()) if (profile.id === id) return profile;
  return undefined;
}

function sequenceById(state: RegistrationState, id: string | undefined): WelcomeSequenceEntity | undefined {
  for (const sequence of state.welcomeByUser.values()) if (sequence.id === id) return sequence;
  return undefined;
}

function publicUser(user: UserEntity): Record<string, unknown> {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    plan: user.plan,
    status: user.status,
    created_at: user.created_at,
    ...(user.deactivated_at === undefined ? {} : { deactivated_at: user.deactivated_at }),
    ...(user.deleted_at === undefined ? {} : { deleted_at: user.deleted_at }),
  };
}

function publicProfile(profile: ProfileEntity): Record<string, unknown> {
  const { correlation_id: _c, undo_requests: _u, cancelled_at, ...shown } = profile;
  return { ...shown, ...(cancelled_at === undefined ? {} : { cancelled_at }) };
}

/** `id` and `sequence_id` both: the create answer always named it `sequence_id`. */
function publicSequence(sequence: WelcomeSequenceEntity): Record<string, unknown> {
  return {
    sequence_id: sequence.id,
    id: sequence.id,
    user_id: sequence.user_id,
    channels: sequence.channels,
    status: sequence.status,
    ...(sequence.cancelled_at === undefined ? {} : { cancelled_at: sequence.cancelled_at }),
  };
}
