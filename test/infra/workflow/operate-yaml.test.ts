import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { analyzeWorkflow, loadWorkflowFile, parseWorkflow } from '../../../infra/workflow/index.ts';
import { diagnosticsOf } from './diagnostics-of.ts';

const FIXTURE = 'test/fixtures/workflows/valid/operated-orders.yaml';

const STEP = '  - name: call_service\n    handler_config:\n      url: https://svc.example.com\n';

/** Diagnostics of a one-step workflow with extra workflow fields and step fields. */
function problems(workflowFields: string, stepFields = ''): string[] {
  return diagnosticsOf(() =>
    parseWorkflow(`name: ops_test\n${workflowFields}step_templates:\n${STEP}${stepFields}`, 'ops.yaml'),
  );
}

describe('operating fields: the typed spec the stack reads', () => {
  const spec = loadWorkflowFile(FIXTURE);

  test('deployment, alarms, notifications, compensate_on and status_output are resolved', () => {
    assert.deepEqual(spec.deployment, { type: 'CANARY', percentage: 20, intervalMinutes: 5, line: 17 });
    assert.deepEqual(spec.alarms, {
      line: 21,
      topicEmail: 'ops@example.com',
      executionsFailed: { threshold: 2, periodSeconds: 60 },
      executionsTimedOut: { threshold: 1, periodSeconds: 300 },
      executionsAborted: { threshold: 1, periodSeconds: 300 },
      executionThrottled: { threshold: 1, periodSeconds: 300 },
      stepErrors: { threshold: 1, periodSeconds: 300 },
      stepThrottles: { threshold: 1, periodSeconds: 300 },
    });
    assert.deepEqual(spec.notifications, [
      {
        on: ['FAILED', 'TIMED_OUT'],
        target: { sns: 'arn:aws:sns:us-east-1:123456789012:order-alerts' },
        line: 26,
      },
      {
        on: ['SUCCEEDED'],
        target: { eventBus: 'arn:aws:events:us-east-1:123456789012:event-bus/orders' },
        line: 28,
      },
    ]);
    assert.deepEqual(spec.compensateOn, ['permanent', 'exhausted']);
    assert.deepEqual(spec.api.statusOutput, [
      'steps.reserve_stock.body.reservation_id',
      'steps.charge_card.status',
    ]);
  });

  test('steps carry compensate, the operator timeout and their merged breaker', () => {
    const [reserve, charge, notify] = spec.steps;
    assert.deepEqual(reserve?.compensate, {
      request: {
        method: 'DELETE',
        'path.$': "States.Format('/reservations/{}', $.steps.reserve_stock.body.reservation_id)",
      },
      handlerPath: 'lambdas/runtime/http-step.ts',
      handlerOrigin: 'http',
      line: 36,
    });
    assert.equal(reserve?.onFailure, 'fail');
    assert.equal(reserve?.operatorTimeoutSeconds, undefined);
    assert.equal(charge?.onFailure, 'await_operator');
    assert.equal(charge?.operatorTimeoutSeconds, 3600);
    assert.deepEqual(charge?.circuitBreaker, {
      failureThreshold: 3,
      windowSeconds: 30,
      coolDownSeconds: 10,
      maxOutageSeconds: 120,
    });
    assert.equal(notify?.circuitBreaker, 'off');
  });

  test('defaults: ALL_AT_ONCE, no alarms, no notifications, compensate on permanent, no status output', () => {
    const plain = parseWorkflow(
      `name: plain\nstep_templates:\n${STEP}    on_failure: await_operator\n`,
      'plain.yaml',
    );
    assert.deepEqual(plain.deployment, { type: 'ALL_AT_ONCE', line: 1 });
    assert.equal(plain.alarms, undefined);
    assert.deepEqual(plain.notifications, []);
    assert.deepEqual(plain.compensateOn, ['permanent']);
    assert.deepEqual(plain.api.statusOutput, []);
    assert.equal(plain.steps[0]?.operatorTimeoutSeconds, 7 * 24 * 60 * 60);
    const linear = parseWorkflow(
      `name: lin\ndeployment: { type: LINEAR }\nalarms: true\nstep_templates:\n${STEP}`,
      'l.yaml',
    );
    assert.deepEqual(linear.deployment, { type: 'LINEAR', percentage: 10, intervalMinutes: 5, line: 2 });
    assert.equal(linear.alarms?.stepThrottles.threshold, 1);
    assert.equal(
      parseWorkflow(`name: off\nalarms: false\nstep_templates:\n${STEP}`, 'o.yaml').alarms,
      undefined,
    );
  });
});

describe('operating fields: diagnostics with file:line', () => {
  test('deployment', () => {
    assert.deepEqual(problems('deployment:\n  type: BLUE_GREEN\n'), [
      "ops.yaml:3: deployment.type must be one of ALL_AT_ONCE, CANARY, LINEAR, got 'BLUE_GREEN'",
    ]);
    assert.deepEqual(problems('deployment:\n  type: ALL_AT_ONCE\n  percentage: 10\n'), [
      'ops.yaml:4: deployment.percentage is only used with type CANARY or LINEAR (remove it, or change deployment.type)',
    ]);
    assert.deepEqual(problems('deployment:\n  type: CANARY\n  percentage: 100\n  interval: 5\n'), [
      'ops.yaml:4: deployment.percentage must be an integer from 1 to 99, got 100',
      "ops.yaml:5: unknown field 'deployment.interval' (did you mean 'deployment.interval_minutes'?)",
    ]);
  });

  test('alarms', () => {
    assert.deepEqual(problems('alarms: yes please\n'), [
      "ops.yaml:2: alarms must be true, false or a mapping (topic_email, executions_failed, executions_timed_out, executions_aborted, execution_throttled, step_errors, step_throttles), got 'yes please'",
    ]);
    assert.deepEqual(
      problems(
        'alarms:\n  topic_email: ops\n  executions_faild: { threshold: 1 }\n  step_errors: { threshold: 0, period_seconds: 45 }\n',
      ),
      [
        "ops.yaml:3: alarms.topic_email must be an email address, got 'ops'",
        "ops.yaml:4: unknown field 'alarms.executions_faild' (did you mean 'executions_failed'?)",
        'ops.yaml:5: alarms.step_errors.threshold must be an integer from 1 to 1000000, got 0',
        'ops.yaml:5: alarms.step_errors.period_seconds must be 10, 20, 30 or a multiple of 60 up to 86400 seconds, got 45',
      ],
    );
  });

  test('prototype-named keys are unknown fields, not crashes', () => {
    assert.deepEqual(
      problems('alarms:\n  constructor: { threshold: 1 }\ncircuit_breaker:\n  toString: 1\n'),
      [
        "ops.yaml:3: unknown field 'alarms.constructor'",
        "ops.yaml:5: unknown field 'circuit_breaker.toString' (known: failure_threshold, window_seconds, cool_down_seconds, max_outage_seconds)",
      ],
    );
  });

  test('notifications', () => {
    assert.deepEqual(
      problems(
        'notifications:\n  - on: [FAILED, FAILED, EXPLODED]\n    target: { sns: "arn:aws:sqs:us-east-1:123456789012:q" }\n  - on: []\n    target: { sns: "arn:aws:sns:us-east-1:123456789012:t", sqs: "arn:aws:sqs:us-east-1:123456789012:q" }\n',
      ),
      [
        "ops.yaml:3: notifications[0].on[2] must be one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE, got 'EXPLODED'",
        "ops.yaml:3: notifications[0].on lists 'FAILED' twice (remove one)",
        "ops.yaml:4: notifications[0].target.sns must be a sns ARN such as arn:aws:sns:us-east-1:123456789012:alerts, got 'arn:aws:sqs:us-east-1:123456789012:q'",
        'ops.yaml:5: notifications[1].on must list at least one execution status, got an empty list',
        'ops.yaml:6: notifications[1].target must name exactly one of sns, sqs, lambda, event_bus, got sns and sqs',
      ],
    );
  });

  test('compensate_on and api.status_output', () => {
    assert.deepEqual(problems('compensate_on: [exhausted]\n'), [
      'ops.yaml:2: compensate_on must list permanent (a permanent failure always compensates): [permanent] or [permanent, exhausted]',
    ]);
    assert.deepEqual(problems('compensate_on: [sometimes]\n'), [
      "ops.yaml:2: compensate_on[0] must be 'permanent' or 'exhausted', got 'sometimes'",
    ]);
    assert.deepEqual(
      problems('api:\n  status_output: [user_id, steps.call_servce.id, steps.call_service.a b]\n'),
      [
        "ops.yaml:3: api.status_output[0] must be a path into a step's result starting with steps., e.g. steps.call_service.id, got 'user_id'",
        "ops.yaml:3: api.status_output[1] names unknown step 'call_servce' (did you mean 'call_service'?)",
        "ops.yaml:3: api.status_output[2] has an invalid field name 'a b' in 'steps.call_service.a b' (use letters, digits, _ and -)",
      ],
    );
  });

  test('operator fields', () => {
    assert.deepEqual(problems('', '    operator_timeout_seconds: 60\n'), [
      "ops.yaml:6: step 'call_service': operator_timeout_seconds is only used with on_failure: await_operator (add it or remove operator_timeout_seconds)",
    ]);
    assert.deepEqual(problems('execution_type: express\n', '    on_failure: await_operator\n'), [
      "ops.yaml:7: step 'call_service': on_failure: await_operator needs execution_type: standard (Express workflows cannot wait for a task token)",
    ]);
    assert.deepEqual(problems('', '    on_failure: wait\n'), [
      "ops.yaml:6: step 'call_service': on_failure must be 'fail', 'continue' or 'await_operator', got 'wait'",
    ]);
  });

  test('compensate: exactly one of request and handler_class, each checked like a step', () => {
    assert.deepEqual(problems('', '    compensate: {}\n'), [
      "ops.yaml:6: step 'call_service': compensate needs exactly one of request: (an HTTP call to the step's service) or handler_class: (a module), got neither",
    ]);
    assert.deepEqual(
      problems(
        '',
        '    compensate:\n      handler_class: undo-it\n      request: { method: DELET, path: refunds }\n',
      ),
      [
        "ops.yaml:6: step 'call_service': compensate needs exactly one of request: (an HTTP call to the step's service) or handler_class: (a module), got both",
        "ops.yaml:7: step 'call_service': compensate.handler_class 'undo-it' must be a class name such as UndoChargeCardHandler or Billing::StepHandlers::UndoChargeCardHandler",
        "ops.yaml:8: step 'call_service': compensate.request.method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, got 'DELET'",
        "ops.yaml:8: step 'call_service': compensate.request.path must be a path under the service's URL starting with '/', got 'refunds'",
      ],
    );
    assert.deepEqual(problems('', '    compensate:\n      handler: x.ts\n'), [
      "ops.yaml:6: step 'call_service': compensate needs exactly one of request: (an HTTP call to the step's service) or handler_class: (a module), got neither",
      "ops.yaml:7: step 'call_service': unknown field 'compensate.handler' (did you mean 'compensate.handler_class'?)",
    ]);
  });

  test('checks stage: a handler_class needs its module; a request needs the step to have a service', () => {
    const root = mkdtempSync(join(tmpdir(), 'ops-'));
    try {
      const text = `name: undo_test\nstep_templates:\n  - name: charge\n    compensate:\n      handler_class: Billing::UndoChargeHandler\n  - name: ship\n    compensate:\n      request: { method: POST, path: /cancel }\n`;
      const spec = parseWorkflow(text, 'undo.yaml');
      assert.equal(spec.steps[0]?.compensate?.handlerPath, 'lambdas/steps/undo_test/undo-charge.ts');
      mkdirSync(join(root, 'lambdas/steps/undo_test'), { recursive: true });
      writeFileSync(join(root, 'lambdas/steps/undo_test/charge.ts'), '');
      writeFileSync(join(root, 'lambdas/steps/undo_test/ship.ts'), '');
      assert.deepEqual(
        diagnosticsOf(() => analyzeWorkflow(spec, { rootDir: root })),
        [
          "undo.yaml:4: step 'charge': compensate.handler_class Billing::UndoChargeHandler needs its module lambdas/steps/undo_test/undo-charge.ts (create it, or fix the class name)",
          "undo.yaml:7: step 'ship': compensate.request calls the step's service, but the step has none: set handler_config.url (or handler_config.service)",
        ],
      );
      writeFileSync(join(root, 'lambdas/steps/undo_test/undo-charge.ts'), '');
      assert.deepEqual(
        diagnosticsOf(() =>
          analyzeWorkflow(parseWorkflow(text.replace(/ {2}- name: ship[\s\S]*$/, ''), 'undo.yaml'), {
            rootDir: root,
          }),
        ),
        [],
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('operating fields: warnings of the checks stage', () => {
  test('an operator wait longer than the workflow timeout', () => {
    const spec = parseWorkflow(
      `name: w\ntimeout_seconds: 3600\nstep_templates:\n${STEP}    on_failure: await_operator\n`,
      'w.yaml',
    );
    assert.deepEqual(analyzeWorkflow(spec).warnings, [
      "w.yaml:4: warning: step 'call_service' waits up to 604800 s for an operator (operator_timeout_seconds), longer than the workflow's timeout_seconds (3600): the execution times out first",
    ]);
  });

  test('two steps of one service with different breaker settings', () => {
    const text = `name: b\nstep_templates:\n${STEP}  - name: again\n    handler_config:\n      url: https://svc.example.com/v2\n      circuit_breaker: { cool_down_seconds: 9 }\n  - name: same\n    handler_config: { url: https://svc.example.com }\n`;
    assert.deepEqual(analyzeWorkflow(parseWorkflow(text, 'b.yaml')).warnings, [
      "b.yaml:9: warning: step 'again' sets circuit breaker settings for service 'svc.example.com' that differ from step 'call_service's; both share one breaker, so give them the same settings (or set them once in the workflow's circuit_breaker)",
    ]);
  });
});
