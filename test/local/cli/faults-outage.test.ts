import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { UsageError } from '../../../local/cli/args.ts';
import { runFaultsCommand } from '../../../local/cli/faults-command.ts';
import { type Simulators, startSimulators } from '../../../local/simulators/user_registration/index.ts';

describe('faults set --outage against the simulators', () => {
  let sims: Simulators;
  before(async () => {
    sims = await startSimulators({ seed: 3 });
  });
  after(() => sims.close());

  test('sets an outage of the whole service; show lists it and the calls it met', async () => {
    const set = await runFaultsCommand(sims.urls.user, [
      'set',
      'billing',
      '--outage',
      '30',
      '--start-in',
      '0',
    ]);
    assert.match(
      set,
      /^ {2}billing +\* +\{"kind":"outage","durationMs":30000,"startInMs":0,"startsAt":"[^"]+","endsAt":"[^"]+"\}$/m,
    );
    const down = await fetch(`${sims.urls.billing}/profiles`, { method: 'POST', body: '{}' });
    assert.equal(down.status, 503);
    const shown = await runFaultsCommand(sims.urls.user, ['show']);
    assert.match(shown, /^Outages:\n {2}billing +\* +active +\S+ - \S+ {2}answer 503 {2}calls 1$/m);
    const cleared = await runFaultsCommand(sims.urls.user, ['clear', 'billing']);
    assert.match(cleared, /^No faults active\.$/m);
    assert.match(await runFaultsCommand(sims.urls.user, ['show']), /billing +\* +ended .* calls 1$/m);
  });

  test('--from-first-call waits for traffic: show says so until the first call arrives', async () => {
    await runFaultsCommand(sims.urls.user, ['set', 'preferences', '--outage', '30', '--from-first-call']);
    assert.match(
      await runFaultsCommand(sims.urls.user, ['show']),
      /preferences +\* +pending +starts at its first call {2}answer 503 {2}calls 0$/m,
    );
    const url = `${sims.urls.preferences}/users/usr_1/preferences`;
    assert.equal((await fetch(url, { method: 'POST', body: '{"preferences":{}}' })).status, 503);
    assert.match(await runFaultsCommand(sims.urls.user, ['show']), /preferences +\* +active .* calls 1$/m);
    await runFaultsCommand(sims.urls.user, ['clear']);
  });

  test('--refuse closes connections; --status picks the answer', async () => {
    await runFaultsCommand(sims.urls.user, ['set', 'user', 'POST /users', '--outage', '5', '--refuse']);
    await assert.rejects(fetch(`${sims.urls.user}/users`, { method: 'POST', body: '{}' }), /fetch failed/);
    await runFaultsCommand(sims.urls.user, [
      'set',
      'user',
      'POST /users',
      '--outage',
      '5',
      '--status',
      '502',
    ]);
    assert.equal((await fetch(`${sims.urls.user}/users`, { method: 'POST', body: '{}' })).status, 502);
    await runFaultsCommand(sims.urls.user, ['clear']);
  });

  test('bad outage command lines are usage errors naming the flag', async () => {
    const refused = async (args: string[], message: RegExp) =>
      assert.rejects(runFaultsCommand(sims.urls.user, ['set', 'billing', ...args]), (error: unknown) => {
        assert.ok(error instanceof UsageError, String(error));
        assert.match(error.message, message);
        return true;
      });
    await refused(['--outage', '0'], /--outage must be a positive number of seconds, got '0'/);
    await refused(['--outage', 'x'], /--outage must be a non-negative number, got 'x'/);
    await refused(
      ['--outage', '5', '--times', '2'],
      /--outage takes only --start-in and --status N or --refuse, not --times/,
    );
    await refused(['--outage', '5', '--drop'], /not --drop/);
    await refused(
      ['--outage', '5', '--refuse', '--status', '503'],
      /either --status N or --refuse, not both/,
    );
    await refused(['--refuse'], /--refuse, --start-in and --from-first-call go with --outage SECONDS/);
    assert.deepEqual(sims.faults.list(), {}, 'nothing was set');
  });
});
