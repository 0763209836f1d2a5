import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderDefinition } from '../../../infra/render-definition.ts';
import {
  analyzeWorkflow,
  parseWorkflow,
  retriersFor,
  stepBudget,
  WorkflowError,
  type WorkflowSpec,
} from '../../../infra/workflow/index.ts';
import {
  LAMBDA_CRASH_ERRORS,
  LAMBDA_SERVICE_ERRORS,
  UNCAUGHT_EXCEPTION_ERRORS,
} from '../../../lambdas/contracts.ts';
import { type Invocation, runLocally } from './asl-analysis.ts';

/** A one-step workflow (plus an optional follower) with the given step fields and workflow fields. */
function workflow(stepFields: string, workflowFields = '', follower = false): WorkflowSpec {
  const next = follower ? '  - name: next_step\n    depends_on_step: call_service\n' : '';
  const text = `name: retry_test\n${workflowFields}step_templates:\n  - name: call_service\n${stepFields}${next}`;
  return parseWorkflow(text, 'retry_test.yaml');
}

function taskState(spec: WorkflowSpec): Record<string, unknown> {
  const states = renderDefinition(spec).States as Record<string, Record<string, unknown>>;
  return states.call_service ?? {};
}

const LAMBDA = [...LAMBDA_SERVICE_ERRORS];
const CRASH = [...LAMBDA_CRASH_ERRORS, ...UNCAUGHT_EXCEPTION_ERRORS];

describe('retry mapping', () => {
  test('defaults: 3 retries, 1 s doubling capped at 30 s, full jitter, crashes and Lambda errors in their own Retriers', () => {
    // IntervalSeconds 1, MaxAttempts 3 and BackoffRate 2 are Step Functions' defaults: left out.
    assert.deepEqual(taskState(workflow('')).Retry, [
      {
        ErrorEquals: ['IdempotencyAlreadyInProgressError'],
        IntervalSeconds: 6,
        MaxAttempts: 6,
        BackoffRate: 1,
      },
      {
        ErrorEquals: ['RetryableError', 'States.Timeout', 'Sandbox.Timedout'],
        MaxDelaySeconds: 30,
        JitterStrategy: 'FULL',
      },
      {
        ErrorEquals: [
          'Runtime.ExitError',
          'Runtime.UnhandledPromiseRejection',
          'Runtime.OutOfMemory',
          'Lambda.Unknown',
          // An uncaught exception: the runtime reports the error's own name, then the process exits.
          'Error',
          'TypeError',
          'RangeError',
          'ReferenceError',
          'SyntaxError',
        ],
        MaxDelaySeconds: 30,
        JitterStrategy: 'FULL',
      },
      { ErrorEquals: LAMBDA, MaxDelaySeconds: 30, JitterStrategy: 'FULL' },
    ]);
  });

  test('a field is written only when it differs from the ASL default', () => {
    const retry = taskState(
      workflow(
        '    retry:\n      interval_seconds: 2\n      backoff_rate: 3\n      jitter: none\n',
        'retry_defaults:\n  limit: 4\n',
      ),
    ).Retry as Record<string, unknown>[];
    assert.deepEqual(retry[1], {
      ErrorEquals: ['RetryableError', 'States.Timeout', 'Sandbox.Timedout'],
      IntervalSeconds: 2,
      MaxAttempts: 4,
      BackoffRate: 3,
      MaxDelaySeconds: 30,
    });
  });

  test('the in-progress Retrier waits out the step timeout: six waits of a fifth of it, rounded up', () => {
    for (const [timeout, interval] of [
      [30, 6],
      [12, 3],
      [7, 2],
      [1, 1],
    ] as const) {
      const [first] = retriersFor(workflow(`    timeout_seconds: ${timeout}\n`).steps[0] as never);
      assert.deepEqual(first, {
        ErrorEquals: ['IdempotencyAlreadyInProgressError'],
        IntervalSeconds: interval,
        BackoffRate: 1,
        MaxAttempts: 6,
        JitterStrategy: 'NONE',
      });
      assert.ok(6 * interval > timeout, `6 x ${interval} s outlasts a ${timeout} s deadline`);
    }
  });

  test('default_retry_limit N means N retries after the first attempt (MaxAttempts N)', () => {
    const retry = taskState(workflow('    default_retry_limit: 5\n')).Retry as { MaxAttempts: number }[];
    assert.deepEqual(
      retry.map((r) => r.MaxAttempts),
      [6, 5, 5, 5],
    );
  });

  test('per-step retry overrides the workflow retry_defaults, which override the built-in defaults', () => {
    const spec = workflow(
      '    retry:\n      interval_seconds: 3\n      jitter: none\n',
      'retry_defaults:\n  limit: 4\n  interval_seconds: 2\n  backoff_rate: 1.5\n  max_delay_seconds: 20\n',
    );
    assert.deepEqual(retriersFor(spec.steps[0] as never)[1], {
      ErrorEquals: ['RetryableError', 'States.Timeout', 'Sandbox.Timedout'],
      IntervalSeconds: 3,
      BackoffRate: 1.5,
      MaxAttempts: 4,
      MaxDelaySeconds: 20,
      JitterStrategy: 'NONE',
    });
  });

  test('a limit of 0 keeps only the in-progress Retrier (waiting calls no service)', () => {
    assert.deepEqual(taskState(workflow('    default_retry_limit: 0\n')).Retry, [
      {
        ErrorEquals: ['IdempotencyAlreadyInProgressError'],
        IntervalSeconds: 6,
        MaxAttempts: 6,
        BackoffRate: 1,
      },
    ]);
  });

  test('default_retryable false stops retrying RetryableError and timeouts but keeps crash and Lambda service retries', () => {
    const retry = taskState(workflow('    default_retryable: false\n')).Retry as { ErrorEquals: string[] }[];
    assert.deepEqual(
      retry.map((r) => r.ErrorEquals),
      [['IdempotencyAlreadyInProgressError'], CRASH, LAMBDA],
      'no step Retrier at all: the in-progress, crash and Lambda service Retriers only',
    );
    const onlyRetryOn = retriersFor(
      workflow('    default_retryable: false\n    retry:\n      retry_on: [QuotaExceededError]\n')
        .steps[0] as never,
    );
    assert.deepEqual(
      onlyRetryOn.map((r) => r.ErrorEquals),
      [['IdempotencyAlreadyInProgressError'], ['QuotaExceededError'], CRASH, LAMBDA],
    );
  });

  test('retry_on names join the step Retrier; PermanentError is in no Retrier of any configuration', () => {
    const configs = [
      '',
      '    default_retryable: false\n',
      '    retry:\n      retry_on: [QuotaExceededError, States.HeartbeatTimeout]\n',
      '    honor_retry_after: true\n',
    ];
    for (const config of configs) {
      const retriers = retriersFor(workflow(config).steps[0] as never);
      for (const r of retriers) assert.ok(!r.ErrorEquals.includes('PermanentError'), config);
      assert.ok(retriers.every((r) => !r.ErrorEquals.includes('States.ALL')));
    }
    const withExtra = retriersFor(
      workflow('    retry:\n      retry_on: [QuotaExceededError, States.HeartbeatTimeout]\n')
        .steps[0] as never,
    );
    assert.deepEqual(withExtra[1]?.ErrorEquals, [
      'RetryableError',
      'States.Timeout',
      'Sandbox.Timedout',
      'QuotaExceededError',
      'States.HeartbeatTimeout',
    ]);
  });

  test('honor_retry_after adds one Retrier per delay bucket up to the maximum, before the backoff Retrier', () => {
    const retriers = retriersFor(
      workflow('    default_retry_limit: 4\n    honor_retry_after: true\n    max_retry_after_seconds: 45\n')
        .steps[0] as never,
    );
    const buckets = retriers.filter((r) => r.ErrorEquals[0]?.startsWith('RetryAfter.'));
    assert.deepEqual(
      buckets.map((r) => r.ErrorEquals[0]),
      ['1', '2', '3', '4', '5', '6', '8', '10', '12', '15', '20', '25', '30', '40', '50'].map(
        (n) => `RetryAfter.${n}s`,
      ),
    );
    for (const r of buckets) {
      assert.equal(r.IntervalSeconds, Number(/\d+/.exec(r.ErrorEquals[0] ?? '')?.[0]));
      assert.equal(r.BackoffRate, 1);
      assert.equal(r.JitterStrategy, 'NONE');
      assert.equal(r.MaxAttempts, 4);
    }
    assert.deepEqual(
      retriers.slice(1 + buckets.length).map((r) => r.ErrorEquals[0]),
      ['RetryableError', CRASH[0], LAMBDA[0]],
    );
    assert.equal(retriers.indexOf(buckets[0] as never), 1, 'right after the in-progress Retrier');
  });

  test('timeout_seconds becomes the Task TimeoutSeconds; the payload follows the contract', () => {
    const state = taskState(workflow('    timeout_seconds: 12\n    description: Calls the service\n'));
    assert.equal(state.TimeoutSeconds, 12);
    assert.equal(state.Comment, 'Calls the service');
    assert.equal(state.ResultPath, '$.steps.call_service');
    assert.equal(state.Resource, 'arn:aws:lambda:us-east-1:123456789012:function:retry_test-call_service');
    assert.deepEqual(state.Parameters, {
      workflow: 'retry_test',
      step: 'call_service',
      'attempt.$': '$$.State.RetryCount',
      'execution_id.$': '$$.Execution.Id',
      'state.$': '$',
    });
  });
});

describe('failure mapping on the local executor', () => {
  test('a RetryableError is retried up to the limit, then the execution fails with that error', async () => {
    const definition = renderDefinition(workflow('    default_retry_limit: 2\n', '', true));
    const ok = await runLocally(definition, {
      failures: { call_service: ['RetryableError', 'RetryableError'] },
    });
    assert.equal(ok.invocations.filter((i) => i.step === 'call_service').length, 3);
    await assert.rejects(
      runLocally(definition, {
        failures: { call_service: ['RetryableError', 'RetryableError', 'RetryableError'] },
      }),
      (error: Error) => (error.cause as Error).name === 'RetryableError',
    );
  });

  test('a PermanentError is never retried and fails the execution with its name and message intact', async () => {
    const definition = renderDefinition(workflow('', '', true));
    const invocations: Invocation[] = [];
    await assert.rejects(
      runLocally(definition, {
        failures: { call_service: ['PermanentError', 'PermanentError'] },
        invocations,
      }),
      (error: Error) => {
        const cause = error.cause as Error;
        return (
          cause.name === 'PermanentError' &&
          cause.message === 'call_service failed on purpose (PermanentError)'
        );
      },
    );
    assert.deepEqual(
      invocations.map((i) => i.step),
      ['call_service'],
    );
  });

  test('on_failure continue: the final failure becomes the fallback result and the workflow goes on', async () => {
    const spec = workflow(
      '    default_retry_limit: 1\n    on_failure: continue\n    fallback:\n      status: defaults_applied\n      plan.$: $.plan\n',
      '',
      true,
    );
    const definition = renderDefinition(spec);
    const states = definition.States as Record<string, Record<string, unknown>>;
    assert.deepEqual(states.call_service?.Catch, [
      { ErrorEquals: ['States.ALL'], ResultPath: '$.errors.call_service', Next: 'call_service (fallback)' },
    ]);
    assert.deepEqual(states['call_service (fallback)'], {
      Type: 'Pass',
      ResultPath: '$.steps.call_service',
      Parameters: {
        status: 'defaults_applied',
        'plan.$': '$.plan',
        fallback_used: true,
        'error.$': '$.errors.call_service',
      },
      Next: 'next_step',
    });
    const { output, invocations } = await runLocally(definition, {
      input: { correlation_id: 'corr-1', plan: 'pro' },
      failures: { call_service: ['RetryableError', 'PermanentError'] },
    });
    const steps = output.steps as Record<string, Record<string, unknown>>;
    assert.equal(steps.call_service?.fallback_used, true);
    assert.equal(steps.call_service?.plan, 'pro');
    assert.equal((steps.call_service?.error as Record<string, unknown> | undefined)?.Error, 'PermanentError');
    assert.deepEqual(steps.next_step, { step: 'next_step', correlation_id: 'corr-1' });
    assert.deepEqual(
      invocations.map((i) => i.step),
      ['call_service', 'call_service', 'next_step'],
    );
  });

  test('an in-progress answer is waited out by its own Retrier, spending none of the step retries (limit 0 too)', async () => {
    // runLocally consumes the failure lists it is given, so each run gets fresh ones.
    const inProgress = (n: number): string[] =>
      Array.from({ length: n }, () => 'IdempotencyAlreadyInProgressError');
    const none = renderDefinition(workflow('    default_retry_limit: 0\n    timeout_seconds: 5\n'));
    const { invocations } = await runLocally(none, { failures: { call_service: inProgress(6) } });
    assert.equal(invocations.length, 7, '6 in-progress answers, then the run');
    await assert.rejects(
      runLocally(none, { failures: { call_service: inProgress(7) } }),
      (error: Error) => (error.cause as Error).name === 'IdempotencyAlreadyInProgressError',
      'the seventh in-progress answer fails the step: the wait is bounded',
    );
    const one = renderDefinition(workflow('    default_retry_limit: 1\n    timeout_seconds: 5\n'));
    const mixed = await runLocally(one, {
      failures: { call_service: ['Runtime.ExitError', ...inProgress(3)] },
    });
    assert.equal(mixed.invocations.length, 5, 'a crash (1 retry of 1), 3 in-progress waits, then the run');
  });

  test('an uncaught exception (reported under its own name) is retried as a crash, within the step limit', async () => {
    const definition = renderDefinition(
      workflow('    default_retry_limit: 2\n    default_retryable: false\n'),
    );
    const { invocations } = await runLocally(definition, {
      failures: { call_service: ['TypeError', 'Runtime.ExitError'] },
    });
    assert.equal(invocations.length, 3);
    await assert.rejects(
      runLocally(definition, { failures: { call_service: ['TypeError', 'RangeError', 'Error'] } }),
      (error: Error) => (error.cause as Error).name === 'Error',
      'the third crash is past the limit of 2',
    );
  });

  test('a RetryAfter bucket error is retried by its own Retrier', async () => {
    const definition = renderDefinition(workflow('    honor_retry_after: true\n'));
    const { invocations } = await runLocally(definition, {
      failures: { call_service: ['RetryAfter.2s', 'RetryAfter.60s'] },
    });
    assert.equal(invocations.length, 3);
  });
});

describe('time budget', () => {
  test("a step's worst case is attempts x timeout plus the capped backoff waits and the in-progress waits", () => {
    const plain = stepBudget(workflow('    timeout_seconds: 30\n').steps[0] as never);
    assert.deepEqual(plain, { seconds: 4 * 30 + (1 + 2 + 4) + 6 * 6, attempts: 4, waitSeconds: 7 + 36 });
    const capped = stepBudget(
      workflow('    default_retry_limit: 8\n    timeout_seconds: 10\n').steps[0] as never,
    );
    assert.equal(capped.waitSeconds, 1 + 2 + 4 + 8 + 16 + 30 + 30 + 30 + 6 * 2);
    const retryAfter = stepBudget(
      workflow('    timeout_seconds: 30\n    honor_retry_after: true\n    max_retry_after_seconds: 60\n')
        .steps[0] as never,
    );
    assert.equal(retryAfter.seconds, 4 * 30 + 3 * 60 + 6 * 6);
    const none = stepBudget(
      workflow('    default_retry_limit: 0\n    timeout_seconds: 9\n').steps[0] as never,
    );
    assert.deepEqual(
      none,
      { seconds: 9 + 6 * 2, attempts: 1, waitSeconds: 12 },
      'limit 0 still waits out a record',
    );
  });

  test('warns when a step could outlast the workflow timeout', () => {
    const spec = workflow('    timeout_seconds: 60\n', 'timeout_seconds: 120\n');
    const { warnings } = analyzeWorkflow(spec);
    assert.deepEqual(warnings, [
      "retry_test.yaml:4: warning: step 'call_service' could run 319 s in the worst case (4 attempts x 60 s + 79 s of retry waits), longer than the workflow's timeout_seconds (120)",
    ]);
  });

  test('an Express workflow within 5 minutes compiles', () => {
    const spec = workflow(
      '    default_retry_limit: 1\n    timeout_seconds: 20\n',
      'execution_type: express\n',
    );
    assert.equal(spec.executionType, 'EXPRESS');
    // 2 attempts x 20 s + a 1 s wait + 6 in-progress waits of 4 s: inside Express's 300 s, so no error.
    assert.deepEqual(analyzeWorkflow(spec).budget.worstCase, { seconds: 65, path: ['call_service'] });
  });

  test('the checks stage refuses an Express spec whose worst case exceeds 5 minutes', () => {
    const spec = workflow('    default_retry_limit: 5\n    timeout_seconds: 60\n');
    const express: WorkflowSpec = { ...spec, executionType: 'EXPRESS' };
    assert.throws(
      () => analyzeWorkflow(express),
      (error: WorkflowError) =>
        error instanceof WorkflowError &&
        error.message ===
          "retry_test.yaml:1: express workflow could run 463 s in the worst case (critical path: call_service), over Express's 300 s limit (lower retry limits or timeouts, or use execution_type: standard)",
    );
  });
});
