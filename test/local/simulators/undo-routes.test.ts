import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  registrationLeftovers,
  SERVICE_ROUTES,
  UNDO_ROUTES,
} from '../../../local/simulators/user_registration/index.ts';
import { call, createUser, useSimulators } from './support.ts';

const simulators = useSimulators();
const keyed = (key: string) => ({ 'idempotency-key': key, 'x-correlation-id': `corr-${key}` });

async function createProfile(userId: string) {
  const created = await call(
    'POST',
    `${simulators().urls.billing}/profiles`,
    { user_id: userId, plan: 'pro', amount: 29.99, payment_method: 'card' },
    keyed(`bp-${userId}`),
  );
  assert.equal(created.status, 201);
  return String(created.body.id);
}

async function createWelcome(userId: string) {
  const created = await call(
    'POST',
    `${simulators().urls.notification}/notifications/welcome`,
    { user_id: userId, template: 'welcome_pro', channels: ['email'] },
    keyed(`wl-${userId}`),
  );
  assert.equal(created.status, 202);
  assert.equal(created.body.status, 'scheduled');
  return String(created.body.sequence_id);
}

describe('undo routes', () => {
  test('every undo route is one of its service routes', () => {
    const all = Object.values(SERVICE_ROUTES).flat();
    for (const route of Object.values(UNDO_ROUTES)) assert.ok(all.includes(route), route);
    assert.deepEqual(
      simulators().routes.get('user'),
      SERVICE_ROUTES.user,
      'SERVICE_ROUTES lists what the services serve',
    );
  });

  test('DELETE /users/{id} frees the email, hides the user and is idempotent', async () => {
    const sims = simulators();
    const { body } = await createUser(sims, 'u1');
    const id = String(body.id);
    const deleted = await call('DELETE', `${sims.urls.user}/users/${id}`, undefined, keyed('undo-1'));
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.status, 'deleted');
    assert.equal(typeof deleted.body.deleted_at, 'string');
    // Another key (a retried compensation under a new attempt) applies nothing and answers the same.
    const again = await call('DELETE', `${sims.urls.user}/users/${id}`, undefined, keyed('undo-2'));
    assert.deepEqual(again.body, deleted.body);
    assert.equal((await call('GET', `${sims.urls.user}/users/${id}`)).status, 404);
    assert.deepEqual((await call('GET', `${sims.urls.user}/users?email=jane%40example.com`)).body, {
      users: [],
    });
    assert.equal(
      (await call('PATCH', `${sims.urls.user}/users/${id}/status`, { status: 'active' })).status,
      404,
    );
    assert.equal((await createUser(sims, 'u2')).status, 201, 'the email can register again');
    const [user] = sims.counters.entities().users;
    assert.equal(user?.status, 'deleted');
    assert.equal(user?.undo_requests, 2);
    assert.deepEqual(sims.counters.appliedByKey(), { 'user u1': 1, 'user undo-1': 1, 'user u2': 1 });
    assert.equal((await call('DELETE', `${sims.urls.user}/users/usr_none`)).body.error, 'USER_NOT_FOUND');
  });

  test('POST /users/{id}/deactivate keeps the email taken; a later activation is allowed', async () => {
    const sims = simulators();
    const id = String((await createUser(sims, 'd1')).body.id);
    const url = `${sims.urls.user}/users/${id}/deactivate`;
    const first = await call('POST', url, undefined, keyed('deact-1'));
    assert.equal(first.status, 200);
    assert.equal(first.body.status, 'deactivated');
    const second = await call('POST', url, undefined, keyed('deact-2'));
    assert.deepEqual(second.body, first.body);
    assert.equal((await createUser(sims, 'd2')).status, 409, 'the email stays taken');
    assert.equal(
      (await call('PATCH', `${sims.urls.user}/users/${id}/status`, { status: 'active' })).body.status,
      'active',
    );
    assert.equal(sims.counters.appliedByKey()['user deact-2'], undefined, 'a no-op applies nothing');
    assert.equal(
      (await call('POST', `${sims.urls.user}/users/usr_none/deactivate`)).body.error,
      'USER_NOT_FOUND',
    );
  });

  test('POST /profiles/{id}/cancel cancels once; lookups by id and by user', async () => {
    const sims = simulators();
    const id = await createProfile('usr_1');
    const cancel = await call('POST', `${sims.urls.billing}/profiles/${id}/cancel`, undefined, keyed('c1'));
    assert.equal(cancel.status, 200);
    assert.equal(cancel.body.status, 'cancelled');
    assert.equal(cancel.body.id, id);
    const again = await call('POST', `${sims.urls.billing}/profiles/${id}/cancel`, undefined, keyed('c2'));
    assert.deepEqual(again.body, cancel.body);
    assert.deepEqual((await call('GET', `${sims.urls.billing}/profiles/${id}`)).body, cancel.body);
    assert.deepEqual((await call('GET', `${sims.urls.billing}/profiles?user_id=usr_1`)).body, {
      profiles: [cancel.body],
    });
    assert.equal((await call('GET', `${sims.urls.billing}/profiles`)).status, 400);
    const [profile] = sims.counters.entities().profiles;
    assert.equal(profile?.undo_requests, 2);
    assert.equal(typeof profile?.cancelled_at, 'string');
    assert.equal(sims.counters.snapshot().services.billing?.applied, 2, 'create + one cancel');
    assert.equal((await call('POST', `${sims.urls.billing}/profiles/bp_none/cancel`)).status, 404);
  });

  test('POST /notifications/welcome/{id}/cancel cancels once; lookups by id and by user', async () => {
    const sims = simulators();
    const id = await createWelcome('usr_2');
    const url = `${sims.urls.notification}/notifications/welcome/${id}/cancel`;
    const cancel = await call('POST', url, undefined, keyed('w1'));
    assert.equal(cancel.status, 200);
    assert.deepEqual(
      { status: cancel.body.status, id: cancel.body.sequence_id },
      { status: 'cancelled', id },
    );
    assert.deepEqual((await call('POST', url, undefined, keyed('w2'))).body, cancel.body);
    assert.deepEqual(
      (await call('GET', `${sims.urls.notification}/notifications/welcome?user_id=usr_2`)).body,
      { sequences: [cancel.body] },
    );
    assert.deepEqual(
      (await call('GET', `${sims.urls.notification}/notifications/welcome/${id}`)).body,
      cancel.body,
    );
    const [sequence] = sims.counters.entities().welcomeSequences;
    assert.equal(sequence?.status, 'cancelled');
    assert.equal(sequence?.undo_requests, 2);
    assert.equal(
      (await call('POST', `${sims.urls.notification}/notifications/welcome/wseq_none/cancel`)).status,
      404,
    );
  });

  test('the aliases cancel the same entities (a no-op after the main route)', async () => {
    const sims = simulators();
    const profile = await createProfile('usr_5');
    const sequence = await createWelcome('usr_5');
    const viaAlias = await call('DELETE', `${sims.urls.billing}/billing-profiles/${profile}`);
    assert.deepEqual([viaAlias.status, viaAlias.body.status], [200, 'cancelled']);
    const main = await call('POST', `${sims.urls.billing}/profiles/${profile}/cancel`);
    assert.deepEqual(main.body, viaAlias.body);
    const welcome = await call('POST', `${sims.urls.notification}/welcome-sequences/${sequence}/cancel`);
    assert.deepEqual([welcome.status, welcome.body.status], [200, 'cancelled']);
    assert.equal((await call('DELETE', `${sims.urls.billing}/billing-profiles/bp_none`)).status, 404);
    assert.equal(sims.counters.snapshot().side_effects_applied, 4, '2 creates + 2 cancels');
  });

  test('registrationLeftovers names what a registration left standing until each undo ran', async () => {
    const sims = simulators();
    const headers = (key: string) => ({ 'idempotency-key': key, 'x-correlation-id': 'reg-9' });
    const user = await call(
      'POST',
      `${sims.urls.user}/users`,
      { email: 'l@example.com', name: 'L', plan: 'pro' },
      headers('u'),
    );
    const userId = String(user.body.id);
    const profile = await call(
      'POST',
      `${sims.urls.billing}/profiles`,
      { user_id: userId, plan: 'pro' },
      headers('p'),
    );
    const welcome = await call(
      'POST',
      `${sims.urls.notification}/notifications/welcome`,
      { user_id: userId, template: 't', channels: ['email'] },
      headers('w'),
    );
    assert.deepEqual(registrationLeftovers(sims.counters.entities(), 'reg-9'), [
      `user ${userId} is pending`,
      `billing profile ${profile.body.id} is awaiting_payment_method`,
      `welcome sequence ${welcome.body.sequence_id} is scheduled`,
    ]);
    assert.deepEqual(registrationLeftovers(sims.counters.entities(), 'other'), []);
    await call('POST', `${sims.urls.notification}/notifications/welcome/${welcome.body.sequence_id}/cancel`);
    await call('POST', `${sims.urls.billing}/profiles/${profile.body.id}/cancel`);
    assert.deepEqual(registrationLeftovers(sims.counters.entities(), 'reg-9'), [`user ${userId} is pending`]);
    await call('DELETE', `${sims.urls.user}/users/${userId}`);
    assert.deepEqual(registrationLeftovers(sims.counters.entities(), 'reg-9'), []);
  });

  test('a repeated Idempotency-Key on an undo replays its answer', async () => {
    const sims = simulators();
    const id = await createProfile('usr_3');
    const url = `${sims.urls.billing}/profiles/${id}/cancel`;
    const first = await call('POST', url, undefined, keyed('same'));
    const replay = await call('POST', url, undefined, keyed('same'));
    assert.deepEqual(replay.body, first.body);
    assert.equal(sims.counters.entities().profiles[0]?.undo_requests, 1, 'the replay never reached it');
    assert.equal(sims.counters.replays(), 1);
  });

  test('undo routes take faults like any route', async () => {
    const sims = simulators();
    const id = await createWelcome('usr_4');
    sims.faults.set('notification', UNDO_ROUTES.cancelWelcomeSequence, {
      kind: 'status',
      status: 503,
      times: 1,
    });
    const url = `${sims.urls.notification}/notifications/welcome/${id}/cancel`;
    assert.equal((await call('POST', url, undefined, keyed('f1'))).status, 503);
    assert.equal((await call('POST', url, undefined, keyed('f2'))).status, 200);
  });
});
