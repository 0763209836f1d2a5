/**
 * Helpers of the crash proofs (crashes.test.ts, test/chaos/crashes.chaos.ts): the function a step
 * invokes, the local runtime's kill hook, a step's failed invocations, and the exactly-once check
 * on what the flagship's simulators hold.
 */
import assert from 'node:assert/strict';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { LambdaAdapter } from '../../local/runtime/lambda-adapter.ts';
import type { Simulators } from '../../local/simulators/user_registration/index.ts';

/** The local runtime's kill hook (kills a function's sandboxes as a crash would). */
type KillHook = { killSandboxes?(functionId: string, which?: 'all' | 'idle' | 'busy'): number };

/**
 * `lambdas.killSandboxes(functionId, which)`: the busy or idle sandboxes of one function die
 * as a crashed Lambda sandbox does. Fails the test when the runtime has no such hook.
 */
export function killerOf(lambdas: LambdaAdapter): (functionId: string, which: 'idle' | 'busy') => number {
  const hook = (lambdas as LambdaAdapter & KillHook).killSandboxes;
  return (functionId, which) => {
    assert.ok(hook, 'the local runtime exposes no killSandboxes(functionId, which) hook');
    return hook.call(lambdas, functionId, which);
  };
}

/** The function a Task state named `step` invokes (anywhere in the definition). */
export function functionOf(definition: unknown, step: string): string | undefined {
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

/** Failed Lambda invocations of `step` in the history, by error name, oldest first. */
export function failuresOf(events: readonly HistoryEvent[], step: string): string[] {
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

/**
 * Exactly once for one registration: one user (active, activated once), one billing profile, one
 * preference record, one welcome sequence, and no Idempotency-Key applied twice anywhere.
 */
export function assertExactlyOnce(sims: Simulators, email: string): void {
  const entities = sims.counters.entities();
  const users = entities.users.filter((u) => u.email === email);
  assert.equal(users.length, 1, `users of ${email}`);
  const user = users[0]!;
  assert.equal(user.status, 'active');
  assert.equal(user.activations, 1);
  assert.equal(entities.profiles.filter((p) => p.user_id === user.id).length, 1);
  assert.equal(entities.welcomeSequences.filter((w) => w.user_id === user.id).length, 1);
  assert.equal(entities.preferences.filter((p) => p.user_id === user.id).length, 1);
  assert.deepEqual(sims.counters.duplicates(), []);
}
