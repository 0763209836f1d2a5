import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { call, createUser as create, user, useSimulators } from './support.ts';

const simulators = useSimulators();
const createUser = (key: string, body?: unknown) => create(simulators(), key, body);

describe('service semantics', () => {
  test('one user per email: 201, then 409 for another key; lookup by email', async () => {
    const created = await createUser('k1');
    assert.equal(created.status, 201);
    assert.match(String(created.body.id), /^usr_\d{6}$/);
    assert.equal((await createUser('k2', user('JANE@example.com'))).status, 409);
    const found = await call('GET', `${simulators().urls.user}/users?email=jane%40example.com`);
    assert.deepEqual(
      (found.body.users as Array<{ id: string }>).map((u) => u.id),
      [created.body.id],
    );
    assert.equal((await call('GET', `${simulators().urls.user}/users/${created.body.id}`)).status, 200);
    assert.equal((await call('GET', `${simulators().urls.user}/users/usr_none`)).status, 404);
  });

  test('the same Idempotency-Key replays the first answer without a second side effect', async () => {
    const first = await createUser('same');
    const second = await createUser('same');
    assert.deepEqual(second, { ...second, status: 201, body: first.body });
    assert.equal(simulators().counters.entities().users.length, 1);
    assert.equal(simulators().counters.replays(), 1);
    assert.deepEqual(simulators().counters.appliedByKey(), { 'user same': 1 });
    assert.equal(simulators().counters.log().at(-1)?.outcome, 'replayed');
  });

  test('a key reused on another route is refused', async () => {
    await createUser('reuse');
    const other = await call(
      'POST',
      `${simulators().urls.billing}/profiles`,
      { user_id: 'u', plan: 'pro' },
      {
        'idempotency-key': 'reuse',
      },
    );
    assert.equal(other.status, 201, 'keys are per service');
    const { body } = await createUser('reuse2');
    const patch = await call(
      'PATCH',
      `${simulators().urls.user}/users/${body.id}/status`,
      { status: 'active' },
      {
        'idempotency-key': 'reuse2',
      },
    );
    assert.equal(patch.status, 422);
    assert.equal(patch.body.error, 'IDEMPOTENCY_KEY_REUSED');
  });

  test('one billing profile per user (409 names the existing one); validation is 422', async () => {
    const first = await call('POST', `${simulators().urls.billing}/profiles`, {
      user_id: 'usr_1',
      plan: 'pro',
      amount: 29.99,
    });
    assert.equal(first.status, 201);
    const second = await call('POST', `${simulators().urls.billing}/profiles`, {
      user_id: 'usr_1',
      plan: 'pro',
    });
    assert.equal(second.status, 409);
    assert.equal(second.body.profile_id, first.body.id);
    assert.equal(
      (await call('POST', `${simulators().urls.billing}/profiles`, { user_id: 'usr_2', plan: 'free' }))
        .status,
      422,
    );
    assert.equal((await call('POST', `${simulators().urls.billing}/profiles`, '[1]')).status, 400);
  });

  test('preferences upsert counts writes; one welcome sequence per user; activation counts', async () => {
    const url = `${simulators().urls.preferences}/users/usr_9/preferences`;
    await call('POST', url, { preferences: { theme: 'light' } });
    await call('POST', url, { preferences: { theme: 'dark' } });
    const [record] = simulators().counters.entities().preferences;
    assert.equal(record?.writes, 2);
    assert.deepEqual(record?.preferences, { theme: 'dark' });
    assert.deepEqual(simulators().counters.duplicates(), ['preferences of usr_9: written 2 times by (none)']);
    const welcome = { user_id: 'usr_9', template: 'welcome_free', channels: ['email'] };
    assert.equal(
      (await call('POST', `${simulators().urls.notification}/notifications/welcome`, welcome)).status,
      202,
    );
    assert.equal(
      (await call('POST', `${simulators().urls.notification}/notifications/welcome`, welcome)).status,
      409,
    );
    assert.equal(
      (await call('PATCH', `${simulators().urls.user}/users/usr_9/status`, { status: 'active' })).status,
      404,
    );
  });

  test('a later registration writing the same user again is not a duplicate', async () => {
    const url = `${simulators().urls.preferences}/users/usr_7/preferences`;
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
    assert.equal(simulators().counters.entities().preferences[0]?.writes, 2);
    assert.deepEqual(simulators().counters.duplicates(), []);
  });

  test('unknown routes are 404, wrong methods 405', async () => {
    assert.equal((await call('GET', `${simulators().urls.billing}/nothing`)).status, 404);
    assert.equal((await call('DELETE', `${simulators().urls.user}/users`)).status, 405);
  });
});

describe('control API', () => {
  test('sets, lists and clears faults, changes latency, reports stats and entities, resets', async () => {
    const control = simulators().urls.billing;
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
    assert.equal(simulators().latencyMs, 5);
    simulators().latencyMs = 0;
    const stats = (await call('GET', `${control}/_stats`)).body;
    assert.equal(stats.total_requests, 2);
    assert.deepEqual(stats.requests, { 'user POST /users': 2 });
    assert.deepEqual(stats.faults_fired, { status: 1 });
    assert.equal(stats.side_effects_applied, 1);
    assert.deepEqual(stats.duplicates, []);
    const requests = (await call('GET', `${control}/_requests?service=user&correlation_id=corr-c1`)).body;
    assert.deepEqual(
      (requests.requests as Array<{ route: string; status: number }>).map((r) => `${r.route} ${r.status}`),
      ['POST /users 503', 'POST /users 201'],
    );
    assert.deepEqual((await call('GET', `${control}/_requests?service=billing`)).body.requests, []);
    const entities = (await call('GET', `${control}/_entities`)).body;
    assert.equal((entities.users as unknown[]).length, 1);
    await call('POST', `${control}/_reset`);
    assert.equal(simulators().counters.requests(), 0);
  });

  test('bad control requests get 400 naming the problem', async () => {
    const bad = await call('POST', `${simulators().urls.user}/_faults`, {
      service: 'user',
      fault: { kind: 'explode' },
    });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.message), /fault\.kind must be one of/);
    assert.equal((await call('POST', `${simulators().urls.user}/_faults`, { route: 'x' })).status, 400);
    assert.equal((await call('GET', `${simulators().urls.user}/_nothing`)).status, 404);
  });
});
