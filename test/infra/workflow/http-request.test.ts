import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderDefinition } from '../../../infra/render-definition.ts';
import {
  formatDiagnostic,
  loadWorkflowFile,
  parseWorkflow,
  pathValueProblem,
  WorkflowError,
} from '../../../infra/workflow/index.ts';
import { HTTP_STEP_ENTRY } from '../../../lambdas/contracts.ts';
import { type Invocation, runLocally } from './asl-analysis.ts';

const FIXTURE = 'test/fixtures/workflows/valid/http-environments.yaml';

/** The diagnostics of a one-step workflow whose handler_config is `config` (YAML, indented 6). */
function diagnosticsOf(config: string): string[] {
  const yaml = `name: http_test\nstep_templates:\n  - name: call\n    handler_config:\n${config}`;
  try {
    parseWorkflow(yaml, 'http.yaml');
    return [];
  } catch (error) {
    if (error instanceof WorkflowError) return error.diagnostics.map(formatDiagnostic);
    throw error;
  }
}

describe('the values of .$ keys', () => {
  test('accepts JSONPaths, context paths and intrinsic calls Step Functions resolves', () => {
    for (const value of [
      '$',
      '$.order_id',
      '$$.Execution.Id',
      '$.items[0].sku',
      "$['odd key'].x",
      "States.Format('/orders/{}/ship', $.order_id)",
      "States.Format('it\\'s {}', States.ArrayGetItem(States.StringSplit($.a, ','), 0))",
      'States.UUID()',
      'States.MathAdd($.n, -1)',
      'States.Array($.a, true, null, 1.5)',
    ]) {
      assert.equal(pathValueProblem(value), undefined, value);
    }
  });

  test('names what is wrong with a value that is not one', () => {
    const cases: [unknown, string][] = [
      [
        'order_id',
        "must be a JSONPath like '$.user_info.plan' or an intrinsic function like 'States.Format(...)' because its key ends in .$, got 'order_id'",
      ],
      [
        42,
        "must be a JSONPath like '$.user_info.plan' or an intrinsic function like 'States.Format(...)' because its key ends in .$, got 42",
      ],
      ['$order_id', "is not a JSONPath: after '$' comes '.' or '[' (e.g. '$.order_id'), got '$order_id'"],
      ['$.a..b', "is not a JSONPath: a field name is missing between dots, got '$.a..b'"],
      ['$.items[0', "is not a JSONPath: its brackets are not balanced, got '$.items[0'"],
      [
        'States.Fromat($.a)',
        "calls unknown intrinsic function 'States.Fromat' (did you mean 'States.Format'?), got 'States.Fromat($.a)'",
      ],
      [
        'States.Format',
        "is not a valid intrinsic function call: '(' must follow States.Format, got 'States.Format'",
      ],
      [
        "States.Format('{}', $.a) x",
        "is not a valid intrinsic function call: unexpected 'x' after its closing ')', got 'States.Format('{}', $.a) x'",
      ],
      [
        "States.Format('{}, $.a)",
        "is not a valid intrinsic function call: a ' is never closed (add the closing '), got 'States.Format('{}, $.a)'",
      ],
      [
        'States.Format(order, $.a)',
        "is not a valid intrinsic function call: argument 'order' must be a 'quoted string', a number, a JSONPath or another States.* call, got 'States.Format(order, $.a)'",
      ],
      [
        'States.Array($x)',
        "has an argument '$x' that is not a JSONPath: after '$' comes '.' or '[' (e.g. '$.x'), got 'States.Array($x)'",
      ],
    ];
    for (const [value, problem] of cases) assert.equal(pathValueProblem(value), problem, String(value));
  });

  test('refuses intrinsics nested deeper than Step Functions allows (10)', () => {
    const nested = (depth: number): string =>
      depth === 0 ? '$.a' : `States.JsonToString(${nested(depth - 1)})`;
    assert.equal(pathValueProblem(nested(10)), undefined);
    assert.match(pathValueProblem(nested(11)) ?? '', /^nests intrinsic functions more than 10 deep/);
  });
});

describe('handler_config.request', () => {
  test('a well-formed request makes an HTTP step that runs the built-in handler', () => {
    const spec = loadWorkflowFile(FIXTURE);
    assert.deepEqual(
      spec.steps.map((step) => [step.name, step.handlerOrigin, step.handlerPath]),
      spec.steps.map((step) => [step.name, 'http', HTTP_STEP_ENTRY]),
    );
    assert.deepEqual(spec.steps[0]?.request, {
      method: 'POST',
      path: '/reservations',
      body: { 'order_id.$': '$.order_id' },
    });
  });

  test('finds every problem of a request, each at its line', () => {
    assert.deepEqual(
      diagnosticsOf(
        [
          '      url: payments.example.com',
          '      request:',
          '        method: FETCH',
          '        path: charges',
          '        headers:',
          '          X-Correlation-ID: abc',
          '          Bad Header: x',
          '        query: [1, 2]',
          '        body:',
          '          items:',
          '            - id.$: id',
          '',
        ].join('\n'),
      ),
      [
        "http.yaml:5: step 'call': handler_config.url must be the service's base URL, e.g. https://payments.example.com, got 'payments.example.com'",
        "http.yaml:7: step 'call': handler_config.request.method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, got 'FETCH'",
        "http.yaml:8: step 'call': handler_config.request.path must be a path under the service's URL starting with '/', got 'charges'",
        "http.yaml:10: step 'call': handler_config.request.headers.X-Correlation-ID is set by the HTTP policy on every call (the execution's correlation ID and a per-step idempotency key); remove it",
        "http.yaml:11: step 'call': handler_config.request.headers.Bad Header: 'Bad Header' is not a valid header name",
        "http.yaml:12: step 'call': handler_config.request.query must be a mapping, got a list",
        "http.yaml:15: step 'call': handler_config.request.body.items[0].id.$ must be a JSONPath like '$.user_info.plan' or an intrinsic function like 'States.Format(...)' because its key ends in .$, got 'id'",
      ],
    );
  });

  test('a module step may keep any url text; a request of a handler: step is still checked', () => {
    // A module step's url may even be a template its module expands.
    assert.deepEqual(diagnosticsOf(`      url: ${'$'}{API_HOST}/users\n`), []);
    const yaml =
      'name: http_test\nstep_templates:\n  - name: call\n    handler: lambdas/x.ts\n    handler_config:\n      url: not a url\n      request: { method: GET }\n';
    assert.throws(() => parseWorkflow(yaml, 'http.yaml'), {
      message:
        "http.yaml:7: step 'call': handler_config.request needs a path (e.g. path: /charges) or a path.$ (e.g. path.$: States.Format('/orders/{}', $.order_id))",
    });
  });

  test('Step Functions resolves the template: fields of earlier answers reach later requests', async () => {
    // aws-local-stepfunctions, the oracle our engine is tested against, runs the compiled definition.
    const definition = renderDefinition(loadWorkflowFile(FIXTURE));
    const invocations: Invocation[] = [];
    await runLocally(definition, {
      input: { order_id: 'o-17', amount_cents: 1250, correlation_id: 'corr-1' },
      invocations,
      results: {
        reserve_stock: { status: 201, body: { reservation_id: 'r-9' }, correlation_id: 'corr-1' },
        charge_card: {
          status: 201,
          body: { charge_id: 'c-3', amount_cents: 1250 },
          correlation_id: 'corr-1',
        },
      },
    });
    const requestOf = (step: string): unknown =>
      (invocations.find((i) => i.step === step)?.payload as { request?: unknown } | undefined)?.request;
    assert.deepEqual(requestOf('reserve_stock'), {
      method: 'POST',
      path: '/reservations',
      body: { order_id: 'o-17' },
    });
    assert.deepEqual(requestOf('charge_card'), {
      method: 'POST',
      path: '/orders/o-17/charges',
      headers: { 'X-Reservation': 'r-9' },
      body: { amount_cents: 1250, lines: [{ sku: 'ABC-1', reservation: 'r-9' }] },
    });
    assert.deepEqual(requestOf('notify_warehouse'), {
      method: 'PUT',
      path: '/notifications',
      query: { order: 'o-17', priority: 1 },
    });
    assert.deepEqual(requestOf('ship_order'), {
      method: 'POST',
      path: '/shipments',
      body: { charge_id: 'c-3', amount_cents: 1250 },
    });
  });
});
