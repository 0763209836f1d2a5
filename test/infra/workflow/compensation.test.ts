import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  analyzeWorkflow,
  compileWorkflow,
  parseWorkflow,
  type WorkflowSpec,
} from '../../../infra/workflow/index.ts';
import { COMPENSATED_FAIL_STATE, PERMANENT_ERROR_NAMES } from '../../../lambdas/contracts.ts';
import { renderFull, runOnEngine } from './engine-run.ts';

/**
 * The flagship's shape: account -> (billing | preferences, a fallback step) -> welcome -> status,
 * with compensations on account, billing, preferences and welcome.
 */
function saga(workflowFields = '', extra: Record<string, string> = {}): WorkflowSpec {
  const step = (name: string, fields: string): string =>
    `  - name: ${name}\n    default_retry_limit: 1\n${fields}${extra[name] ?? ''}`;
  const undo = (name: string): string => `    compensate:\n      handler_class: Undo${name}Handler\n`;
  return parseWorkflow(
    `name: saga\n${workflowFields}step_templates:\n${[
      step('account', undo('Account')),
      step('billing', `    depends_on_step: account\n${undo('Billing')}`),
      step(
        'preferences',
        '    depends_on_step: account\n    on_failure: continue\n    fallback: { defaults: true }\n    compensate:\n      request: { method: DELETE, path: /preferences }\n    handler_config: { url: https://prefs.example.com }\n',
      ),
      step('welcome', `    depends_on_steps: [billing, preferences]\n${undo('Welcome')}`),
      step('status', '    depends_on_step: welcome\n'),
    ].join('')}`,
    'saga.yaml',
  );
}

type States = Record<string, Record<string, unknown>>;

describe('compensation: the compiled ASL', () => {
  const definition = renderFull(saga());
  const states = definition.States as States;

  test('a final permanent failure is caught (and only that) and recorded for the chain', () => {
    assert.deepEqual(states.status?.Catch, [
      { ErrorEquals: [...PERMANENT_ERROR_NAMES], ResultPath: '$.errors.status', Next: 'status (failed)' },
    ]);
    assert.deepEqual(states['status (failed)'], {
      Type: 'Pass',
      ResultPath: '$.steps._failure',
      Parameters: { step: 'status', 'error.$': '$.errors.status' },
      Next: 'welcome (undo?)',
    });
    assert.deepEqual(states[COMPENSATED_FAIL_STATE], {
      Type: 'Fail',
      ErrorPath: '$.steps._failure.error.Error',
      CausePath: '$.steps._failure.error.Cause',
    });
  });

  test('the chain undoes in reverse dependency order, each undo retried like its step', () => {
    const order: string[] = [];
    let name = 'welcome (undo?)';
    while (name !== COMPENSATED_FAIL_STATE) {
      order.push(name);
      name = String(states[name]?.Default);
    }
    assert.deepEqual(order, ['welcome (undo?)', 'preferences (undo?)', 'billing (undo?)', 'account (undo?)']);
    const undo = states['billing (undo)'] ?? {};
    assert.equal(undo.ResultPath, '$.undo.billing');
    assert.equal(undo.Resource, 'arn:aws:lambda:us-east-1:123456789012:function:saga-billing-undo');
    assert.deepEqual((undo.Parameters as Record<string, unknown>).step, 'billing:undo');
    assert.deepEqual(undo.Retry, findState(definition, 'billing')?.Retry);
    // No service, so no breaker: the in-progress, the step's own, crash and Lambda service Retriers.
    assert.deepEqual(
      (undo.Retry as { ErrorEquals: string[] }[]).map((r) => r.ErrorEquals[0]),
      ['IdempotencyAlreadyInProgressError', 'RetryableError', 'Runtime.ExitError', 'Lambda.ServiceException'],
    );
    assert.deepEqual(undo.Catch, [
      { ErrorEquals: ['States.ALL'], ResultPath: '$.undo_failed.billing', Next: 'billing (undo failed)' },
    ]);
    assert.deepEqual(states['billing (undo failed)'], { Type: 'Pass', Next: 'account (undo?)' });
    // A fallback result is not undone.
    assert.deepEqual((states['preferences (undo?)']?.Choices as unknown[] | undefined)?.[0], {
      And: [
        { Variable: '$.steps.preferences', IsPresent: true },
        { Not: { Variable: '$.steps.preferences.fallback_used', IsPresent: true } },
      ],
      Next: 'preferences (undo)',
    });
    assert.deepEqual(
      (states['preferences (undo)']?.Parameters as Record<string, unknown> | undefined)?.request,
      {
        method: 'DELETE',
        path: '/preferences',
      },
    );
  });

  test('inside a Parallel a failure ends its branch; the Choice after the Parallel compensates', () => {
    const parallel = states['billing + preferences'] ?? {};
    assert.equal(parallel.Next, 'billing + preferences (any failed?)');
    const [billingBranch] = parallel.Branches as { States: States }[];
    assert.deepEqual(billingBranch?.States['billing (failed)'], {
      Type: 'Pass',
      ResultPath: '$.steps._failure',
      Parameters: { step: 'billing', 'error.$': '$.errors.billing' },
      End: true,
    });
    assert.deepEqual(states['billing + preferences (any failed?)'], {
      Type: 'Choice',
      Choices: [{ Variable: '$.steps._failure', IsPresent: true, Next: 'welcome (undo?)' }],
      Default: 'welcome',
    });
  });

  test('a workflow without compensate: catches nothing it did not catch before', () => {
    const plain = renderFull(
      parseWorkflow('name: p\nstep_templates:\n  - name: a\n  - name: b\n    depends_on_step: a\n', 'p.yaml'),
    );
    assert.equal((plain.States as States).a?.Catch, undefined);
    assert.deepEqual(Object.keys(plain.States as States), ['a', 'b']);
  });

  test('compiling without compensationFunctionFor or operatorFunction says what is missing', () => {
    const stack = new Stack(new App(), 'S');
    const fn = lambda.Function.fromFunctionArn(
      stack,
      'F',
      'arn:aws:lambda:us-east-1:123456789012:function:f',
    );
    assert.throws(
      () => compileWorkflow(stack, analyzeWorkflow(saga()), { functionFor: () => fn }),
      /step 'account' has compensate:, but CompileOptions.compensationFunctionFor is not set/,
    );
    const waits = parseWorkflow(
      'name: w\nstep_templates:\n  - name: a\n    on_failure: await_operator\n',
      'w.yaml',
    );
    assert.throws(
      () => compileWorkflow(new Stack(new App(), 'T'), analyzeWorkflow(waits), { functionFor: () => fn }),
      /step 'a' has on_failure: await_operator, but CompileOptions.operatorFunction is not set/,
    );
  });
});

function findState(definition: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const states = definition.States as States;
  if (states[name]) return states[name];
  for (const state of Object.values(states)) {
    for (const branch of (state.Branches as Record<string, unknown>[] | undefined) ?? []) {
      const found = findState(branch, name);
      if (found) return found;
    }
  }
  return undefined;
}

describe('compensation on the local engine', () => {
  test('a permanent failure at the last step undoes welcome, preferences, billing, account, then FAILED with the original error', async () => {
    const run = runOnEngine(renderFull(saga()), { failures: { status: ['PermanentError'] } });
    await run.execution.done;
    assert.equal(run.execution.status, 'FAILED');
    assert.equal(run.execution.error, 'PermanentError');
    assert.deepEqual(JSON.parse(run.execution.cause ?? ''), {
      errorType: 'PermanentError',
      errorMessage: 'status failed on purpose',
    });
    assert.deepEqual(
      run.calls.filter((c) => c.step.endsWith(':undo')).map((c) => c.step),
      ['welcome:undo', 'preferences:undo', 'billing:undo', 'account:undo'],
    );
    const welcomeUndo = run.calls.find((c) => c.step === 'welcome:undo');
    assert.equal(welcomeUndo?.fn, 'saga-welcome-undo');
    // The undo sees every result it may need to undo, and the failure that started it.
    const state = welcomeUndo?.payload.state as { steps: Record<string, unknown> };
    assert.deepEqual(Object.keys(state.steps).sort(), [
      '_failure',
      'account',
      'billing',
      'preferences',
      'welcome',
    ]);
    assert.equal(run.entered().at(-1), COMPENSATED_FAIL_STATE);
  });

  test('a retryable failure that exhausted its retries is not caught: the Task fails, nothing is undone (held for redrive)', async () => {
    const run = runOnEngine(renderFull(saga()), {
      failures: { status: ['RetryableError', 'RetryableError'] },
    });
    await run.execution.done;
    assert.equal(run.execution.status, 'FAILED');
    assert.equal(run.execution.error, 'RetryableError');
    assert.equal(run.calls.filter((c) => c.step.endsWith(':undo')).length, 0);
    assert.equal(run.entered().at(-1), 'status');
    assert.equal(run.execution.events.at(-2)?.type, 'LambdaFunctionFailed');
    assert.equal(run.execution.redriveStatus.status, 'REDRIVABLE');
    // The cause fixed, a redrive re-runs only the failed step and the execution succeeds.
    run.execution.redrive();
    await run.execution.done;
    assert.equal(run.execution.status, 'SUCCEEDED');
    assert.equal(run.calls.filter((c) => c.step === 'account').length, 1);
    assert.equal(run.calls.filter((c) => c.step === 'status').length, 3);
  });

  test('compensate_on: [permanent, exhausted] compensates an exhausted retryable failure too', async () => {
    const run = runOnEngine(renderFull(saga('compensate_on: [permanent, exhausted]\n')), {
      failures: { status: ['RetryableError', 'RetryableError'] },
    });
    await run.execution.done;
    assert.equal(run.execution.error, 'RetryableError');
    assert.equal(run.calls.filter((c) => c.step.endsWith(':undo')).length, 4);
  });

  test('a permanent failure inside a branch: the sibling finishes, only completed steps are undone', async () => {
    const run = runOnEngine(renderFull(saga()), { failures: { billing: ['PermanentError'] } });
    await run.execution.done;
    assert.equal(run.execution.status, 'FAILED');
    assert.equal(run.execution.error, 'PermanentError');
    assert.ok(
      run.calls.some((c) => c.step === 'preferences'),
      'the sibling branch ran',
    );
    assert.ok(!run.calls.some((c) => c.step === 'welcome'), 'nothing after the Parallel ran');
    assert.deepEqual(
      run.calls.filter((c) => c.step.endsWith(':undo')).map((c) => c.step),
      ['preferences:undo', 'account:undo'],
    );
  });

  test('a preferences fallback is not undone; an undo that keeps failing is recorded and the chain goes on', async () => {
    const run = runOnEngine(renderFull(saga()), {
      failures: {
        preferences: ['PermanentError'],
        status: ['PermanentError'],
        'billing:undo': ['RetryableError', 'RetryableError'],
      },
    });
    await run.execution.done;
    assert.equal(run.execution.status, 'FAILED');
    assert.equal(run.execution.error, 'PermanentError');
    assert.deepEqual(
      run.calls.filter((c) => c.step.endsWith(':undo')).map((c) => c.step),
      ['welcome:undo', 'billing:undo', 'billing:undo', 'account:undo'],
    );
    assert.ok(run.entered().includes('billing (undo failed)'));
    assert.ok(!run.entered().includes('preferences (undo)'));
  });

  test('undo Tasks retry crashes with the step backoff', async () => {
    const run = runOnEngine(renderFull(saga()), {
      failures: { status: ['PermanentError'], 'account:undo': ['Runtime.ExitError'] },
    });
    await run.execution.done;
    assert.equal(run.calls.filter((c) => c.step === 'account:undo').length, 2);
    assert.ok(!run.entered().includes('account (undo failed)'));
  });
});

describe('await_operator on the local engine', () => {
  // A year's operator timeout: the engine's clock runs 1000 times faster, and the test answers at once.
  const yaml = (workflowFields = '', stepFields = ''): WorkflowSpec =>
    parseWorkflow(
      `name: ops\n${workflowFields}step_templates:\n  - name: charge\n    on_failure: await_operator\n    operator_timeout_seconds: 31536000\n${stepFields}  - name: ship\n    depends_on_step: charge\n`,
      'ops.yaml',
    );

  test('the compiled operator Task: waitForTaskToken, the operator payload, the timeout, no retries', () => {
    const states = renderFull(yaml()).States as States;
    assert.deepEqual(states.charge?.Catch, [
      { ErrorEquals: [...PERMANENT_ERROR_NAMES], ResultPath: '$.errors.charge', Next: 'charge (operator)' },
    ]);
    const operator = states['charge (operator)'];
    assert.equal(operator?.Resource, 'arn:aws:states:::lambda:invoke.waitForTaskToken');
    assert.equal(operator?.TimeoutSeconds, 31_536_000);
    assert.equal(operator?.ResultPath, '$.steps.charge');
    assert.equal(operator?.Retry, undefined);
    assert.equal(operator?.Next, 'ship');
    assert.deepEqual((operator?.Parameters as Record<string, unknown> | undefined)?.Payload, {
      workflow: 'ops',
      step: 'charge',
      'correlation_id.$': '$.correlation_id',
      'task_token.$': '$$.Task.Token',
      'error.$': '$.errors.charge',
      'execution_id.$': '$$.Execution.Id',
    });
  });

  test('a permanent failure enters the operator Task; resolve goes on with the given result', async () => {
    const run = runOnEngine(renderFull(yaml()), { failures: { charge: ['PermanentError'] } });
    await run.operator('charge', { output: { charge_id: 'by-hand', resolved_manually: true } });
    await run.execution.done;
    assert.equal(run.execution.status, 'SUCCEEDED');
    const operatorCall = run.calls.find((c) => c.step === 'operator');
    assert.equal(operatorCall?.fn, 'ops-operator');
    assert.equal(operatorCall?.payload.correlation_id, 'corr-1');
    assert.equal((operatorCall?.payload.error as { Error: string } | undefined)?.Error, 'PermanentError');
    const ship = run.calls.find((c) => c.step === 'ship');
    assert.deepEqual((ship?.payload.state as { steps: Record<string, unknown> } | undefined)?.steps.charge, {
      charge_id: 'by-hand',
      resolved_manually: true,
    });
  });

  test('fail-step ends the execution with the operator error; a retryable exhausted failure never waits', async () => {
    const failed = runOnEngine(renderFull(yaml()), { failures: { charge: ['PermanentError'] } });
    await failed.operator('charge', { error: 'OperatorRejected', cause: 'card stolen' });
    await failed.execution.done;
    assert.equal(failed.execution.status, 'FAILED');
    assert.equal(failed.execution.error, 'OperatorRejected');
    assert.equal(failed.execution.cause, 'card stolen');

    const exhausted = runOnEngine(renderFull(yaml('', '    default_retry_limit: 1\n')), {
      failures: { charge: ['RetryableError', 'RetryableError'] },
    });
    await exhausted.execution.done;
    assert.equal(exhausted.execution.error, 'RetryableError');
    assert.ok(!exhausted.calls.some((c) => c.step === 'operator'));
  });

  test('with compensation, an operator failure compensates the steps before it', async () => {
    const spec = parseWorkflow(
      'name: ops2\nstep_templates:\n  - name: reserve\n    compensate: { handler_class: UndoReserveHandler }\n  - name: charge\n    depends_on_step: reserve\n    on_failure: await_operator\n    operator_timeout_seconds: 31536000\n',
      'ops2.yaml',
    );
    const run = runOnEngine(renderFull(spec), { failures: { charge: ['PermanentError'] } });
    await run.operator('charge', { error: 'OperatorRejected', cause: 'no' });
    await run.execution.done;
    assert.equal(run.execution.error, 'OperatorRejected');
    assert.deepEqual(
      run.calls.filter((c) => c.step.endsWith(':undo')).map((c) => c.step),
      ['reserve:undo'],
    );
  });
});

describe('steps on a shared function (CompileOptions.stepConfigFor)', () => {
  test('the Task payload, and the undo payload of a compensate.request, carry the step variables under config', () => {
    const spec = parseWorkflow(
      'name: shared\nstep_templates:\n  - name: charge\n    handler_config:\n      url: https://pay.example.com\n      request: { method: POST, path: /charges }\n    compensate:\n      request: { method: POST, path: /refunds }\n  - name: own\n    depends_on_step: charge\n',
      'shared.yaml',
    );
    const stack = new Stack(new App(), 'Shared');
    const fn = lambda.Function.fromFunctionArn(
      stack,
      'F',
      'arn:aws:lambda:us-east-1:123456789012:function:f',
    );
    const compiled = compileWorkflow(stack, analyzeWorkflow(spec), {
      functionFor: () => fn,
      compensationFunctionFor: () => fn,
      stepConfigFor: (step) =>
        step.name === 'charge' ? { STEP_NAME: 'charge', SERVICE_URL: 'https://pay.example.com' } : undefined,
    });
    const graph = new sfn.StateGraph(compiled.chain.startState, 'g');
    const states = (stack.resolve(graph.toGraphJson()) as { States: States }).States;
    const config = { STEP_NAME: 'charge', SERVICE_URL: 'https://pay.example.com' };
    assert.deepEqual((states.charge?.Parameters as Record<string, unknown> | undefined)?.config, config);
    assert.deepEqual(
      (states['charge (undo)']?.Parameters as Record<string, unknown> | undefined)?.config,
      config,
    );
    assert.equal((states.own?.Parameters as Record<string, unknown> | undefined)?.config, undefined);
  });
});

describe('steps named like Object.prototype members', () => {
  test('constructor, toString, hasOwnProperty and valueOf compile, with compensation and an operator wait', async () => {
    const names = ['constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    const spec = parseWorkflow(
      `name: proto\nstep_templates:\n${names
        .map(
          (n, i) =>
            `  - name: ${n}\n${i === 0 ? '' : `    depends_on_step: ${names[i - 1]}\n`}    compensate: { handler_class: Undo${i}Handler }\n`,
        )
        .join('')}  - name: last\n    depends_on_step: valueOf\n    on_failure: await_operator\n`,
      'proto.yaml',
    );
    const definition = renderFull(spec);
    for (const n of names) assert.equal((definition.States as States)[n]?.Type, 'Task');
    const run = runOnEngine(definition, { failures: { valueOf: ['PermanentError'] } });
    await run.execution.done;
    assert.deepEqual(
      run.calls.filter((c) => c.step.endsWith(':undo')).map((c) => c.step),
      ['hasOwnProperty:undo', 'toString:undo', 'constructor:undo'],
    );
  });
});
