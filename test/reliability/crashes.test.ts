/**
 * Crash proof, the idle half (issue 13 "Done when"): every function's idle workers killed, then a
 * registration. A sandbox that died while idle is never handed an invocation, so no step fails and
 * none waits for its function timeout. The mid-invocation half (a worker killed while each step's
 * call is out) is test/chaos/crashes.chaos.ts: it waits out real lock expiries.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { LocalRuntime } from '../../local/runtime/index.ts';
import { type Simulators, simulatorsOf } from '../../local/simulators/user_registration/index.ts';
import { STEP_ROUTES } from '../chaos/chaos-checks.ts';
import { sharedRuntime } from '../e2e/shared-runtime.ts';
import { historyOf } from '../e2e/support.ts';
import { assertExactlyOnce, failuresOf, functionOf, killerOf } from './crash-support.ts';
import { registrationBody, waitForTerminal } from './support.ts';

const STEPS = Object.keys(STEP_ROUTES);

describe('workers that died while idle', () => {
  let runtime: LocalRuntime;
  let sims: Simulators;

  before(async () => {
    runtime = await sharedRuntime();
    sims = simulatorsOf(runtime);
  });

  test('every function’s idle workers killed: the next registration SUCCEEDED on first attempts, no timeout', async () => {
    const kill = killerOf(runtime.lambdas);
    const definition = runtime.workflow('user_registration').definition;
    let killed = 0;
    for (const step of STEPS) killed += kill(functionOf(definition, step)!, 'idle');
    const { body } = registrationBody(99, 'crash-idle', 'pro');
    const email = (body.user_info as { email: string }).email;
    const began = Date.now();
    const started = await fetch(runtime.workflow('user_registration').resourceUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(started.status, 202);
    const { execution_arn: arn } = (await started.json()) as { execution_arn: string };
    const end = await waitForTerminal(runtime.sfnClient, arn, Date.now() + 60_000, 50);
    const seconds = (Date.now() - began) / 1000;
    const events = await historyOf(runtime.sfnClient, arn);
    const failures = STEPS.flatMap((step) => failuresOf(events, step));
    console.log(
      `PROOF crash-idle: ${killed} idle sandboxes of ${STEPS.length} step functions killed -> ${end} in ${seconds.toFixed(1)} s, ` +
        `failed invocations ${failures.length} [${failures.join(',')}], duplicates ${sims.counters.duplicates().length}`,
    );
    assert.ok(killed >= STEPS.length, `killed ${killed} idle sandboxes`);
    assert.equal(end, 'SUCCEEDED');
    assert.deepEqual(failures, [], 'no invocation went to a dead sandbox');
    // Nothing waited out a function timeout on a dead worker (a wall-clock bound here would only
    // measure the machine's load: under load 20 the five cold starts alone took 50 s).
    const timedOut = events.filter((event) => /TimedOut$/.test(event.type ?? '')).map((event) => event.type);
    assert.deepEqual(timedOut, [], 'no invocation or execution timed out');
    assertExactlyOnce(sims, email);
  });
});
