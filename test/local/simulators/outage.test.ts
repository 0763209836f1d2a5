import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFaultController } from '../../../local/simulators/faults.ts';
import { startServices } from '../../../local/simulators/index.ts';
import { call, createUser, user, useSimulators } from './support.ts';

const simulators = useSimulators();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('outage faults', () => {
  test('a service is down for every caller and route during the window, then answers again', async () => {
    const sims = simulators();
    sims.faults.set('user', '*', { kind: 'outage', durationMs: 400 });
    const during = await createUser(sims, 'o1');
    assert.equal(during.status, 503);
    assert.equal(during.body.error, 'SERVICE_UNAVAILABLE');
    assert.equal((await call('GET', `${sims.urls.user}/users/usr_1`)).status, 503, 'reads too');
    assert.equal(
      (await call('POST', `${sims.urls.billing}/profiles`, { user_id: 'u', plan: 'pro' })).status,
      201,
      'other services are up',
    );
    const [record] = sims.faults.outages();
    assert.deepEqual(
      { ...record, starts_at: undefined, ends_at: undefined },
      {
        service: 'user',
        route: '*',
        starts_at: undefined,
        ends_at: undefined,
        state: 'active',
        answer: 503,
        calls: 2,
      },
    );
    await sleep(450);
    assert.equal((await createUser(sims, 'o1')).status, 201, 'the same key applies once it is back');
    assert.equal(sims.faults.outages()[0]?.state, 'ended');
    assert.equal(sims.faults.outages()[0]?.calls, 2, 'calls after the window are not counted');
    assert.deepEqual(sims.faults.list(), {}, 'an ended outage is no longer listed');
    assert.equal(sims.counters.entities().users.length, 1);
    assert.equal(sims.counters.snapshot().faults_fired.outage, 2);
  });

  test('refuse closes connections without an answer; an outage starts later when asked', async () => {
    const sims = simulators();
    sims.faults.set('notification', '*', { kind: 'outage', durationMs: 300, startInMs: 150, refuse: true });
    const welcome = { user_id: 'usr_1', template: 't', channels: ['email'] };
    const url = `${sims.urls.notification}/notifications/welcome`;
    assert.equal(sims.faults.outages()[0]?.state, 'pending');
    assert.equal((await call('POST', url, welcome, { 'idempotency-key': 'w1' })).status, 202, 'not yet');
    await sleep(200);
    await assert.rejects(call('POST', url, welcome, { 'idempotency-key': 'w2' }), /fetch failed/);
    const listed = sims.faults.list().notification?.['*']?.[0];
    assert.equal(listed?.kind, 'outage');
    assert.equal(typeof listed?.endsAt, 'string');
    assert.equal(sims.faults.outages()[0]?.answer, 'refuse');
    assert.equal(sims.counters.log({ service: 'notification' }).at(-1)?.status, undefined);
  });

  test('an outage wins over other faults; clearing it ends it now and keeps its record', async () => {
    const sims = simulators();
    sims.faults.set('user', 'POST /users', { kind: 'status', status: 429 });
    sims.faults.set('user', '*', { kind: 'outage', durationMs: 60_000, status: 500 });
    assert.equal((await createUser(sims, 'c1')).status, 500);
    sims.faults.clear('user', '*');
    assert.equal((await createUser(sims, 'c1')).status, 429, 'the route fault is left');
    const [record] = sims.faults.outages();
    assert.equal(record?.state, 'ended');
    assert.equal(record?.calls, 1);
    sims.reset();
    assert.deepEqual(sims.faults.outages(), [], 'reset forgets past outages');
  });

  test('the control API sets outages and reports them in /_stats', async () => {
    const sims = simulators();
    const set = await call('POST', `${sims.urls.user}/_faults`, {
      service: 'billing',
      fault: { kind: 'outage', durationMs: 5000 },
    });
    assert.equal(set.status, 200);
    await call('POST', `${sims.urls.billing}/profiles`, { user_id: 'u', plan: 'pro' });
    const stats = (await call('GET', `${sims.urls.user}/_stats`)).body;
    const outages = stats.outages as Array<{ service: string; calls: number; state: string }>;
    assert.deepEqual(
      outages.map(({ service, calls, state }) => ({ service, calls, state })),
      [{ service: 'billing', calls: 1, state: 'active' }],
    );
    const bad = await call('POST', `${sims.urls.user}/_faults`, {
      service: 'billing',
      fault: { kind: 'outage', durationMs: 10, times: 2 },
    });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.message), /an outage takes no times or probability/);
  });

  test('malformed outages are refused naming the field', () => {
    const faults = createFaultController(Math.random, () => new Map([['s', ['GET /x']]]));
    assert.throws(
      () => faults.set('s', '*', { kind: 'outage', durationMs: 0 }),
      /fault\.durationMs of an outage must be a positive number/,
    );
    assert.throws(
      () => faults.set('s', '*', { kind: 'outage', durationMs: 5, startInMs: -1 }),
      /fault\.startInMs of an outage must be a non-negative number/,
    );
    assert.throws(
      () => faults.set('s', '*', { kind: 'outage', durationMs: 5, refuse: true, status: 503 }),
      /either refuses connections or answers a status, not both/,
    );
    assert.throws(
      () => faults.set('s', '*', { kind: 'outage', durationMs: 5, status: 99 }),
      /HTTP status code/,
    );
  });

  test('the window follows the clock given to the controller', () => {
    let now = 1_000;
    const faults = createFaultController(
      Math.random,
      () => new Map([['s', ['GET /x']]]),
      () => now,
    );
    faults.set('s', '*', { kind: 'outage', durationMs: 100, startInMs: 50 });
    assert.equal(faults.pick('s', 'GET /x'), undefined);
    now = 1_050;
    assert.equal(faults.pick('s', 'GET /x')?.kind, 'outage');
    now = 1_149;
    assert.equal(faults.pick('s', 'GET /x')?.kind, 'outage');
    now = 1_150;
    assert.equal(faults.pick('s', 'GET /x'), undefined);
    assert.deepEqual(faults.outages(), [
      {
        service: 's',
        route: '*',
        starts_at: new Date(1_050).toISOString(),
        ends_at: new Date(1_150).toISOString(),
        state: 'ended',
        answer: 503,
        calls: 2,
      },
    ]);
  });

  test('an outage that starts on its first call waits for it, and clearing an unstarted one ends it', () => {
    let now = 5_000;
    const faults = createFaultController(
      Math.random,
      () => new Map([['s', ['GET /x']]]),
      () => now,
    );
    faults.set('s', '*', { kind: 'outage', durationMs: 100, startsOnFirstCall: true });
    assert.equal(faults.outages()[0]?.state, 'pending');
    assert.equal(faults.outages()[0]?.starts_at, null);
    assert.equal(faults.list().s?.['*']?.[0]?.startsAt, null);
    now = 9_000;
    assert.equal(faults.pick('s', 'GET /x')?.kind, 'outage', 'the first call meets it');
    now = 9_099;
    assert.equal(faults.pick('s', 'GET /x')?.kind, 'outage');
    now = 9_100;
    assert.equal(faults.pick('s', 'GET /x'), undefined);
    assert.deepEqual(
      { ...faults.outages()[0] },
      {
        service: 's',
        route: '*',
        starts_at: new Date(9_000).toISOString(),
        ends_at: new Date(9_100).toISOString(),
        state: 'ended',
        answer: 503,
        calls: 2,
      },
    );
    faults.set('s', 'GET /x', { kind: 'outage', durationMs: 100, startsOnFirstCall: true });
    faults.clear('s');
    assert.equal(faults.outages()[1]?.state, 'ended');
    assert.equal(faults.outages()[1]?.calls, 0);
    assert.throws(
      () =>
        faults.set('s', '*', {
          kind: 'outage',
          durationMs: 1,
          startsOnFirstCall: 'yes' as unknown as boolean,
        }),
      /fault\.startsOnFirstCall of an outage must be true or false/,
    );
  });

  test("a set's planned outages start with the services and again on reset", async () => {
    const services = await startServices(() => ({
      services: [
        {
          name: 'ledger',
          routes: [{ key: 'POST /entries', handle: () => ({ status: 201, body: {}, applied: true }) }],
        },
      ],
      outages: [{ service: 'ledger', fault: { kind: 'outage', durationMs: 200 } }],
    }));
    try {
      const post = () => call('POST', `${services.urls.ledger}/entries`, user());
      assert.equal((await post()).status, 503);
      await sleep(250);
      assert.equal((await post()).status, 201);
      services.reset();
      assert.equal((await post()).status, 503, 'planned again from the reset');
      assert.equal(services.faults.outages().length, 1);
    } finally {
      await services.close();
    }
  });
});
