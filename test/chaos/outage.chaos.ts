/**
 * Outage proof (issue 13 "Done when"): the user service goes down for every caller while 24
 * registrations are in flight, once for 30 s and once for 2 minutes, with the flagship's default
 * circuit breaker budget; and the notification service for 30 s (its step honours Retry-After,
 * so it counts its own attempts). With the shared breaker: 0 FAILED, 0 duplicates, and the calls that
 * reach the dead service bounded by the breaker (threshold + callers already past it + one probe
 * per cool-down). The same runs with the breaker off (`handler_config.circuit_breaker: off` on
 * every step) are printed beside them: there each execution burns its own retries against the
 * dead service and fails.
 *
 * Runs at time scale 1: the breaker's cool-down is wall-clock time in DynamoDB while its Retrier
 * waits on the engine's clock, so a faster clock would only spend the Retrier's budget sooner.
 * Replay: OUTAGE_SEED=<seed> npm run test:chaos (OUTAGES="user:30,notification:30" picks them).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULTS } from '../../lambdas/contracts.ts';
import { mapLimit, submit } from '../../local/chaos/careful-client.ts';
import { startLocalRuntime } from '../../local/runtime/index.ts';
import { type ServiceName, simulatorsOf } from '../../local/simulators/user_registration/index.ts';
import { copyWorkflow, REPO_ROOT } from '../e2e/support.ts';
import { registrationBody, waitForTerminal } from '../reliability/support.ts';

const SEED = Number(process.env.OUTAGE_SEED ?? 20261213);
/**
 * `service:seconds` outages, one run each (with the breaker, then without). The user service is
 * called by two steps (create_user_account, update_user_status); the notification service by
 * send_welcome_sequence, whose `honor_retry_after` counts its attempts itself.
 */
const OUTAGES = (process.env.OUTAGES ?? 'user:30,user:120,notification:30').split(',').map((text) => {
  const [service = '', seconds = ''] = text.split(':');
  return { service: service as ServiceName, seconds: Number(seconds) };
});
const REGISTRATIONS = 24;
/** Sandboxes per function: callers already past a closed breaker when it opens. */
const CONCURRENCY_PER_FUNCTION = 4;
/** How many of the flagship's step functions call each service. */
const FUNCTIONS_ON: Readonly<Record<ServiceName, number>> = {
  user: 2,
  billing: 1,
  preferences: 1,
  notification: 1,
};
const BREAKER = DEFAULTS.circuitBreaker;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Figures {
  readonly succeeded: number;
  readonly failed: number;
  readonly unfinished: number;
  readonly duplicates: number;
  /** Calls the dead service received (answered by the outage). */
  readonly deadCalls: number;
  /** Errors of the failed executions, by name. */
  readonly errors: Record<string, number>;
  readonly wallSeconds: number;
}

/** The flagship with its breaker turned off at every step. */
const breakerOff = (yaml: string) =>
  yaml.replaceAll('    handler_config:\n', '    handler_config:\n      circuit_breaker: off\n');

/**
 * 24 registrations, half started before the outage (so some are past create_user_account when it
 * begins and meet it at update_user_status), half during it; waits until every one has ended.
 */
async function runOutage(
  breaker: 'on' | 'off',
  service: ServiceName,
  outageSeconds: number,
): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), `stepflow-outage-${breaker}-`));
  copyWorkflow(
    join(REPO_ROOT, 'config', 'user_registration.yaml'),
    dir,
    breaker === 'off' ? breakerOff : undefined,
  );
  const runtime = await startLocalRuntime({
    configDir: dir,
    seed: SEED,
    timeScale: 1,
    maxConcurrencyPerFunction: CONCURRENCY_PER_FUNCTION,
  });
  let outage: NodeJS.Timeout | undefined;
  try {
    const sims = simulatorsOf(runtime);
    const resource = runtime.workflow('user_registration').resourceUrl;
    const tag = `outage${service}${outageSeconds}${breaker}${SEED}`;
    const post = (n: number) =>
      submit(resource, registrationBody(n, tag).body, `${tag}-${n}`).then(
        (accepted) => accepted.execution_arn,
      );
    const began = Date.now();
    const before = mapLimit([...Array(REGISTRATIONS / 2).keys()], REGISTRATIONS, async (n) => {
      await sleep(n * 60);
      return post(n);
    });
    await sleep(400);
    sims.faults.set(service, '*', { kind: 'status', status: 503 });
    outage = setTimeout(() => sims.faults.clear(service), outageSeconds * 1000);
    const during = mapLimit([...Array(REGISTRATIONS / 2).keys()], REGISTRATIONS, async (n) => {
      await sleep(n * 150);
      return post(REGISTRATIONS / 2 + n);
    });
    const arns = [...(await before), ...(await during)];
    const deadline = Date.now() + (outageSeconds + BREAKER.maxOutageSeconds + 60) * 1000;
    const ends = await mapLimit(arns, REGISTRATIONS, (arn) =>
      waitForTerminal(runtime.sfnClient, arn, deadline, 250),
    );
    const errors: Record<string, number> = {};
    for (const [index, end] of ends.entries()) {
      if (end !== 'FAILED') continue;
      const error = runtime.getExecution(arns[index]!)?.error ?? 'unknown';
      errors[error] = (errors[error] ?? 0) + 1;
    }
    return {
      succeeded: ends.filter((end) => end === 'SUCCEEDED').length,
      failed: ends.filter((end) => end === 'FAILED').length,
      unfinished: ends.filter((end) => end !== 'SUCCEEDED' && end !== 'FAILED').length,
      duplicates: sims.counters.duplicates().length,
      deadCalls: sims.counters.log({ service }).filter((record) => record.fault === 'status').length,
      errors,
      wallSeconds: (Date.now() - began) / 1000,
    };
  } finally {
    clearTimeout(outage);
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const line = (figures: Figures) =>
  `failed=${figures.failed}/${REGISTRATIONS} unfinished=${figures.unfinished} duplicates=${figures.duplicates} ` +
  `dead_service_calls=${figures.deadCalls} errors=${JSON.stringify(figures.errors)} wall=${figures.wallSeconds.toFixed(1)}s`;

for (const { service, seconds: outageSeconds } of OUTAGES) {
  test(`a ${outageSeconds} s ${service} service outage with ${REGISTRATIONS} registrations in flight: the breaker rides it out`, {
    timeout: (outageSeconds + BREAKER.maxOutageSeconds + 300) * 1000,
  }, async () => {
    console.log(
      `outage: seed=${SEED} (replay: OUTAGE_SEED=${SEED} OUTAGES=${service}:${outageSeconds} npm run test:chaos)`,
    );
    const on = await runOutage('on', service, outageSeconds);
    const off = await runOutage('off', service, outageSeconds);
    // Failures before the breaker opens, callers already past it, then one probe per cool-down.
    const bound =
      BREAKER.failureThreshold +
      FUNCTIONS_ON[service] * CONCURRENCY_PER_FUNCTION +
      Math.ceil(outageSeconds / BREAKER.coolDownSeconds) +
      1;
    console.log(
      `PROOF outage-${service}-${outageSeconds}s: breaker on: ${line(on)} (bound ${bound}) | breaker off: ${line(off)}`,
    );
    assert.equal(on.unfinished, 0, 'every registration ended');
    assert.equal(on.failed, 0, `with the breaker: ${JSON.stringify(on.errors)}`);
    assert.equal(on.duplicates, 0);
    assert.ok(on.deadCalls <= bound, `the dead service got ${on.deadCalls} calls, more than ${bound}`);
    assert.equal(off.duplicates, 0);
    // The control: without the breaker the same outage fails registrations, so the run above
    // proves the breaker and not a harmless outage.
    assert.ok(off.failed > 0, 'the outage failed nothing with the breaker off: it proves nothing');
    assert.ok(off.deadCalls > on.deadCalls, 'the breaker spared the dead service no calls');
  });
}
