import assert from 'node:assert/strict';
import { after, before, beforeEach } from 'node:test';
import { type Simulators, startSimulators } from '../../../local/simulators/user_registration/index.ts';

/** One simulator set per test file, reset before each test. */
export function useSimulators(seed = 42): () => Simulators {
  let sims: Simulators | undefined;
  before(async () => {
    sims = await startSimulators({ seed });
  });
  after(() => sims?.close());
  beforeEach(() => sims?.reset());
  return () => sims!;
}

/** Polls `condition` every 5 ms for up to 3 s. */
export async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(condition(), 'condition not reached within 3 s');
}

/** A JSON request with a bounded timeout. */
export async function call(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(2000),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : JSON.parse(text), headers: response.headers };
}

/** A user creation body. */
export const user = (email = 'jane@example.com', extra: Record<string, unknown> = {}) => ({
  email,
  name: 'Jane Doe',
  plan: 'pro',
  ...extra,
});

/** POST /users with an Idempotency-Key (and a correlation ID derived from it). */
export const createUser = (sims: Simulators, key: string, body: unknown = user()) =>
  call('POST', `${sims.urls.user}/users`, body, {
    'idempotency-key': key,
    'x-correlation-id': `corr-${key}`,
  });
