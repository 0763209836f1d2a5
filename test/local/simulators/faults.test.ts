import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { call, createUser as create, until, user, useSimulators } from './support.ts';

const simulators = useSimulators();
const createUser = (key: string, body?: unknown) => create(simulators(), key, body);

describe('fault injection', () => {
  test('a status fault fires N times, applies nothing and sends Retry-After (seconds or HTTP date)', async () => {
    simulators().faults.set('user', 'POST /users', { kind: 'status', status: 429, retryAfter: 2, times: 2 });
    const first = await createUser('f1');
    assert.equal(first.status, 429);
    assert.equal(first.headers.get('retry-after'), '2');
    assert.equal((await createUser('f1')).status, 429);
    assert.equal((await createUser('f1')).status, 201);
    assert.equal(simulators().counters.entities().users.length, 1);
    simulators().faults.set('user', '*', {
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
      simulators().reset();
      simulators().faults.set('billing', 'POST /profiles', { kind: 'status', status: 503, probability: 0.3 });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) {
        statuses.push(
          (await call('POST', `${simulators().urls.billing}/profiles`, { user_id: `u${i}`, plan: 'pro' }))
            .status,
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
    simulators().faults.set('user', 'POST /users', { kind: 'latency', ms: 300, times: 1 });
    await assert.rejects(
      fetch(`${simulators().urls.user}/users`, {
        method: 'POST',
        body: JSON.stringify(user()),
        headers: { 'idempotency-key': 'slow' },
        signal: AbortSignal.timeout(100),
      }),
      { name: 'TimeoutError' },
    );
    await until(() => simulators().counters.log()[0]?.outcome !== undefined);
    assert.equal(simulators().counters.entities().users.length, 1);
    assert.equal((await createUser('slow')).status, 201);
    assert.equal(simulators().counters.replays(), 1);
  });

  test('drop closes the connection before any write; apply_then_drop after the write', async () => {
    simulators().faults.set('user', 'POST /users', [
      { kind: 'drop', times: 1 },
      { kind: 'apply_then_drop', times: 1 },
    ]);
    await assert.rejects(createUser('d1'), { name: 'TypeError' });
    assert.equal(simulators().counters.entities().users.length, 0);
    await assert.rejects(createUser('d1'), { name: 'TypeError' });
    assert.equal(simulators().counters.entities().users.length, 1);
    assert.equal((await createUser('d1')).status, 201);
    assert.deepEqual(simulators().counters.duplicates(), []);
    assert.deepEqual(
      simulators()
        .counters.log()
        .map((r) => [r.fault, r.outcome]),
      [
        ['drop', 'fault'],
        ['apply_then_drop', 'applied'],
        [undefined, 'replayed'],
      ],
    );
  });

  test('apply_then_delay answers after the client gave up', async () => {
    simulators().faults.set('notification', '*', { kind: 'apply_then_delay', ms: 300, times: 1 });
    const body = { user_id: 'usr_5', template: 't', channels: ['in_app'] };
    await assert.rejects(
      fetch(`${simulators().urls.notification}/notifications/welcome`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'idempotency-key': 'late' },
        signal: AbortSignal.timeout(100),
      }),
      { name: 'TimeoutError' },
    );
    await until(() => simulators().counters.log()[0]?.outcome !== undefined);
    assert.equal(simulators().counters.entities().welcomeSequences.length, 1);
  });

  test('base latency applies to every call and can change at run time', async () => {
    simulators().latencyMs = 60;
    const started = performance.now();
    await call('GET', `${simulators().urls.user}/users?email=x@y.z`);
    assert.ok(performance.now() - started >= 55);
    simulators().latencyMs = 0;
  });

  test('invalid faults are refused with the field named', () => {
    assert.throws(
      () => simulators().faults.set('user', '*', { kind: 'status', status: 42 }),
      /fault\.status/,
    );
    assert.throws(
      () => simulators().faults.set('user', '*', { kind: 'drop', probability: 2 }),
      /fault\.probability/,
    );
    assert.throws(
      () => simulators().faults.set('nope' as 'user', '*', { kind: 'drop' }),
      /unknown service 'nope'/,
    );
  });
});
