/**
 * Crash proof, the mid-invocation half (issue 13 "Done when"): for each flagship step, a
 * registration whose worker is killed while that step's HTTP call is out (the service still
 * applies it). The invocation fails with a crash error (`Runtime.ExitError`), the crash Retrier
 * runs the step again, and step idempotency keeps it exactly once: while the dead invocation's
 * in-progress record holds (until its Lambda deadline, as in AWS) the retries get
 * `IdempotencyAlreadyInProgressError`; after that the step runs, and the service replays its
 * first answer for the same Idempotency-Key. Every registration SUCCEEDED, every side effect once.
 *
 * The in-progress wait has a Retrier of its own (infra/workflow/retry.ts): six waits of a fifth of
 * the step's timeout, which outlast the dead invocation's deadline.
 *
 * At time scale 1: the in-progress record expires on the wall clock (the function's timeout),
 * which the engine's scaled Retrier waits would not outlast. So it lives in `npm run test:chaos`.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { IDEMPOTENCY_IN_PROGRESS_ERROR, LAMBDA_CRASH_ERRORS } from '../../lambdas/contracts.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime/index.ts';
import { type Simulators, simulatorsOf } from '../../local/simulators/user_registration/index.ts';
import { historyOf } from '../e2e/support.ts';
import { assertExactlyOnce, failuresOf, functionOf, killerOf } from '../reliability/crash-support.ts';
import { registrationBody, waitForTerminal } from '../reliability/support.ts';
import { STEP_ROUTES } from './chaos-checks.ts';

const STEPS = Object.keys(STEP_ROUTES);
/** How long each step's call stays out, so a kill lands mid-invocation. */
const CALL_MS = 600;

describe('a worker killed mid-invocation of each step', () => {
  let runtime: LocalRuntime;
  let sims: Simulators;
  const summary: string[] = [];

  before(async () => {
    runtime = await startLocalRuntime({ timeScale: 1 });
    sims = simulatorsOf(runtime);
  });
  afterEach(() => sims.faults.clear());
  after(async () => {
    console.log(`PROOF crash-mid-invocation: ${summary.join('; ')}`);
    await runtime?.close();
  });

  for (const [index, step] of STEPS.entries()) {
    test(`killed while ${step} calls its service: SUCCEEDED, the side effect applied once`, {
      timeout: 180_000,
    }, async () => {
      const kill = killerOf(runtime.lambdas);
      const { service, route } = STEP_ROUTES[step]!;
      const resource = runtime.workflow('user_registration').resourceUrl;
      const fn = functionOf(runtime.workflow('user_registration').definition, step);
      assert.ok(fn, `no Task state '${step}' with a function`);
      sims.faults.set(service, route, { kind: 'latency', ms: CALL_MS, times: 1 });
      const { body } = registrationBody(index, `crash-${step}`, 'pro');
      const email = (body.user_info as { email: string }).email;
      const started = await fetch(resource, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(started.status, 202);
      const { correlation_id: id, execution_arn: arn } = (await started.json()) as {
        correlation_id: string;
        execution_arn: string;
      };
      // Mid-invocation: the step's call has reached the service and is not answered yet.
      const deadline = Date.now() + 60_000;
      while (!sims.counters.log({ correlationId: id, route }).some((r) => r.endedAt === undefined)) {
        assert.ok(Date.now() < deadline, `${step} never called ${service} ${route}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const killedAt = Date.now();
      const killed = kill(fn, 'busy');
      const end = await waitForTerminal(runtime.sfnClient, arn, Date.now() + 150_000, 200);
      const recovered = (Date.now() - killedAt) / 1000;
      const failures = failuresOf(await historyOf(runtime.sfnClient, arn), step);
      const calls = sims.counters.log({ correlationId: id, route });
      const keys = new Set(calls.map((r) => `${service} ${r.idempotencyKey}`));
      const applied = Object.entries(sims.counters.appliedByKey())
        .filter(([key]) => keys.has(key))
        .map(([, n]) => n);
      summary.push(
        `${step}: killed=${killed} -> ${end} after ${recovered.toFixed(1)} s, ` +
          `failed invocations ${failures.length} (${[...new Set(failures)].join(',')}), calls=${calls.length} applied=${applied.join('+') || 0}`,
      );
      assert.equal(killed, 1, 'one busy sandbox was killed');
      assert.equal(
        end,
        'SUCCEEDED',
        `${runtime.getExecution(arn)?.error}: ${runtime.getExecution(arn)?.cause}`,
      );
      assert.ok(
        (LAMBDA_CRASH_ERRORS as readonly string[]).includes(failures[0] ?? ''),
        `the first failure of ${step} is a crash error: ${failures.join(', ')}`,
      );
      assert.deepEqual(
        failures.slice(1).filter((error) => error !== IDEMPOTENCY_IN_PROGRESS_ERROR),
        [],
        'after the crash only the dead invocation’s in-progress record delays the step',
      );
      const doc = (await (await fetch(`${resource}/${id}`)).json()) as {
        steps: Array<{ name: string; status: string }>;
      };
      assert.equal(
        doc.steps.find((s) => s.name === step)?.status,
        'succeeded',
        'the step succeeded (no fallback)',
      );
      assert.equal(keys.size, 1, 'every call of the step carried one Idempotency-Key');
      assert.deepEqual(applied, [1], 'that key applied once');
      assertExactlyOnce(sims, email);
    });
  }
});
