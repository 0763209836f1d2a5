import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  analyzeWorkflow,
  defaultHandlerPath,
  formatDiagnostic,
  loadWorkflows,
  WorkflowError,
} from '../../../infra/workflow/index.ts';

const root = mkdtempSync(join(tmpdir(), 'workflows-'));
after(() => rmSync(root, { recursive: true, force: true }));

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(root, 'config-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const valid = (name: string): string => `name: ${name}\nstep_templates:\n  - name: only_step\n`;

describe('loadWorkflows', () => {
  test('loads every .yaml and .yml file under the folder, nested ones too, in name order', () => {
    const dir = folder({
      'b.yml': valid('second'),
      'a.yaml': valid('first'),
      'nested/c.yaml': valid('third'),
    });
    assert.deepEqual(
      loadWorkflows(dir).map((s) => s.name),
      ['first', 'second', 'third'],
    );
  });

  test('loads the project config folder by default', () => {
    assert.ok(loadWorkflows().some((s) => s.name === 'user_registration'));
  });

  test("aggregates every file's diagnostics in one WorkflowError", () => {
    const dir = folder({
      'a.yaml': 'name: a\nstep_templates: []\n',
      'b.yaml': 'name: b\nstep_templates:\n  - name: x\n    depends_on_step: y\n',
    });
    try {
      loadWorkflows(dir);
      assert.fail('expected a WorkflowError');
    } catch (error) {
      assert.ok(error instanceof WorkflowError);
      assert.deepEqual(error.diagnostics.map(formatDiagnostic), [
        `${join(dir, 'a.yaml').replace(`${process.cwd()}/`, '')}:2: step_templates must list at least one step, got an empty list`,
        `${join(dir, 'b.yaml').replace(`${process.cwd()}/`, '')}:4: step 'x' depends on unknown step 'y'`,
      ]);
    }
  });

  test('rejects two files declaring the same workflow name', () => {
    const dir = folder({ 'a.yaml': valid('same'), 'b.yaml': valid('same') });
    assert.throws(() => loadWorkflows(dir), /b\.yaml:1: workflow name 'same' is already used by .*a\.yaml/);
  });

  test('skips the mock files beside the workflows', () => {
    const dir = folder({
      'orders.yaml': valid('orders'),
      'orders.mocks.yaml': 'services: {}\n',
      'nested/payments.mocks.yml': 'not: [a, workflow\n',
    });
    assert.deepEqual(
      loadWorkflows(dir).map((s) => s.file.replace(/^.*\//, '')),
      ['orders.yaml'],
    );
  });

  test('rejects two workflows whose names give the same stack name', () => {
    const dir = folder({ 'a.yaml': valid('order_fulfilment'), 'b.yaml': valid('order-fulfilment') });
    assert.throws(
      () => loadWorkflows(dir),
      (error: unknown) =>
        error instanceof WorkflowError &&
        error.diagnostics.map((d) => `${d.file.replace(/^.*\//, '')}:${d.line}: ${d.message}`).join('\n') ===
          `b.yaml:1: workflow 'order-fulfilment' gets the stack name OrderFulfilmentWorkflow, already taken by workflow 'order_fulfilment' (${join(dir, 'a.yaml').replace(`${process.cwd()}/`, '')}); rename one of them`,
    );
  });

  test('fails clearly when the folder holds no workflow', () => {
    const dir = folder({ 'README.md': 'no workflows here' });
    assert.throws(() => loadWorkflows(dir), /no workflow files \(\*\.yaml, \*\.yml\) found under/);
  });
});

describe('the handler-module check (checks stage)', () => {
  test("reports each missing handler module at its step's or handler's line, and passes when they exist", () => {
    const dir = folder({
      'w.yaml':
        'name: w\nstep_templates:\n  - name: first_step\n  - name: second\n    handler: lambdas/custom/second.ts\n  - name: third\n    handler_config:\n      url: https://x.example.com\n      request: { method: GET, path: /x }\n',
    });
    const [spec] = loadWorkflows(dir);
    assert.ok(spec);
    assert.throws(
      () => analyzeWorkflow(spec, { rootDir: dir }),
      (error: WorkflowError) =>
        error.diagnostics.map((d) => `${d.line}: ${d.message}`).join('\n') ===
        [
          "3: step 'first_step' has no handler module: create lambdas/steps/w/first-step.ts, or make it a declarative HTTP step with handler_config.request",
          "5: step 'second': handler module lambdas/custom/second.ts not found (create it, or fix handler:)",
        ].join('\n'),
    );
    // Without a root (library use on generated workflows) modules are not looked for.
    assert.equal(analyzeWorkflow(spec).spec, spec);
    mkdirSync(join(dir, 'lambdas/steps/w'), { recursive: true });
    mkdirSync(join(dir, 'lambdas/custom'), { recursive: true });
    writeFileSync(join(dir, 'lambdas/steps/w/first-step.ts'), '');
    writeFileSync(join(dir, 'lambdas/custom/second.ts'), '');
    // The HTTP step (third) runs the built-in handler: the project provides it, not the user.
    assert.equal(analyzeWorkflow(spec, { rootDir: dir }).spec, spec);
    assert.equal(readFileSync(join(dir, 'lambdas/custom/second.ts'), 'utf8'), '');
  });

  test('default handler paths are a folder per workflow and the step name in kebab case', () => {
    assert.equal(
      defaultHandlerPath('user_registration', 'create_user_account'),
      'lambdas/steps/user_registration/create-user-account.ts',
    );
    assert.equal(defaultHandlerPath('orders', 'sendWelcome2'), 'lambdas/steps/orders/send-welcome2.ts');
    assert.equal(defaultHandlerPath('Order Fulfil/2', 'notify'), 'lambdas/steps/Order_Fulfil_2/notify.ts');
    assert.equal(defaultHandlerPath('..', 'notify'), 'lambdas/steps/_./notify.ts');
  });
});
