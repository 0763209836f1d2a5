import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderDefinition } from '../../../infra/render-definition.ts';
import { circuitBreakerEnvValue } from '../../../infra/workflow/circuit-breaker.ts';
import {
  parseWorkflow,
  retriersFor,
  WorkflowError,
  type WorkflowSpec,
} from '../../../infra/workflow/index.ts';
import { type Invocation, runLocally } from './asl-analysis.ts';

function workflow(stepFields: string, workflowFields = ''): WorkflowSpec {
  const text = `name: breaker_test\n${workflowFields}step_templates:\n  - name: call_service\n${stepFields}  - name: next_step\n    depends_on_step: call_service\n`;
  return parseWorkflow(text, 'breaker_test.yaml');
}

const SERVICE = '    handler_config:\n      service: payments\n';

function diagnosticsOf(stepFields: string, workflowFields = ''): string[] {
  try {
    workflow(stepFields, workflowFields);
  } catch (error) {
    if (error instanceof WorkflowError) return error.message.split('\n');
    throw error;
  }
  return [];
}

describe('circuit breaker settings', () => {
  test('a step with a service gets the default breaker and a CircuitOpen Retrier first', () => {
    const step = workflow(SERVICE).steps[0];
    assert.deepEqual(step?.circuitBreaker, {
      failureThreshold: 5,
      windowSeconds: 30,
      coolDownSeconds: 5,
      maxOutageSeconds: 300,
    });
    assert.deepEqual(retriersFor(step as never)[0], {
      ErrorEquals: ['CircuitOpen'],
      IntervalSeconds: 5,
      BackoffRate: 1,
      MaxAttempts: 60,
      JitterStrategy: 'NONE',
    });
    assert.equal(
      circuitBreakerEnvValue(step?.circuitBreaker ?? 'off'),
      '{"failure_threshold":5,"window_seconds":30,"cool_down_seconds":5,"max_outage_seconds":300}',
    );
  });

  test('step fields override workflow fields, which override the defaults; off turns it off', () => {
    const spec = workflow(
      `${SERVICE}      circuit_breaker: { cool_down_seconds: 7 }\n`,
      'circuit_breaker:\n  failure_threshold: 3\n  max_outage_seconds: 60\n',
    );
    assert.deepEqual(spec.steps[0]?.circuitBreaker, {
      failureThreshold: 3,
      windowSeconds: 30,
      coolDownSeconds: 7,
      maxOutageSeconds: 60,
    });
    // ceil(60 / 7) = 9 cool-downs
    assert.equal(retriersFor(spec.steps[0] as never)[0]?.MaxAttempts, 9);
    const off = workflow(`${SERVICE}      circuit_breaker: off\n`);
    assert.equal(off.steps[0]?.circuitBreaker, 'off');
    assert.equal(circuitBreakerEnvValue('off'), 'off');
    assert.ok(retriersFor(off.steps[0] as never).every((r) => !r.ErrorEquals.includes('CircuitOpen')));
    const workflowOff = workflow(SERVICE, 'circuit_breaker: off\n');
    assert.equal(workflowOff.steps[0]?.circuitBreaker, 'off');
  });

  test('a step without a service has no breaker; a limit of 0 keeps only the CircuitOpen and in-progress Retriers', () => {
    assert.equal(workflow('').steps[0]?.circuitBreaker, 'off');
    const states = renderDefinition(workflow(`    default_retry_limit: 0\n${SERVICE}`)).States as Record<
      string,
      { Retry: { ErrorEquals: string[] }[] }
    >;
    const state = states.call_service;
    assert.ok(state);
    assert.deepEqual(state.Retry, [
      { ErrorEquals: ['CircuitOpen'], IntervalSeconds: 5, MaxAttempts: 60, BackoffRate: 1 },
      {
        ErrorEquals: ['IdempotencyAlreadyInProgressError'],
        IntervalSeconds: 6,
        MaxAttempts: 6,
        BackoffRate: 1,
      },
    ]);
  });

  test('invalid settings are reported with file:line', () => {
    assert.deepEqual(
      diagnosticsOf(`${SERVICE}      circuit_breaker: { cool_down: 5, window_seconds: 0 }\n`),
      [
        "breaker_test.yaml:6: step 'call_service': unknown field 'handler_config.circuit_breaker.cool_down' (known: failure_threshold, window_seconds, cool_down_seconds, max_outage_seconds)",
        "breaker_test.yaml:6: step 'call_service': handler_config.circuit_breaker.window_seconds must be an integer from 1 to 3600, got 0",
      ],
    );
    assert.deepEqual(diagnosticsOf(SERVICE, 'circuit_breaker:\n  max_outage_seconds: 1.5\n'), [
      'breaker_test.yaml:3: circuit_breaker.max_outage_seconds must be an integer from 1 to 86400, got 1.5',
    ]);
    assert.deepEqual(diagnosticsOf(SERVICE, 'circuit_breaker: sometimes\n'), [
      "breaker_test.yaml:2: circuit_breaker must be a mapping (failure_threshold, window_seconds, cool_down_seconds, max_outage_seconds) or off, got 'sometimes'",
    ]);
  });
});

describe('crashes and open breakers on the local executor', () => {
  test('a crashed process is retried with the step limit, then fails the execution', async () => {
    const definition = renderDefinition(workflow('    default_retry_limit: 2\n'));
    const { invocations } = await runLocally(definition, {
      failures: { call_service: ['Runtime.ExitError', 'Runtime.OutOfMemory'] },
    });
    assert.deepEqual(
      invocations.map((i) => i.step),
      ['call_service', 'call_service', 'call_service', 'next_step'],
    );
    const failed: Invocation[] = [];
    await assert.rejects(
      runLocally(definition, {
        failures: {
          call_service: ['Lambda.Unknown', 'Runtime.ExitError', 'Runtime.UnhandledPromiseRejection'],
        },
        invocations: failed,
      }),
      (error: Error) => (error.cause as Error).name === 'Runtime.UnhandledPromiseRejection',
    );
    assert.equal(failed.length, 3);
  });

  test('CircuitOpen is waited out beyond the step limit without spending its retries', async () => {
    const definition = renderDefinition(workflow(`    default_retry_limit: 1\n${SERVICE}`));
    const { invocations } = await runLocally(definition, {
      failures: {
        call_service: ['CircuitOpen', 'CircuitOpen', 'CircuitOpen', 'CircuitOpen', 'RetryableError'],
      },
    });
    // 4 open-breaker answers, 1 retryable failure (the one retry), then success, then the next step.
    assert.equal(invocations.filter((i) => i.step === 'call_service').length, 6);
    assert.equal(invocations.at(-1)?.step, 'next_step');
  });
});
