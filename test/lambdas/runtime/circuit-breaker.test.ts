import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod/mini';
import {
  BREAKER_TRANSITION_METRIC,
  breakerRecordKey,
  CIRCUIT_OPEN_ERROR,
  DEFAULTS,
  ENV,
  PERMANENT_ERROR,
  RETRIES_EXHAUSTED_ERROR,
  RETRYABLE_ERROR,
} from '../../../lambdas/contracts.ts';
import { type BreakerStore, CLOSED_BREAKER } from '../../../lambdas/runtime/breaker-store.ts';
import {
  admission,
  afterCall,
  type BreakerSettings,
  createBreakerGuard,
  parseBreakerSettings,
} from '../../../lambdas/runtime/circuit-breaker.ts';
import { definition as httpStep } from '../../../lambdas/runtime/http-step.ts';
import { createStepLogger } from '../../../lambdas/runtime/logger.ts';
import { createStepMetrics } from '../../../lambdas/runtime/metrics.ts';
import { defineStep, type StepHandler } from '../../../lambdas/runtime/step-handler.ts';
import {
  buildHandler,
  lambdaContext,
  newCorrelationId,
  type RuntimeHarness,
  rejection,
  runtimeEnv,
} from '../step-harness.ts';
import { httpStepPayload, STEP } from './http-step-support.ts';
import { type ScriptedService, useScriptedSuite } from './scripted-service.ts';

const SETTINGS: BreakerSettings = {
  failureThreshold: 3,
  windowSeconds: 30,
  coolDownSeconds: 5,
  maxOutageSeconds: 300,
};

describe('circuit breaker protocol (pure)', () => {
  const T = 1_000_000;
  const open = { ...CLOSED_BREAKER, state: 'open' as const, openedAt: T, failures: 3, version: 4 };

  test('closed counts failures in a window started by the first one and opens at the threshold', () => {
    const one = afterCall(CLOSED_BREAKER, 'failed', T, SETTINGS, 'me');
    assert.deepEqual([one?.state, one?.failures, one?.windowStartedAt], ['closed', 1, T]);
    const two = afterCall({ ...CLOSED_BREAKER, ...one!, version: 1 }, 'failed', T + 10, SETTINGS, 'me');
    assert.deepEqual([two?.state, two?.failures, two?.windowStartedAt], ['closed', 2, T]);
    const three = afterCall({ ...CLOSED_BREAKER, ...two!, version: 2 }, 'failed', T + 20, SETTINGS, 'me');
    assert.deepEqual([three?.state, three?.failures, three?.openedAt], ['open', 3, T + 20]);
  });

  test('failures farther apart than window_seconds start a new window instead of opening', () => {
    const two = { ...CLOSED_BREAKER, failures: 2, windowStartedAt: T, version: 2 };
    const late = afterCall(two, 'failed', T + 30_000, SETTINGS, 'me');
    assert.deepEqual([late?.state, late?.failures, late?.windowStartedAt], ['closed', 1, T + 30_000]);
  });

  test('an answer changes nothing while closed; a call admitted before the breaker opened changes nothing', () => {
    assert.equal(afterCall(CLOSED_BREAKER, 'answered', T, SETTINGS, 'me'), undefined);
    assert.equal(afterCall(open, 'failed', T + 1, SETTINGS, 'me'), undefined);
    assert.equal(afterCall(open, 'answered', T + 1, SETTINGS, 'me'), undefined);
  });

  test('open rejects until the cool-down ends, then offers the probe lease', () => {
    assert.deepEqual(admission(open, T + 4_000, SETTINGS, 'me', 2_000), { kind: 'reject', retryInMs: 1_000 });
    const probe = admission(open, T + 5_000, SETTINGS, 'me', 2_000);
    assert.equal(probe.kind, 'probe');
    if (probe.kind !== 'probe') return;
    assert.deepEqual(
      [probe.next.state, probe.next.probeId, probe.next.probeUntil],
      ['half_open', 'me', T + 7_000],
    );
  });

  test('half-open: only the lease holder calls until the lease ends (a crashed probe frees it)', () => {
    const half = { ...open, state: 'half_open' as const, probeId: 'probe', probeUntil: T + 7_000 };
    assert.deepEqual(admission(half, T + 6_000, SETTINGS, 'probe', 2_000), { kind: 'call' });
    assert.deepEqual(admission(half, T + 6_000, SETTINGS, 'other', 2_000), {
      kind: 'reject',
      retryInMs: 1_000,
    });
    assert.equal(admission(half, T + 7_000, SETTINGS, 'other', 2_000).kind, 'probe');
  });

  test("the probe's answer closes the breaker, its failure re-opens it; nobody else's outcome counts", () => {
    const half = { ...open, state: 'half_open' as const, probeId: 'probe', probeUntil: T + 7_000 };
    assert.deepEqual(afterCall(half, 'answered', T + 6_000, SETTINGS, 'probe'), {
      state: 'closed',
      failures: 0,
      windowStartedAt: 0,
      openedAt: 0,
      probeId: undefined,
      probeUntil: 0,
    });
    const reopened = afterCall(half, 'failed', T + 6_000, SETTINGS, 'probe');
    assert.deepEqual(
      [reopened?.state, reopened?.openedAt, reopened?.probeId],
      ['open', T + 6_000, undefined],
    );
    assert.equal(afterCall(half, 'answered', T + 6_000, SETTINGS, 'other'), undefined);
    assert.equal(afterCall(half, 'failed', T + 6_000, SETTINGS, 'other'), undefined);
  });
});

describe('circuit breaker guard: the table unreachable', () => {
  test('the call goes out (the breaker fails open) and a warning names the failure', async () => {
    const unreachable: BreakerStore = {
      read: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')),
      write: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')),
    };
    const warnings: unknown[] = [];
    const logger = createStepLogger({ service: 'ledger' });
    logger.warn = ((message: string, fields: unknown) =>
      warnings.push([message, fields])) as typeof logger.warn;
    const guard = createBreakerGuard({
      service: 'ledger',
      settings: SETTINGS,
      store: unreachable,
      logger,
      metrics: createStepMetrics({ service: 'ledger', step: 's', customEvents: [] }),
      probeLeaseMs: 1_000,
    });
    await guard.admit();
    await guard.record('failed');
    assert.deepEqual(
      warnings.map((w) => (w as [string])[0]),
      [
        'circuit breaker read failed; the call goes on without it',
        'circuit breaker update failed; the call goes on without it',
      ],
    );
    assert.match(JSON.stringify(warnings[0]), /ECONNREFUSED/);
  });
});

describe('circuit breaker settings (CIRCUIT_BREAKER)', () => {
  test('unset is the defaults; off is off; JSON overrides field by field', () => {
    assert.deepEqual(parseBreakerSettings(undefined, ENV.circuitBreaker), DEFAULTS.circuitBreaker);
    assert.equal(parseBreakerSettings('off', ENV.circuitBreaker), 'off');
    assert.equal(parseBreakerSettings('"off"', ENV.circuitBreaker), 'off');
    assert.deepEqual(
      parseBreakerSettings('{"failure_threshold":2,"cool_down_seconds":10}', ENV.circuitBreaker),
      {
        ...DEFAULTS.circuitBreaker,
        failureThreshold: 2,
        coolDownSeconds: 10,
      },
    );
  });

  test('anything else is a CONFIGURATION_ERROR naming the variable and field', () => {
    const cases: Array<[string, RegExp]> = [
      ['{', /^PermanentError: CONFIGURATION_ERROR: CIRCUIT_BREAKER must be 'off' or JSON/],
      ['[1]', /^PermanentError: CONFIGURATION_ERROR: CIRCUIT_BREAKER must be 'off' or a JSON object/],
      [
        '{"threshold":2}',
        /^PermanentError: CONFIGURATION_ERROR: CIRCUIT_BREAKER: unknown field 'threshold'$/,
      ],
      ['{"failure_threshold":0}', /CIRCUIT_BREAKER.failure_threshold must be a positive number, got 0/],
      ['{"failure_threshold":2.5}', /CIRCUIT_BREAKER.failure_threshold must be a positive number, got 2.5/],
      ['{"window_seconds":"30"}', /CIRCUIT_BREAKER.window_seconds must be a positive number, got "30"/],
    ];
    for (const [raw, message] of cases) {
      assert.throws(() => parseBreakerSettings(raw, ENV.circuitBreaker), message, raw);
    }
  });
});

describe('circuit breaker (dynalite, two handlers, a real service on 127.0.0.1)', () => {
  let h: RuntimeHarness;
  let service: ScriptedService;
  let serviceCount = 0;
  let name = '';
  useScriptedSuite((harness, scripted) => {
    h = harness;
    service = scripted;
  });
  beforeEach(() => {
    // A service of its own per test: the breaker is per service and lives in the shared table.
    name = `payments-${++serviceCount}`;
    service.received.length = 0;
  });

  const env = (settings: Record<string, number> | 'off') =>
    runtimeEnv(h, STEP, {
      [ENV.workflowName]: 'order_fulfillment',
      [ENV.serviceName]: name,
      [ENV.serviceUrl]: service.url,
      [ENV.circuitBreaker]: settings === 'off' ? 'off' : JSON.stringify(settings),
    });
  /** Two step functions of the same service, as two Lambdas would be. */
  const twoHandlers = (settings: Record<string, number> | 'off'): [StepHandler, StepHandler] => [
    buildHandler(h, httpStep, env(settings)),
    buildHandler(h, httpStep, env(settings)),
  ];
  const charge = { method: 'POST', path: '/charges', body: { amount_cents: 4200 } };
  const call = (handler: StepHandler) =>
    handler(httpStepPayload(charge, newCorrelationId()), lambdaContext(STEP));
  const outcomes = async (calls: Promise<unknown>[]): Promise<string[]> =>
    (await Promise.allSettled(calls)).map((r) => (r.status === 'fulfilled' ? 'ok' : String(r.reason.name)));
  const record = async (): Promise<Record<string, unknown> | undefined> => {
    const key = breakerRecordKey(name);
    const { Item } = await h.dynamo.client.send(
      new GetItemCommand({
        TableName: h.tableName,
        Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? undefined : unmarshall(Item);
  };
  const linesSince = (from: number) => h.lines.slice(from).map((line) => JSON.parse(line));
  const transitions = (from: number) =>
    linesSince(from)
      .filter((line) => line[BREAKER_TRANSITION_METRIC] !== undefined && line.service === name)
      .map((line) => line.state as string);
  const logged = (from: number, message: string) =>
    linesSince(from).filter((line) => line.message === message && line.service === name).length;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  test('opens after failure_threshold retryable failures from two handlers, then fails fast without calling', async () => {
    const from = h.lines.length;
    const [a, b] = twoHandlers({ failure_threshold: 3, window_seconds: 30, cool_down_seconds: 60 });
    service.answer(() => ({ status: 503 }));
    assert.deepEqual(await outcomes([call(a), call(b)]), [RETRYABLE_ERROR, RETRYABLE_ERROR]);
    assert.deepEqual([(await record())?.state, (await record())?.failures], ['closed', 2]);
    // Both are admitted while closed; the third failure opens it, the fourth finds it open.
    assert.deepEqual(await outcomes([call(a), call(b)]), [RETRYABLE_ERROR, RETRYABLE_ERROR]);
    assert.equal((await record())?.state, 'open');
    assert.equal(service.received.length, 4);

    const fast = await outcomes([call(a), call(b), call(a), call(b), call(a)]);
    assert.deepEqual(fast, Array(5).fill(CIRCUIT_OPEN_ERROR));
    assert.equal(service.received.length, 4, 'no call reaches the service while the breaker is open');
    const error = await rejection(call(b));
    assert.match(
      error.message,
      new RegExp(`^the circuit breaker of service '${name}' is open; not calling it`),
    );

    assert.equal(logged(from, 'circuit breaker opened'), 1);
    assert.deepEqual(transitions(from), ['open']);
    const [emf] = linesSince(from).filter((line) => line[BREAKER_TRANSITION_METRIC] !== undefined);
    assert.deepEqual(emf._aws.CloudWatchMetrics[0].Dimensions, [['service', 'step', 'state']]);
    assert.deepEqual(emf._aws.CloudWatchMetrics[0].Metrics, [
      { Name: BREAKER_TRANSITION_METRIC, Unit: 'Count' },
    ]);
  });

  test('half-open: exactly one of many concurrent callers probes, and its success closes the breaker', async () => {
    const from = h.lines.length;
    const [a, b] = twoHandlers({ failure_threshold: 1, window_seconds: 30, cool_down_seconds: 1 });
    service.answer(() => ({ status: 503 }));
    assert.deepEqual(await outcomes([call(a)]), [RETRYABLE_ERROR]);
    assert.equal((await record())?.state, 'open');
    await sleep(1_100);
    service.received.length = 0;
    service.answer(() => ({ status: 201, body: { charge_id: 'ch_1' }, delayMs: 300 }));
    const probing = await outcomes([call(a), call(b), call(a), call(b), call(a), call(b)]);
    assert.equal(probing.filter((o) => o === 'ok').length, 1, probing.join());
    assert.equal(probing.filter((o) => o === CIRCUIT_OPEN_ERROR).length, 5, probing.join());
    assert.equal(service.received.length, 1, 'only the probe called');
    assert.equal((await record())?.state, 'closed');

    assert.deepEqual(await outcomes([call(a), call(b), call(a)]), ['ok', 'ok', 'ok']);
    assert.equal(service.received.length, 4);
    assert.deepEqual(transitions(from), ['open', 'half_open', 'closed']);
    assert.equal(logged(from, 'circuit breaker half-open: probing'), 1);
    assert.equal(logged(from, 'circuit breaker closed'), 1);
  });

  test('a failed probe re-opens the breaker for another cool-down', async () => {
    const [a, b] = twoHandlers({ failure_threshold: 1, window_seconds: 30, cool_down_seconds: 1 });
    service.answer(() => ({ status: 503 }));
    await outcomes([call(a)]);
    const firstOpen = Number((await record())?.opened_at);
    await sleep(1_100);
    assert.deepEqual(await outcomes([call(b)]), [RETRYABLE_ERROR]);
    const again = await record();
    assert.equal(again?.state, 'open');
    assert.ok(Number(again?.opened_at) > firstOpen);
    assert.deepEqual(await outcomes([call(a), call(b)]), [CIRCUIT_OPEN_ERROR, CIRCUIT_OPEN_ERROR]);
    assert.equal(service.received.length, 2);
  });

  test('4xx answers are answers: they never open the breaker', async () => {
    const [a, b] = twoHandlers({ failure_threshold: 2, window_seconds: 30, cool_down_seconds: 60 });
    service.answer(() => ({ status: 422, body: { error: 'AMOUNT_INVALID' } }));
    const results = await outcomes([call(a), call(b), call(a), call(b), call(a)]);
    assert.deepEqual(results, Array(5).fill(PERMANENT_ERROR));
    assert.equal(service.received.length, 5);
    assert.equal(await record(), undefined, 'nothing written while closed and answering');
  });

  test('timeouts and dropped connections count as failures', async () => {
    const [a] = twoHandlers({ failure_threshold: 2, window_seconds: 30, cool_down_seconds: 60 });
    const impatient = buildHandler(h, httpStep, {
      ...env({ failure_threshold: 2, window_seconds: 30, cool_down_seconds: 60 }),
      [ENV.requestTimeoutMs]: '100',
    });
    service.answer(() => ({ status: 200, delayMs: 400 }));
    assert.deepEqual(await outcomes([call(impatient)]), [RETRYABLE_ERROR]);
    service.answer(() => ({ status: 502 }));
    assert.deepEqual(await outcomes([call(a)]), [RETRYABLE_ERROR]);
    assert.equal((await record())?.state, 'open');
  });

  test('CIRCUIT_BREAKER=off: every call goes out, nothing is stored', async () => {
    const [a, b] = twoHandlers('off');
    service.answer(() => ({ status: 503 }));
    const results = await outcomes(Array.from({ length: 8 }, (_, i) => call(i % 2 === 0 ? a : b)));
    assert.deepEqual(results, Array(8).fill(RETRYABLE_ERROR));
    assert.equal(service.received.length, 8);
    assert.equal(await record(), undefined);
  });

  test("honor_retry_after: open-breaker waits do not spend the step's own retries", async () => {
    const settings = { failure_threshold: 1, window_seconds: 30, cool_down_seconds: 1 };
    const handler = buildHandler(h, httpStep, {
      ...env(settings),
      [ENV.honorRetryAfter]: 'true',
      [ENV.retryLimit]: '2',
    });
    const correlationId = newCorrelationId();
    const at = (attempt: number) =>
      handler(httpStepPayload(charge, correlationId, attempt), lambdaContext(STEP)).then(
        () => 'ok',
        (error: Error) => error.name,
      );
    service.answer(() => ({ status: 503 }));
    assert.equal(await at(0), RETRYABLE_ERROR); // own attempt 1 of 3; the breaker opens
    assert.deepEqual([await at(1), await at(2), await at(3)], Array(3).fill(CIRCUIT_OPEN_ERROR));
    await sleep(1_100);
    // RetryCount 4 is past the limit of 2, but 3 of those retries were waits: own attempt 2 of 3.
    assert.equal(await at(4), RETRYABLE_ERROR);
    assert.equal(await at(5), CIRCUIT_OPEN_ERROR);
    await sleep(1_100);
    // Own attempt 3 of 3 (RetryCount 6, 4 waits): now the step has used its retries.
    const last = await rejection(handler(httpStepPayload(charge, correlationId, 6), lambdaContext(STEP)));
    assert.equal(last.name, RETRIES_EXHAUSTED_ERROR);
    assert.match(last.message, /^gave up after 3 attempts: /);
    assert.equal(service.received.length, 3, 'three calls: the first and two probes');
  });

  test('module steps and the built-in HTTP step of one service share its breaker', async () => {
    const lookup = defineStep({
      step: 'lookup_order',
      inputSchema: z.object({ correlation_id: z.string() }),
      run: async (_input, ctx) => {
        await ctx.http.request('GET', '/orders/ord-1');
        return {};
      },
    });
    const settings = { failure_threshold: 1, window_seconds: 30, cool_down_seconds: 60 };
    const moduleStep = buildHandler(h, lookup, { ...env(settings), [ENV.stepName]: 'lookup_order' });
    service.answer(() => ({ status: 500 }));
    const state = { correlation_id: newCorrelationId() };
    const payload = { workflow: 'order_fulfillment', step: 'lookup_order', attempt: 0, state };
    assert.equal((await rejection(moduleStep(payload, lambdaContext('lookup_order')))).name, RETRYABLE_ERROR);
    const [a] = twoHandlers(settings);
    assert.deepEqual(await outcomes([call(a)]), [CIRCUIT_OPEN_ERROR]);
    assert.equal(
      (await rejection(moduleStep(payload, lambdaContext('lookup_order')))).name,
      CIRCUIT_OPEN_ERROR,
    );
    assert.equal(service.received.length, 1);
  });
});
