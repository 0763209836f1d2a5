/**
 * Crash proof (issue 13 "Done when"): a worker killed mid-invocation of each flagship step, and
 * the workers of every function killed while idle. Every registration SUCCEEDED, each side effect
 * exactly once. A kill mid-invocation is the Lambda sandbox dying while the step's HTTP call is
 * out (the service still applies it): the invocation fails `Runtime.ExitError`, the crash
 * Retrier runs the step again, and the step's Idempotency-Key makes the service replay its first
 * answer. A sandbox that died while idle is never handed an invocation: no step waits for its
 * function timeout.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { LAMBDA_CRASH_ERRORS } from '../../lambdas/contracts.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime/index.ts';
import type { LambdaAdapter } from '../../local/runtime/lambda-adapter.ts';
import { type Simulators, simulatorsOf } from '../../local/simulators/user_registration/index.ts';
import { STEP_ROUTES } from '../chaos/chaos-checks.ts';
import { historyOf } from '../e2e/support.ts';
import { registrationBody, waitForTerminal } from './support.ts';

const STEPS = Object.keys(STEP_ROUTES);
/** How long each step's call stays out, so a kill lands mid-invocation. */
const CALL_MS = 600;

/** The local runtime's kill hook (w3-local: kills a function's sandboxes as a crash would). */
type KillHook = { killSandboxes?(functionId: string, which?: 'all' | 'idle' | 'busy'): number };

/** The function a Task state named `step` invokes (anywhere in the definition). */
function functionOf(definition: unknown, step: string): string | undefined {
  type State = { Resource?: string; Parameters?: { FunctionName?: string }; Branches?: unknown[] };
  const states = (definition as { States?: Record<string, State> }).States ?? {};
  for (const [name, state] of Object.entries(states)) {
    if (name === step) {
      return state.Resource?.startsWith('arn:aws:lambda:') ? state.Resource : state.Parameters?.FunctionName;
    }
    for (const branch of state.Branches ?? []) {
      const found = functionOf(branch, step);
      if (found) return found;
    }
  }
  return undefined;
}

/** Failed Lambda invocations of `step` in the history, by error name. */
function failuresOf(events: readonly HistoryEvent[], step: string): string[] {
  const byId = new Map(events.map((event) => [event.id, event]));
  const stepOf = (event: HistoryEvent): string | undefined => {
    let current: HistoryEvent | undefined = event;
    for (let hops = 0; current && hops < 10; hops++) {
      const input =
        current.lambdaFunctionScheduledEventDetails?.input ?? current.taskScheduledEventDetails?.parameters;
      if (input) {
        const parsed = JSON.parse(input) as { step?: string; Payload?: { step?: string } };
        return parsed.step ?? parsed.Payload?.step;
      }
      current = byId.get(current.previousEventId);
    }
    return undefined;
  };
  return events
    .filter((event) => event.type === 'LambdaFunctionFailed' || event.type === 'TaskFailed')
    .filter((event) => stepOf(event) === step)
    .map(
      (event) => event.lambdaFunctionFailedEventDetails?.error ?? event.taskFailedEventDetails?.error ?? '',
    );
}

describe('workers that crash mid-invocation or die while idle', () => {
  let runtime: LocalRuntime;
  let sims: Simulators;
  let kill: (functionId: string, which: 'idle' | 'busy') => number;
  const summary: string[] = [];

  before(async () => {
    runtime = await startLocalRuntime({ timeScale: 50 });
    sims = simulatorsOf(runtime);
    const hook = (runtime.lambdas as LambdaAdapter & KillHook).killSandboxes;
    kill = (functionId, which) => {
      assert.ok(hook, 'the local runtime exposes no killSandboxes(functionId, which) hook');
      return hook.call(runtime.lambdas, functionId, which);
    };
  });
  afterEach(() => sims.faults.clear());
  after(async () => {
    console.log(`PROOF crashes: ${summary.join('; ')}`);
    await runtime?.close();
  });

  /** Exactly once: one user, at most one profile, one welcome, one activation; no key applied twice. */
  const exactlyOnce = (email: string) => {
    const entities = sims.counters.entities();
    const user = entities.users.filter((u) => u.email === email);
    assert.equal(user.length, 1, `users of ${email}`);
    assert.equal(user[0]!.status, 'active');
    assert.equal(user[0]!.activations, 1);
    assert.equal(entities.profiles.filter((p) => p.user_id === user[0]!.id).length, 1);
    assert.equal(entities.welcomeSequences.filter((w) => w.user_id === user[0]!.id).length, 1);
    assert.equal(entities.preferences.filter((p) => p.user_id === user[0]!.id).length, 1);
    assert.deepEqual(sims.counters.duplicates(), []);
  };

  for (const step of STEPS) {
    test(`a worker killed while ${step} calls its service: SUCCEEDED, the side effect applied once`, async () => {
      const { service, route } = STEP_ROUTES[step]!;
      const definition = runtime.workflow('user_registration').definition;
      const fn = functionOf(definition, step);
      assert.ok(fn, `no Task state '${step}' with a function`);
      sims.faults.set(service, route, { kind: 'latency', ms: CALL_MS, times: 1 });
      const { body } = registrationBody(STEPS.indexOf(step), `crash-${step}`, 'pro');
      const email = (body.user_info as { email: string }).email;
      const started = await fetch(runtime.workflow('user_registration').resourceUrl, {
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
      const deadline = Date.now() + 30_000;
      while (!sims.counters.log({ correlationId: id, route }).some((r) => r.endedAt === undefined)) {
        assert.ok(Date.now() < deadline, `${step} never called ${service} ${route}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const killed = kill(fn, 'busy');
      const end = await waitForTerminal(runtime.sfnClient, arn, Date.now() + 60_000, 50);
      const failures = failuresOf(await historyOf(runtime.sfnClient, arn), step);
      const calls = sims.counters.requests({ correlationId: id, route });
      const applied = Object.entries(sims.counters.appliedByKey()).filter(([key]) =>
        sims.counters.log({ correlationId: id, route }).some((r) => key === `${service} ${r.idempotencyKey}`),
      );
      summary.push(
        `${step}: killed=${killed} -> ${end}, failures [${failures.join(',')}], calls=${calls}, applied=${applied.map(([, n]) => n).join('+') || 0}`,
      );
      assert.equal(killed, 1, 'one busy sandbox was killed');
      assert.equal(end, 'SUCCEEDED', runtime.getExecution(arn)?.cause);
      assert.equal(failures.length, 1, `one failed invocation of ${step}: ${failures.join(', ')}`);
      assert.ok(
        (LAMBDA_CRASH_ERRORS as readonly string[]).includes(failures[0]!),
        `${failures[0]} is a crash error`,
      );
      const stepStatus = await fetch(`${runtime.workflow('user_registration').resourceUrl}/${id}`);
      const doc = (await stepStatus.json()) as { steps: Array<{ name: string; status: string }> };
      assert.equal(
        doc.steps.find((s) => s.name === step)?.status,
        'succeeded',
        'the step itself succeeded (no fallback)',
      );
      assert.deepEqual(
        applied.map(([, n]) => n),
        [1],
        'one Idempotency-Key, applied once',
      );
      exactlyOnce(email);
    });
  }

  test('every function’s idle workers killed: the next registration SUCCEEDED on first attempts, no timeout', async () => {
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
    summary.push(
      `idle: killed=${killed} -> ${end} in ${seconds.toFixed(1)}s, failures [${failures.join(',')}]`,
    );
    assert.ok(killed >= STEPS.length, `killed ${killed} idle sandboxes`);
    assert.equal(end, 'SUCCEEDED');
    assert.deepEqual(failures, [], 'no invocation went to a dead sandbox');
    // Far below any step's function timeout (30 s): nothing waited for a dead worker.
    assert.ok(seconds < 15, `took ${seconds} s`);
    exactlyOnce(email);
  });
});
