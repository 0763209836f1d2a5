import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { REPO_ROOT } from '../../../infra/build-app.ts';
import { WorkflowError } from '../../../infra/workflow/diagnostics.ts';
import { loadWorkflowFile } from '../../../infra/workflow/parse.ts';
import { ENV } from '../../../lambdas/contracts.ts';
import { isLoopbackUrl, startWorkflowServices } from '../../../local/runtime/offline-services.ts';
import type { LocalFunction } from '../../../local/runtime/template.ts';

const scratch = mkdtempSync(join(tmpdir(), 'offline-services-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A workflow file (and optionally its mock file) in its own folder; steps call `services`. */
function workflow(name: string, steps: Record<string, { service?: string; url?: string }>, mocks?: string) {
  const dir = mkdtempSync(join(scratch, `${name}-`));
  const lines = [`name: ${name}`, 'step_templates:'];
  for (const [step, { service, url }] of Object.entries(steps)) {
    lines.push(`  - name: ${step}`, '    handler: test/fixtures/lambdas/echo-env.ts', '    handler_config:');
    if (service) lines.push(`      service: ${service}`);
    if (url) lines.push(`      url: ${url}`);
    if (!service && !url) lines.push('      timeout_note: none');
  }
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  if (mocks !== undefined) writeFileSync(join(dir, `${name}.mocks.yaml`), mocks);
  const spec = loadWorkflowFile(file);
  const functions: LocalFunction[] = Object.entries(steps).map(([step, { service, url }]) => ({
    logicalId: `${step}Function`,
    functionName: step,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:${step}`,
    modulePath: join(REPO_ROOT, 'test/fixtures/lambdas/echo-env.ts'),
    handler: 'handler',
    env: { ...(service ? { [ENV.serviceName]: service } : {}), ...(url ? { [ENV.serviceUrl]: url } : {}) },
    timeoutSeconds: 3,
    memoryMb: 128,
    step,
  }));
  return { spec, functions, dir, file };
}

const PAYMENTS =
  'services:\n  payments:\n    routes:\n      POST /charges:\n        status: 201\n        body: { id: "ch_{{seq}}" }\n';
const options = { rootDir: REPO_ROOT, host: '127.0.0.1', seed: 1 };

async function diagnostics(run: Promise<unknown>): Promise<string[]> {
  try {
    await run;
  } catch (error) {
    assert.ok(error instanceof WorkflowError, String(error));
    return error.message.split('\n');
  }
  return assert.fail('started');
}

describe('offline services, resolved per step at start', () => {
  test('loopback hosts are recognised; other hosts and bad URLs are not', () => {
    for (const url of [
      'http://127.0.0.1:4000',
      'http://127.8.9.1/x',
      'http://localhost:1',
      'http://[::1]:8080',
      'http://api.localhost',
    ])
      assert.equal(isLoopbackUrl(url), true, url);
    for (const url of [
      'https://payments.example.com',
      'http://10.0.0.1',
      'http://127.0.0.1.example.com',
      'not a url',
    ])
      assert.equal(isLoopbackUrl(url), false, url);
  });

  test('a mocked service is started and every function is pointed at it; a loopback URL is left as is', async () => {
    const { spec, functions } = workflow(
      'orders',
      {
        charge: { service: 'payments', url: 'https://payments.example.com' },
        notify: { service: 'notifications', url: 'http://127.0.0.1:9/hooks' },
        local_only: {},
      },
      PAYMENTS,
    );
    const started = await startWorkflowServices([{ spec, functions }], options);
    try {
      const [entry] = started.services;
      assert.deepEqual(
        entry?.steps.map((s) => [s.step, s.via]),
        [
          ['charge', 'mock'],
          ['notify', 'loopback'],
          ['local_only', 'none'],
        ],
      );
      const byStep = new Map(started.functions.map((fn) => [fn.step, fn.env]));
      const overrides = JSON.parse(byStep.get('charge')?.[ENV.serviceUrlOverrides] ?? '{}') as Record<
        string,
        string
      >;
      assert.deepEqual(Object.keys(overrides), ['payments']);
      assert.equal(overrides.payments, entry?.services?.urls.payments);
      assert.equal(
        byStep.get('charge')?.[ENV.serviceUrl],
        'https://payments.example.com',
        'the template URL is kept',
      );
      // Every function knows the mocked services (compensations and shared functions call them
      // too); a service a step reaches on loopback is never overridden.
      assert.deepEqual(JSON.parse(byStep.get('notify')?.[ENV.serviceUrlOverrides] ?? '{}'), overrides);
      assert.ok(!('notifications' in overrides));
      const answer = await fetch(`${overrides.payments}/charges`, { method: 'POST', body: '{}' });
      assert.deepEqual(await answer.json(), { id: 'ch_1' });
    } finally {
      await started.close();
    }
  });

  test('a service neither on loopback nor mocked fails the start naming the step, the service and the file to write', async () => {
    const { spec, functions, dir, file } = workflow('billing_run', {
      invoice: { service: 'invoices', url: 'https://invoices.example.com' },
      charge: { service: 'payments' },
    });
    const shown = relative(process.cwd(), file);
    assert.deepEqual(
      await diagnostics(startWorkflowServices([{ spec: { ...spec, file: shown }, functions }], options)),
      [
        `${shown}:7: step 'invoice': service 'invoices' is at https://invoices.example.com, not on loopback, and has no mock offline: add 'invoices' under services: in ${relative(process.cwd(), join(dir, 'billing_run.mocks.yaml'))}, or point handler_config.url at a service on 127.0.0.1 under environments.development (docs/local-runtime.md, "Services offline")`,
        `${shown}:8: step 'charge': service 'payments' has no handler_config.url and has no mock offline: add 'payments' under services: in ${relative(process.cwd(), join(dir, 'billing_run.mocks.yaml'))}, or point handler_config.url at a service on 127.0.0.1 under environments.development (docs/local-runtime.md, "Services offline")`,
      ],
    );
  });

  test("a mock file's own problems, and a simulators module that is missing or exports nothing, are file:line errors", async () => {
    const broken = workflow(
      'broken_mocks',
      { a: { service: 'x', url: 'https://x.example.com' } },
      'services:\n  x:\n    routes:\n      GRAB /y: {}\n',
    );
    const missing = workflow(
      'missing_module',
      { a: { service: 'x', url: 'https://x.example.com' } },
      'simulators: local/simulators/nowhere/index.ts\n',
    );
    const empty = workflow(
      'empty_module',
      { a: { service: 'x', url: 'https://x.example.com' } },
      'simulators: local/simulators/prng.ts\n',
    );
    const mockFile = (w: { dir: string; spec: { name: string } }) => join(w.dir, `${w.spec.name}.mocks.yaml`);
    assert.deepEqual(await diagnostics(startWorkflowServices([broken, missing, empty], options)), [
      `${mockFile(broken)}:4: service 'x': route 'GRAB /y': method 'GRAB' is not one of GET, POST, PUT, PATCH, DELETE, HEAD`,
      `${mockFile(missing)}:1: simulators module local/simulators/nowhere/index.ts not found (create it or fix the path)`,
      `${mockFile(empty)}:1: simulators module local/simulators/prng.ts does not export a function 'createSimulatedServices'`,
    ]);
  });

  test('the flagship is simulated by the module its own mock file names', async () => {
    const spec = loadWorkflowFile(join(REPO_ROOT, 'config', 'user_registration.yaml'));
    const functions: LocalFunction[] = spec.steps.map((step) => ({
      logicalId: step.name,
      functionName: step.name,
      arn: `arn:aws:lambda:us-east-1:000000000000:function:${step.name}`,
      modulePath: join(REPO_ROOT, step.handlerPath),
      handler: 'handler',
      env: {
        [ENV.serviceName]: String(step.handlerConfig.service),
        [ENV.serviceUrl]: String(step.handlerConfig.url),
      },
      timeoutSeconds: 30,
      memoryMb: 256,
      step: step.name,
    }));
    const started = await startWorkflowServices([{ spec, functions }], options);
    try {
      assert.deepEqual(Object.keys(started.services[0]?.services?.urls ?? {}), [
        'user',
        'billing',
        'preferences',
        'notification',
      ]);
      assert.ok(started.services[0]?.steps.every((step) => step.via === 'mock'));
    } finally {
      await started.close();
    }
  });
});
