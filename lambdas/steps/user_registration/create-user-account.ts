import * as z from 'zod/mini';
import { PermanentError, RetryableError } from '../../runtime/errors.ts';
import { createStepHandler, defineStep, type StepContext } from '../../runtime/step-handler.ts';
import { correlationIdSchema, userInfoSchema } from './registration-state.ts';

/** The step's name in the workflow file. */
export const STEP = 'create_user_account';

export const createUserAccountInput = z.object({
  correlation_id: correlationIdSchema,
  user_info: userInfoSchema,
});
export type CreateUserAccountInput = z.infer<typeof createUserAccountInput>;

export interface CreateUserAccountResult {
  user_id: string;
  email: string;
  created_at: string | undefined;
  status: 'created' | 'already_exists';
  [key: string]: unknown;
}

interface UserRecord {
  id?: unknown;
  email?: unknown;
  name?: unknown;
  plan?: unknown;
  created_at?: unknown;
}

/**
 * POST /users. A 409 means the email is taken: when the existing user has the same name and plan
 * this is the same registration arriving again (idempotent success, `already_exists`); otherwise
 * it is someone else's account — `USER_CONFLICT`, never retried.
 */
export async function createUserAccount(
  input: CreateUserAccountInput,
  ctx: StepContext,
): Promise<CreateUserAccountResult> {
  const user = input.user_info;
  const { status, body } = await ctx.http.request<UserRecord>('POST', '/users', {
    body: {
      email: user.email,
      name: user.name,
      plan: user.plan,
      source: user.source,
      ...(user.phone === undefined ? {} : { phone: user.phone }),
      ...(user.company === undefined ? {} : { company: user.company }),
      ...(user.referral_code === undefined ? {} : { referral_code: user.referral_code }),
    },
  });
  if (status !== 409) {
    if (typeof body.id !== 'string' || body.id === '') {
      throw new PermanentError(
        'INVALID_SERVICE_RESPONSE',
        `POST /users answered ${status} without a user id`,
      );
    }
    return {
      user_id: body.id,
      email: user.email,
      created_at: stringOrUndefined(body.created_at),
      status: 'created',
    };
  }
  const existing = await ctx.http.request<{ users?: UserRecord[] }>('GET', '/users', {
    query: { email: user.email },
  });
  const match = existing.body.users?.find(
    (candidate) =>
      typeof candidate.email === 'string' && candidate.email.toLowerCase() === user.email.toLowerCase(),
  );
  if (match === undefined || typeof match.id !== 'string') {
    // The service said the email is taken but cannot show the owner yet: let a retry look again.
    throw new RetryableError('POST /users answered 409 but GET /users found no user with that email');
  }
  if (!sameName(match.name, user.name) || match.plan !== user.plan) {
    throw new PermanentError(
      'USER_CONFLICT',
      'a different user (other name or plan) is already registered with this email',
    );
  }
  ctx.logger.info('user already exists with the same name and plan; treating as success');
  return {
    user_id: match.id,
    email: user.email,
    created_at: stringOrUndefined(match.created_at),
    status: 'already_exists',
  };
}

/**
 * Whether the stored name is the requested one: compared after Unicode NFC normalization and
 * trimming, so `José` typed as e + combining accent (NFD, as macOS keyboards send it) or with a
 * trailing space is the same person registering again, not a USER_CONFLICT.
 */
export function sameName(stored: unknown, requested: string): boolean {
  return typeof stored === 'string' && normalizedName(stored) === normalizedName(requested);
}

function normalizedName(name: string): string {
  return name.normalize('NFC').trim();
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The step as the runtime runs it; tests build handlers from it with an explicit environment. */
export const definition = defineStep({
  step: STEP,
  inputSchema: createUserAccountInput,
  run: createUserAccount,
});

/** The Lambda entry point (template metadata `Stepflow:Handler`): runtime middlewares around the logic above. */
export const handler = createStepHandler(definition);
