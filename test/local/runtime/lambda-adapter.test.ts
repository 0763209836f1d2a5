import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createLambdaAdapter, LambdaFunctionError } from '../../../local/runtime/lambda-adapter.ts';
import { type LocalFunction, localFunctionArn } from '../../../local/runtime/template.ts';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'lambdas');

function fixture(logicalId: string, file: string, extra: Partial<LocalFunction> = {}): LocalFunction {
  return {
    logicalId,
    functionName: logicalId,
    arn: localFunctionArn(logicalId),
    modulePath: join(fixtures, file),
    handler: 'handler',
    env: {},
    timeoutSeconds: 5,
    memoryMb: 256,
    ...extra,
  };
}

describe('local Lambda adapter', () => {
  const lines: Array<[string, string]> = [];
  const adapter = createLambdaAdapter({
    functions: [
      fixture('BillingFn', 'echo-env.ts', { env: { STEP_NAME: 'setup_billing_profile' } }),
      fixture('PrefsFn', 'echo-env.ts', { env: { STEP_NAME: 'initialize_preferences' } }),
      fixture('ShortFn', 'echo-env.ts', { timeoutSeconds: 1 }),
      fixture('FailFn', 'fail.ts'),
      fixture('CallbackFn', 'callback.ts'),
      fixture('CounterFn', 'counter.ts'),
      fixture('MissingFn', 'does-not-exist.ts'),
      fixture('NoExportFn', 'counter.ts', { handler: 'main' }),
      fixture('BundleFn', 'bundled/good/index.mjs', { assetDir: join(fixtures, 'bundled', 'good') }),
      fixture('LeakyBundleFn', 'bundled/leaky/index.mjs', { assetDir: join(fixtures, 'bundled', 'leaky') }),
    ],
    sharedEnv: { AWS_ENDPOINT_URL_SFN: 'http://127.0.0.1:1' },
    onLog: (line, functionId) => lines.push([functionId, line]),
  });
  after(() => adapter.close());

  test('gives each function its own environment, also at module load', async () => {
    const [billing, prefs] = (await Promise.all([
      adapter.invoke('BillingFn', {}),
      adapter.invoke(localFunctionArn('PrefsFn'), {}),
    ])) as Array<Record<string, unknown>>;
    assert.equal(billing?.stepAtLoad, 'setup_billing_profile');
    assert.equal(billing?.stepNow, 'setup_billing_profile');
    assert.equal(prefs?.stepAtLoad, 'initialize_preferences');
    assert.equal(billing?.region, 'us-east-1');
  });

  test('passes a Lambda-like context', async () => {
    const result = (await adapter.invoke('BillingFn', { hello: 'world' })) as Record<string, unknown>;
    assert.equal(result.functionName, 'BillingFn');
    assert.equal(result.functionVersion, '$LATEST');
    assert.equal(result.invokedFunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:BillingFn');
    assert.equal(result.memoryLimitInMB, '256');
    assert.equal(result.logGroupName, '/aws/lambda/BillingFn');
    assert.match(String(result.awsRequestId), /^[0-9a-f-]{36}$/);
    assert.ok(Number(result.remainingMs) > 4000 && Number(result.remainingMs) <= 5000);
    assert.deepEqual(result.event, { hello: 'world' });
  });

  test('reports a thrown error as errorType/errorMessage/trace and as Error + JSON Cause', async () => {
    const raw = await adapter.invokeRaw('FailFn', {});
    assert.equal(raw.ok, false);
    if (raw.ok) return;
    assert.equal(raw.error.errorType, 'RetryableError');
    assert.match(raw.error.errorMessage, /^service unavailable/);
    assert.ok(raw.error.trace?.[0]?.startsWith('RetryableError: service unavailable'));
    await assert.rejects(adapter.invoke('FailFn', {}), (error: unknown) => {
      assert.ok(error instanceof LambdaFunctionError);
      assert.equal(error.name, 'RetryableError');
      const cause = JSON.parse(error.message) as Record<string, unknown>;
      assert.deepEqual(Object.keys(cause), ['errorType', 'errorMessage', 'trace']);
      return true;
    });
  });

  test('a thrown string keeps its text', async () => {
    const raw = await adapter.invokeRaw('FailFn', { kind: 'string' });
    assert.deepEqual(raw.ok ? undefined : [raw.error.errorType, raw.error.errorMessage], [
      'string',
      'plain string',
    ]);
  });

  test('times out as Sandbox.Timedout and discards the sandbox', async () => {
    const raw = await adapter.invokeRaw('ShortFn', { sleepMs: 3000 });
    assert.equal(raw.ok, false);
    if (raw.ok) return;
    assert.equal(raw.error.errorType, 'Sandbox.Timedout');
    assert.equal(
      raw.error.errorMessage,
      `RequestId: ${raw.requestId} Error: Task timed out after 1.00 seconds`,
    );
    assert.equal(adapter.stats().ShortFn?.alive, 0);
    const again = (await adapter.invoke('ShortFn', {})) as Record<string, unknown>;
    assert.ok(Number(again.remainingMs) <= 1000);
  });

  test('reuses warm sandboxes one invocation at a time', async () => {
    const first = (await adapter.invoke('CounterFn', { n: 1 })) as { invocations: number };
    const second = (await adapter.invoke('CounterFn', { n: 2 })) as { invocations: number };
    assert.equal(second.invocations, first.invocations + 1);
    const concurrent = (await Promise.all(
      [1, 2, 3].map((n) => adapter.invoke('CounterFn', { n })),
    )) as Array<{
      invocations: number;
    }>;
    assert.ok(concurrent.length === 3);
    assert.ok((adapter.stats().CounterFn?.alive ?? 0) >= 2, 'concurrent invocations get their own sandboxes');
  });

  test('reports the CPU time of each live sandbox, per function', async () => {
    await adapter.invoke('CounterFn', { n: 0 });
    const sum = (usages: Array<{ us: number }> | undefined): number =>
      (usages ?? []).reduce((a, b) => a + b.us, 0);
    const before = await adapter.cpuUsage();
    assert.equal(before.CounterFn?.length, adapter.stats().CounterFn?.alive);
    assert.ok(sum(before.CounterFn) > 0);
    for (let i = 0; i < 20; i++) await adapter.invoke('CounterFn', { n: i });
    const after = await adapter.cpuUsage();
    assert.ok(sum(after.CounterFn) > sum(before.CounterFn), 'the invocations used CPU in the sandbox');
    // A module that fails to load leaves no sandbox running.
    assert.equal((await adapter.invokeRaw('MissingFn', {})).ok, false);
    assert.deepEqual((await adapter.cpuUsage()).MissingFn, []);
  });

  test('supports callback handlers', async () => {
    assert.deepEqual(await adapter.invoke('CallbackFn', { value: 21 }), { doubled: 42 });
  });

  test('reports import and handler errors like the Node.js runtime', async () => {
    const missing = await adapter.invokeRaw('MissingFn', {});
    assert.equal(missing.ok ? '' : missing.error.errorType, 'Runtime.ImportModuleError');
    const noExport = await adapter.invokeRaw('NoExportFn', {});
    assert.equal(noExport.ok ? '' : noExport.error.errorType, 'Runtime.HandlerNotFound');
    assert.equal(noExport.ok ? '' : noExport.error.errorMessage, 'counter.main is undefined or not exported');
  });

  test('a bundle may import the runtime-provided AWS SDK but nothing it failed to include', async () => {
    assert.deepEqual(await adapter.invoke('BundleFn', {}), { sdk: 'function', hash: 64 });
    const leaky = await adapter.invokeRaw('LeakyBundleFn', {});
    assert.equal(leaky.ok ? '' : leaky.error.errorType, 'Runtime.ImportModuleError');
    assert.match(leaky.ok ? '' : leaky.error.errorMessage, /Cannot find package 'yaml'/);
  });

  test('an error escaping the handler kills the sandbox and fails the invocation', async () => {
    const raw = await adapter.invokeRaw('FailFn', { kind: 'unhandled' });
    assert.equal(raw.ok ? '' : raw.error.errorType, 'TypeError');
    assert.equal(raw.ok ? '' : raw.error.errorMessage, 'boom outside the handler');
  });

  test('hands every log line to onLog with the function id', async () => {
    await adapter.invoke('BillingFn', { log: 'hello from the handler' });
    // Worker stdout is forwarded asynchronously; wait (bounded) for the line.
    for (let i = 0; i < 50 && !lines.some(([, line]) => line.includes('hello from the handler')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const line = lines.find(([, text]) => text.includes('hello from the handler'));
    assert.deepEqual(line, ['BillingFn', '{"level":"INFO","message":"hello from the handler"}']);
  });
});
