import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type Simulators, startSimulators } from '../../../local/simulators/index.ts';

let sims: Simulators;

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(condition(), 'condition not reached within 3 s');
}

before(async () => {
  sims = await startSimulators({ seed: 42 });
});
after(() => sims.close());
beforeEach(() => sims.reset());

async function call(
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
const user = (email = 'jane@example.com', extra: Record<string, unknown> = {}) => ({
  email,
  name: 'Jane Doe',
  plan: 'pro',
  ...extra,
});
const createUser = (key: string, body: unknown = user()) =>
  call('POST', `${sims.urls.user}/users`, body, {
    'idempotency-key': key,
    'x-correlation-id': `corr-${key}`,
  });

describe('service semantics', () => {
  test('one user per email: 201, then 409 for another key; lookup by email', async () => {
    const created = await createUser('k1');
    assert.equal(created.status, 201);
    assert.match(String(created.body.id), /^usr_\d{6}$/);
    assert.equal((await createUser('k2', user('JANE@example.com'))).status, 409);
    const found = await call('GET', `${sims.urls.user}/users?email=jane%40example.com`);
    assert.deepEqual(
      (found.body.users as Array<{ id: string }>).map((u) => u.id),
      [created.body.id],
    );
    assert.equal((await call('GET', `${sims.urls.user}/users/${created.body.id}`)).status, 200);
    assert.equal((await call('GET', `${sims.urls.user}/users/usr_none`)).status, 404);
  });

  test('the same Idempotency-Key replays the first answer without a second side effect', async () => {
    const first = await createUser('same');
    const second = await createUser('same');
    assert.deepEqual(second, { ...second, status: 201, body: first.body });
    assert.equal(sims.counters.entities().users.length, 1);
    assert.equal(sims.counters.replays(), 1);
    assert.deepEqual(sims.counters.appliedByKey(), { 'user same': 1 });
    assert.equal(sims.counters.log().at(-1)?.outcome, 'replayed');
  });

  test('a key reused on another route is refused', async () => {
    await createUser('reuse');
    const other = await call(
      'POST',
      `${sims.urls.billing}/profiles`,
      { user_id: 'u', plan: 'pro' },
      {
        'idempotency-key': 'reuse',
      },
    );
    assert.equal(other.status, 201, 'keys are per service');
    const { body } = await createUser('reuse2');
    const patch = await call(
      'PATCH',
      `${sims.urls.user}/users/${body.id}/status`,
      { status: 'active' },
      {
        'idempotency-key': 'reuse2',
      },
    );
    assert.equal(patch.status, 422);
    assert.equal(patch.body.error, 'IDEMPOTENCY_KEY_REUSED');
  });

  test('one billing profile per user (409 names the existing one); validation is 422', async () => {
    const first = await call('POST', `${sims.urls.billing}/profiles`, {
      user_id: 'usr_1',
      plan: 'pro',
      amount: 29.99,
    });
    assert.equal(first.status, 201);
    const second = await call('POST', `${sims.urls.billing}/profiles`, { user_id: 'usr_1', plan: 'pro' });
    assert.equal(second.status, 409);
    assert.equal(second.body.profile_id, first.body.id);
    assert.equal(
      (await call('POST', `${sims.urls.billing}/profiles`, { user_id: 'usr_2', plan: 'free' })).status,
      422,
    );
    assert.equal((await call('POST', `${sims.urls.billing}/profiles`, '[1]')).status, 400);
  });

  test('preferences upsert counts writes; one welcome sequence per user; activation counts', async () => {
    const url = `${sims.urls.preferences}/users/usr_9/preferences`;
    await call('POST', url, { preferences: { theme: 'light' } });
    await call('POST', url, { preferences: { theme: 'dark' } });
    const [record] = sims.counters.entities().preferences;
    assert.equal(record?.writes, 2);
    assert.deepEqual(record?.preferences, { theme: 'dark' });
    assert.deepEqual(sims.counters.duplicates(), ['preferences of usr_9: written 2 times by (none)']);
    const welcome = { user_id: 'usr_9', template: 'welcome_free', channels: ['email'] };
    assert.equal(
      (await call('POST', `${sims.urls.notification}/notifications/welcome`, welcome)).status,
      202,
    );
    assert.equal(
      (await call('POST', `${sims.urls.notification}/notifications/welcome`, welcome)).status,
      409,
    );
    assert.equal(
      (await call('PATCH', `${sims.urls.user}/users/usr_9/status`, { status: 'active' })).status,
      404,
    );
  });

  test('a later registration writing the same user again is not a duplicate', async () => {
    const url = `${sims.urls.preferences}/users/usr_7/preferences`;
    await call(
      'POST',
      url,
      { preferences: { theme: 'light' } },
      { 'x-correlation-id': 'reg_a', 'idempotency-key': 'a' },
    );
    await call(
      'POST',
      url,
      { preferences: { theme: 'dark' } },
      { 'x-correlation-id': 'reg_b', 'idempotency-key': 'b' },
    );
    assert.equal(sims.counters.entities().preferences[0]?.writes, 2);
    assert.deepEqual(sims.counters.duplicates(), []);
  });

  test('unknown routes are 404, wrong methods 405', async () => {
    assert.equal((await call('GET', `${sims.urls.billing}/nothing`)).status, 404);
    assert.equal((await call('DELETE', `${sims.urls.user}/users`)).status, 405);
  });
});

describe('fault injection', () => {
  test('a status fault fires N times, applies nothing and sends Retry-After (seconds or HTTP date)', async () => {
    sims.faults.set('user', 'POST /users', { kind: 'status', status: 429, retryAfter: 2, times: 2 });
    const first = await createUser('f1');
    assert.equal(first.status, 429);
    assert.equal(first.headers.get('retry-after'), '2');
    assert.equal((await createUser('f1')).status, 429);
    assert.equal((await createUser('f1')).status, 201);
    assert.equal(sims.counters.entities().users.length, 1);
    sims.faults.set('user', '*', {
      kind: 'status',
      status: 503,
      retryAfter: 3,
      retryAfterAs: 'http-date',
      times: 1,
    });
    const dated = await createUser('f2', user('b@example.com'));
    const header = dated.headers.get('retry-after') ?? '';
    assert.match(header, /GMT$/);
    const seconds = (Date.parse(header) - Date.now()) / 1000;
    assert.ok(seconds > 1 && seconds <= 3, `${seconds}`);
  });

  test('a fraction of requests fails, reproducibly for a seed', async () => {
    const run = async (): Promise<number[]> => {
      sims.reset();
      sims.faults.set('billing', 'POST /profiles', { kind: 'status', status: 503, probability: 0.3 });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) {
        statuses.push(
          (await call('POST', `${sims.urls.billing}/profiles`, { user_id: `u${i}`, plan: 'pro' })).status,
        );
      }
      return statuses;
    };
    const first = await run();
    const failures = first.filter((s) => s === 503).length;
    assert.ok(failures > 3 && failures < 25, `${failures} of 40 failed`);
    assert.deepEqual(await run(), first);
  });

  test('latency delays the answer but the write still happens', async () => {
    sims.faults.set('user', 'POST /users', { kind: 'latency', ms: 300, times: 1 });
    await assert.rejects(
      fetch(`${sims.urls.user}/users`, {
        method: 'POST',
        body: JSON.stringify(user()),
        headers: { 'idempotency-key': 'slow' },
        signal: AbortSignal.timeout(100),
      }),
      { name: 'TimeoutError' },
    );
    await until(() => sims.counters.log()[0]?.outcome !== undefined);
    assert.equal(sims.counters.entities().users.length, 1);
    assert.equal((await createUser('slow')).status, 201);
    assert.equal(sims.counters.replays(), 1);
  });

  test('drop closes the connection before any write; apply_then_drop after the write', async () => {
    sims.faults.set('user', 'POST /users', [
      { kind: 'drop', times: 1 },
      { kind: 'apply_then_drop', times: 1 },
    ]);
    await assert.rejects(createUser('d1'), { name: 'TypeError' });
    assert.equal(sims.counters.entities().users.length, 0);
    await assert.rejects(createUser('d1'), { name: 'TypeError' });
    assert.equal(sims.counters.entities().users.length, 1);
    assert.equal((await createUser('d1')).status, 201);
    assert.deepEqual(sims.counters.duplicates(), []);
    assert.deepEqual(
      sims.counters.log().map((r) => [r.fault, r.outcome]),
      [
        ['drop', 'fault'],
        ['apply_then_drop', 'applied'],
        [undefined, 'replayed'],
      ],
    );
  });

  test('apply_then_delay answers after the client gave up', async () => {
    sims.faults.set('notification', '*', { kind: 'apply_then_delay', ms: 300, times: 1 });
    const body = { user_id: 'usr_5', template: 't', channels: ['in_app'] };
    await assert.rejects(
      fetch(`${sims.urls.notification}/notifications/welcome`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'idempotency-key': 'late' },
        signal: AbortSignal.timeout(100),
      }),
      { name: 'TimeoutError' },
    );
    await until(() => sims.counters.log()[0]?.outcome !== undefined);
    assert.equal(sims.counters.entities().welcomeSequences.length, 1);
  });

  test('base latency applies to every call and can change at run time', async () => {
    sims.latencyMs = 60;
    const started = performance.now();
    await call('GET', `${sims.urls.user}/users?email=x@y.z`);
    assert.ok(performance.now() - started >= 55);
    sims.latencyMs = 0;
  });

  test('invalid faults are refused with the field named', () => {
    assert.throws(() => sims.faults.set('user', '*', { kind: 'status', status: 42 }), /fault\.status/);
    assert.throws(() => sims.faults.set('user', '*', { kind: 'drop', probability: 2 }), /fault\.probability/);
    assert.throws(() => sims.faults.set('nope' as 'user', '*', { kind: 'drop' }), /unknown service 'nope'/);
  });
});

describe('control API', () => {
  test('sets, lists and clears faults, changes latency, reports stats and entities, resets', async () => {
    const control = sims.urls.billing;
    const set = await call('POST', `${control}/_faults`, {
      service: 'user',
      route: 'POST /users',
      fault: { kind: 'status', status: 503, times: 1 },
    });
    assert.equal(set.status, 200);
    assert.deepEqual(set.body.faults, {
      user: { 'POST /users': [{ kind: 'status', status: 503, times: 1 }] },
    });
    assert.equal((await createUser('c1')).status, 503);
    assert.deepEqual((await call('GET', `${control}/_faults`)).body, { faults: {}, latency_ms: 0 });
    await call('POST', `${control}/_faults`, { service: '*', faults: [{ kind: 'status', status: 500 }] });
    await call('DELETE', `${control}/_faults?service=*`);
    assert.equal((await createUser('c1')).status, 201);
    assert.equal((await call('PUT', `${control}/_latency`, { ms: 5 })).body.latency_ms, 5);
    assert.equal(sims.latencyMs, 5);
    sims.latencyMs = 0;
    const stats = (await call('GET', `${control}/_stats`)).body;
    assert.equal(stats.total_requests, 2);
    assert.deepEqual(stats.requests, { 'user POST /users': 2 });
    assert.deepEqual(stats.faults_fired, { status: 1 });
    assert.equal(stats.side_effects_applied, 1);
    assert.deepEqual(stats.duplicates, []);
    const entities = (await call('GET', `${control}/_entities`)).body;
    assert.equal((entities.users as unknown[]).length, 1);
    await call('POST', `${control}/_reset`);
    assert.equal(sims.counters.requests(), 0);
  });

  test('bad control requests get 400 naming the problem', async () => {
    const bad = await call('POST', `${sims.urls.user}/_faults`, {
      service: 'user',
      fault: { kind: 'explode' },
    });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.message), /fault\.kind must be one of/);
    assert.equal((await call('POST', `${sims.urls.user}/_faults`, { route: 'x' })).status, 400);
    assert.equal((await call('GET', `${sims.urls.user}/_nothing`)).status, 404);
  });
});
