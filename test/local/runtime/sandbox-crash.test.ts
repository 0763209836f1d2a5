import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createLambdaAdapter, type InvokeOutcome } from '../../../local/runtime/lambda-adapter.ts';
import { type LocalFunction, localFunctionArn } from '../../../local/runtime/template.ts';

/** Every function here times out after 30 s: a call that waited for a dead sandbox would show. */
const TIMEOUT_SECONDS = 30;
/** Far below the timeout, far above a cold start on a busy 2-core machine. */
const FAST_MS = 10_000;

function crashy(logicalId: string, memoryMb = 256): LocalFunction {
  return {
    logicalId,
    functionName: logicalId,
    arn: localFunctionArn(logicalId),
    modulePath: join(import.meta.dirname, 'fixtures', 'crashy.ts'),
    handler: 'handler',
    env: {},
    timeoutSeconds: TIMEOUT_SECONDS,
    memoryMb,
  };
}

/**
 * A handler that throws outside its promise chain (from a timer) while its invocation is still
 * out, or, with `afterReply`, just after answering. Written to a scratch directory: it counts its
 * calls per sandbox, so a reused sandbox would show.
 */
const THROWER = `let calls = 0;
export async function handler(event) {
  calls += 1;
  if (event.afterReply) {
    setTimeout(() => { throw new RangeError('thrown after the reply'); }, 20);
    return { calls };
  }
  if (event.throwOutside) {
    setTimeout(() => { throw new TypeError('thrown outside the promise chain'); }, 0);
    return new Promise(() => undefined);
  }
  return { calls };
}
`;
const scratch = mkdtempSync(join(tmpdir(), 'sandbox-crash-'));
writeFileSync(join(scratch, 'thrower.mjs'), THROWER);

function thrower(logicalId: string): LocalFunction {
  return { ...crashy(logicalId), modulePath: join(scratch, 'thrower.mjs') };
}

async function timed(run: () => Promise<InvokeOutcome>): Promise<[InvokeOutcome, number]> {
  const started = performance.now();
  const outcome = await run();
  return [outcome, performance.now() - started];
}

const errorType = (outcome: InvokeOutcome): string => (outcome.ok ? 'ok' : outcome.error.errorType);

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('local Lambda adapter: crashed sandboxes', () => {
  const adapter = createLambdaAdapter({
    functions: [
      crashy('ExitFn'),
      crashy('IdleExitFn'),
      crashy('OomFn', 64),
      crashy('KillFn'),
      thrower('ThrowFn'),
      thrower('IdleThrowFn'),
    ],
    compileCacheDir: '',
  });
  after(async () => {
    await adapter.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('process.exit() mid-invocation fails it with Runtime.ExitError; the next call runs at once on a fresh sandbox', async () => {
    const [crashed, crashMs] = await timed(() => adapter.invokeRaw('ExitFn', { attempt: 0 }));
    assert.equal(errorType(crashed), 'Runtime.ExitError');
    assert.equal(
      crashed.ok ? '' : crashed.error.errorMessage,
      `RequestId: ${crashed.requestId} Error: Runtime exited with error: exit status 3`,
    );
    assert.ok(crashMs < FAST_MS, `the crash was reported after ${crashMs} ms`);
    const [next, nextMs] = await timed(() => adapter.invokeRaw('ExitFn', { attempt: 1 }));
    assert.deepEqual(next.ok ? next.result : next.error, { calls: 1, threadCalls: 1 });
    assert.ok(nextMs < FAST_MS, `the next call took ${nextMs} ms`);
    assert.equal(adapter.stats().ExitFn?.coldStarts, 2);
  });

  test('a sandbox that died while idle is dropped, replaced, and never handed an invocation', async () => {
    const first = await adapter.invokeRaw('IdleExitFn', { exitAfterReply: true });
    assert.equal(errorType(first), 'ok');
    // The exit is noticed, the dead sandbox leaves the pool, and a fresh one is started warm.
    await until(() => adapter.stats().IdleExitFn?.coldStarts === 2, 'the replacement sandbox');
    await until(() => adapter.stats().IdleExitFn?.idle === 1, 'the replacement to be warm');
    const [next, nextMs] = await timed(() => adapter.invokeRaw('IdleExitFn', {}));
    assert.deepEqual(next.ok ? next.result : next.error, { calls: 1, threadCalls: 1 });
    assert.ok(nextMs < FAST_MS, `the next call took ${nextMs} ms`);
    assert.equal(adapter.stats().IdleExitFn?.alive, 1);
  });

  test('a heap that outgrows the function memory fails with Runtime.OutOfMemory', async () => {
    const [oom, oomMs] = await timed(() => adapter.invokeRaw('OomFn', { oom: true }));
    assert.equal(errorType(oom), 'Runtime.OutOfMemory');
    assert.ok(oomMs < FAST_MS * 2, `out of memory reported after ${oomMs} ms`);
    const next = await adapter.invokeRaw('OomFn', {});
    assert.deepEqual(next.ok ? next.result : next.error, { calls: 1, threadCalls: 1 });
  });

  test('an unhandled promise rejection fails the invocation with Runtime.UnhandledPromiseRejection', async () => {
    const [rejected, rejectedMs] = await timed(() => adapter.invokeRaw('ExitFn', { rejectUnhandled: true }));
    assert.deepEqual(rejected.ok ? rejected.result : rejected.error, {
      errorType: 'Runtime.UnhandledPromiseRejection',
      errorMessage: 'TypeError: lost in a floating promise',
      trace: [],
    });
    assert.ok(rejectedMs < FAST_MS, `reported after ${rejectedMs} ms`);
    const next = await adapter.invokeRaw('ExitFn', {});
    assert.deepEqual(next.ok ? next.result : next.error, { calls: 1, threadCalls: 1 });
  });

  test("an exception thrown outside the promise chain fails the invocation under the error's own name, as the Node.js runtime reports it; the sandbox is not reused", async () => {
    const [thrown, thrownMs] = await timed(() => adapter.invokeRaw('ThrowFn', { throwOutside: true }));
    assert.ok(!thrown.ok, 'the invocation failed');
    assert.equal(thrown.error.errorType, 'TypeError');
    assert.equal(thrown.error.errorMessage, 'thrown outside the promise chain');
    assert.equal(thrown.error.trace?.[0], 'TypeError: thrown outside the promise chain');
    assert.ok(thrownMs < FAST_MS, `reported after ${thrownMs} ms`);
    const [next, nextMs] = await timed(() => adapter.invokeRaw('ThrowFn', {}));
    assert.deepEqual(next.ok ? next.result : next.error, { calls: 1 }, 'a fresh sandbox answered');
    assert.ok(nextMs < FAST_MS, `the next call took ${nextMs} ms`);
    assert.equal(adapter.stats().ThrowFn?.coldStarts, 2);
  });

  test('an exception thrown after the reply ends the sandbox while idle: the next call gets a fresh one', async () => {
    const first = await adapter.invokeRaw('IdleThrowFn', { afterReply: true });
    assert.deepEqual(first.ok ? first.result : first.error, { calls: 1 });
    await until(() => adapter.stats().IdleThrowFn?.coldStarts === 2, 'the replacement sandbox');
    const next = await adapter.invokeRaw('IdleThrowFn', {});
    assert.deepEqual(next.ok ? next.result : next.error, { calls: 1 }, 'not the sandbox that threw');
  });

  test('killSandboxes kills a running invocation (Runtime.ExitError) and idle sandboxes alike', async () => {
    const running = adapter.invokeRaw('KillFn', { sleepMs: 5_000 });
    await until(() => adapter.stats().KillFn?.alive === 1 && adapter.stats().KillFn?.idle === 0, 'the call');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(adapter.killSandboxes('KillFn', 'idle'), 0, 'no idle sandbox to kill');
    assert.equal(adapter.killSandboxes(localFunctionArn('KillFn'), 'busy'), 1);
    const [killed, killedMs] = await timed(() => running);
    assert.equal(errorType(killed), 'Runtime.ExitError');
    assert.ok(killedMs < 4_000, `the kill was reported after ${killedMs} ms`);
    assert.equal(errorType(await adapter.invokeRaw('KillFn', {})), 'ok');
    const coldBefore = adapter.stats().KillFn?.coldStarts ?? 0;
    assert.equal(adapter.killSandboxes('KillFn'), 1);
    const again = await adapter.invokeRaw('KillFn', {});
    assert.deepEqual(again.ok ? again.result : again.error, { calls: 1, threadCalls: 1 });
    assert.ok((adapter.stats().KillFn?.coldStarts ?? 0) > coldBefore);
    assert.throws(() => adapter.killSandboxes('NoSuchFn'), {
      message: "killSandboxes: no function 'NoSuchFn'",
    });
  });
});
