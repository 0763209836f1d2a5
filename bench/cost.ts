/**
 * Benchmark 4: cost per registration. Transitions come from the histories of real local runs (a
 * happy path, one injected 503, one 429 with Retry-After), DynamoDB requests from the dynalite
 * counter, and a hand-built retry loop is run on the same engine for comparison.
 */
import { createExecutor } from '../local/runtime/executor.ts';
import type { Fault } from '../local/simulators/index.ts';
import type { ServiceName } from '../local/simulators/user_registration/index.ts';
import { simulatorsOf } from '../local/simulators/user_registration/index.ts';
import { costPerMillion, HAND_BUILT_LOOP_TRANSITIONS_PER_RETRY, PRICES } from './cost-model.ts';
import { countTransitions, fetchHistory, type TransitionCount, taskDurations } from './history.ts';
import type { Section } from './report.ts';
import {
  awaitTerminal,
  type BenchRuntime,
  type DynamoCounts,
  diffCounts,
  postRegistration,
  readsAndWrites,
  registrationBody,
} from './runtime-harness.ts';
import { round } from './stats.ts';

/** Options of {@link runCost}. */
export interface CostOptions {
  /** Lambda ms per registration to price (e.g. measured at 100 ms services). @default measured here */
  readonly lambdaMsPerRegistration?: number;
  /** Execution ms to price Express with. @default measured here */
  readonly executionMs?: number;
  /** @default none */
  readonly log?: (line: string) => void;
}

interface Observed {
  readonly transitions: TransitionCount;
  readonly dynamo: DynamoCounts;
  readonly lambdaInvocations: number;
  readonly lambdaMs: number;
  readonly waitsMs: number[];
}

/** One registration (plan pro, services at 0 ms) with an optional fault armed just before it. */
async function observe(
  bench: BenchRuntime,
  fault?: { service: ServiceName; route: string; fault: Fault },
): Promise<Observed> {
  const { rt } = bench;
  simulatorsOf(rt).faults.clear();
  if (fault) simulatorsOf(rt).faults.set(fault.service, fault.route, fault.fault);
  const before = bench.dynamo.snapshot();
  const reg = await postRegistration(rt, registrationBody('pro'));
  const done = await awaitTerminal(rt, reg);
  simulatorsOf(rt).faults.clear();
  if (done.status !== 'SUCCEEDED') throw new Error(`cost run ${reg.correlationId} ended ${done.status}`);
  const dynamo = diffCounts(bench.dynamo.snapshot(), before);
  const events = await fetchHistory(rt.sfnClient, reg.executionArn);
  const scheduled = events.filter((e) => e.type === 'LambdaFunctionScheduled').length;
  return {
    transitions: countTransitions(events),
    dynamo,
    // The step invocations the history shows, plus the start function behind POST /registrations.
    lambdaInvocations: scheduled + 1,
    lambdaMs: [...taskDurations(events).values()].reduce((a, b) => a + b, 0),
    waitsMs: (rt.getExecution(reg.executionArn)?.waits ?? []).map((w) => w.askedMs),
  };
}

const LAMBDA_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:bench-flaky';

/** A Task retried by a Retrier (the compiler's design) or by a hand-built Catch/counter/Choice/Wait loop. */
function retryDefinition(kind: 'retrier' | 'hand-built'): Record<string, unknown> {
  if (kind === 'retrier') {
    return {
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: LAMBDA_ARN,
          Retry: [{ ErrorEquals: ['RetryAfter.1s'], IntervalSeconds: 1, MaxAttempts: 5, BackoffRate: 1 }],
          End: true,
        },
      },
    };
  }
  return {
    StartAt: 'Call',
    States: {
      Call: {
        Type: 'Task',
        Resource: LAMBDA_ARN,
        ResultPath: '$.result',
        Catch: [{ ErrorEquals: ['RetryAfter.1s'], ResultPath: '$.error', Next: 'Count' }],
        End: true,
      },
      Count: {
        Type: 'Pass',
        Parameters: { 'n.$': 'States.MathAdd($.retry.n, 1)' },
        ResultPath: '$.retry',
        Next: 'Check',
      },
      Check: {
        Type: 'Choice',
        Choices: [{ Variable: '$.retry.n', NumericGreaterThan: 5, Next: 'GiveUp' }],
        Default: 'Pause',
      },
      Pause: { Type: 'Wait', Seconds: 1, Next: 'Call' },
      GiveUp: { Type: 'Fail', Error: 'RetriesExhausted' },
    },
  };
}

/** Billed transitions of a one-task workflow whose function fails `failures` times with RetryAfter.1s. */
export async function retryLoopTransitions(
  kind: 'retrier' | 'hand-built',
  failures: number,
): Promise<number> {
  let left = failures;
  const executor = await createExecutor({
    machine: {
      logicalId: 'Bench',
      name: `bench-${kind}`,
      arn: `arn:aws:states:us-east-1:000000000000:stateMachine:bench-${kind}`,
      workflow: 'bench',
      type: 'STANDARD',
      definition: retryDefinition(kind),
    },
    timeScale: 1000,
    invoke: async () => {
      if (left-- > 0) {
        const error = new Error(JSON.stringify({ errorType: 'RetryAfter.1s', errorMessage: 'busy' }));
        error.name = 'RetryAfter.1s';
        throw error;
      }
      return { ok: true };
    },
  });
  const record = executor.start(`run-${failures}`, JSON.stringify({ retry: { n: 0 } }));
  await record.done;
  return countTransitions(record.events).billed;
}

const describeDynamo = (counts: DynamoCounts): string =>
  Object.entries(counts)
    .sort()
    .map(([op, n]) => `${op} ${n}`)
    .join(', ') || 'none';

/** Runs the cost measurements; services at 0 ms. */
export async function runCost(bench: BenchRuntime, opts: CostOptions = {}): Promise<Section> {
  simulatorsOf(bench.rt).latencyMs = 0;
  opts.log?.('cost: happy path, 503 once, 429 + Retry-After once');
  await observe(bench); // warm
  const happy = await observe(bench);
  const retry = await observe(bench, {
    service: 'billing',
    route: 'POST /profiles',
    fault: { kind: 'status', status: 503, times: 1 },
  });
  const retryAfter = await observe(bench, {
    service: 'notification',
    route: 'POST /notifications/welcome',
    fault: { kind: 'status', status: 429, retryAfter: 1, times: 1 },
  });
  opts.log?.('cost: retry loops on the engine');
  const loops = {
    retrier: [0, 1, 2].map((f) => retryLoopTransitions('retrier', f)),
    hand: [0, 1, 2].map((f) => retryLoopTransitions('hand-built', f)),
  };
  const retrier = await Promise.all(loops.retrier);
  const hand = await Promise.all(loops.hand);

  const rw = readsAndWrites(happy.dynamo);
  const usage = {
    transitions: happy.transitions.billed,
    executionMs: opts.executionMs ?? happy.transitions.durationMs,
    lambdaInvocations: happy.lambdaInvocations,
    lambdaMs: opts.lambdaMsPerRegistration ?? happy.lambdaMs,
    lambdaMemoryMb: 256,
    dynamoWrites: rw.writes,
    dynamoReads: rw.reads,
    apiRequests: 1,
  };
  const cost = costPerMillion(usage);
  // Express bills the retry's wait as duration: add the delay the Retrier asked for.
  const retryWaitMs = retry.waitsMs.reduce((a, b) => a + b, 0);
  const withRetry = costPerMillion({
    ...usage,
    transitions: retry.transitions.billed,
    lambdaInvocations: retry.lambdaInvocations,
    executionMs: usage.executionMs + retryWaitMs,
  });
  const dollars = (x: number): string => `$${x.toFixed(2)}`;
  const diff = (o: Observed): number => o.transitions.billed - happy.transitions.billed;
  const notes = [
    `Per retry the compiled design pays ${diff(retry)} transition(s) and per Retry-After wait ${diff(retryAfter)}: ` +
      'the Retrier re-runs the Task without entering any other state. A hand-built Catch -> counter (Pass) -> ' +
      `Choice -> Wait -> Task loop pays ${(hand[1] ?? 0) - (hand[0] ?? 0)} per retry on the same engine ` +
      `(model: ${HAND_BUILT_LOOP_TRANSITIONS_PER_RETRY}).`,
  ];
  if (happy.transitions.duplicateEntries > 0) {
    notes.push(
      `The local history logs ${happy.transitions.duplicateEntries} state entries twice inside the Parallel ` +
        'branches (the same state entered again before it exits); they are counted once, as AWS would bill them.',
    );
  }
  return {
    title: '4. Cost per registration',
    method: [
      'Counted on single `pro` registrations through the local API with services at 0 ms: a happy path, one with ' +
        'billing answering 503 once, one with notification answering 429 + Retry-After: 1 once.',
      'Billed transitions = states entered (each *StateEntered, a state entered again before it exited counted ' +
        'once) + retried attempts (LambdaFunctionScheduled beyond one per Task entry); AWS bills retries as transitions.',
      "DynamoDB = requests reaching dynalite (Node's http.server diagnostics channel, by X-Amz-Target), from the " +
        'start Lambda and the step Lambdas. Items are under 1 KB, so one request = one request unit (reads priced ' +
        'as strongly consistent, the upper bound).',
      `Prices: ${PRICES.asOf}. Standard $0.025 per 1,000 transitions; Express $1.00 per million requests + ` +
        '$0.00001667 per GB-s at 64 MB (the smallest), duration rounded up to 100 ms; Lambda arm64 $0.20 per million ' +
        "requests + $0.0000133334 per GB-s at the stack's 256 MB; DynamoDB on-demand $0.625 per million writes, " +
        '$0.125 per million reads; API Gateway REST $3.50 per million. Free tiers ignored.',
      `Express duration = ${round(usage.executionMs, 0)} ms and Lambda time = ${round(usage.lambdaMs, 0)} ms per ` +
        'registration (the medians of benchmark 1, services at 100 ms, when it ran).',
    ],
    tables: [
      {
        caption: 'Usage per registration',
        header: [
          'run',
          'billed transitions',
          'states entered',
          'retries',
          'Lambda invocations',
          'DynamoDB requests',
        ],
        rows: [
          [
            'happy path',
            happy.transitions.billed,
            happy.transitions.statesEntered,
            happy.transitions.retries,
            happy.lambdaInvocations,
            describeDynamo(happy.dynamo),
          ],
          [
            'one 503 (billing)',
            retry.transitions.billed,
            retry.transitions.statesEntered,
            retry.transitions.retries,
            retry.lambdaInvocations,
            describeDynamo(retry.dynamo),
          ],
          [
            'one 429 + Retry-After (welcome)',
            retryAfter.transitions.billed,
            retryAfter.transitions.statesEntered,
            retryAfter.transitions.retries,
            retryAfter.lambdaInvocations,
            describeDynamo(retryAfter.dynamo),
          ],
        ],
      },
      {
        caption: 'Retry loops on the same engine (one Task, 0/1/2 failures)',
        header: ['design', '0 failures', '1 failure', '2 failures', 'per retry'],
        rows: [
          ['Retrier (compiled)', ...retrier, (retrier[1] ?? 0) - (retrier[0] ?? 0)],
          ['Catch -> Pass -> Choice -> Wait loop', ...hand, (hand[1] ?? 0) - (hand[0] ?? 0)],
        ],
      },
      {
        caption: 'Dollars per million registrations',
        header: ['service', 'Standard', 'Express'],
        rows: [
          ['Step Functions', dollars(cost.stepFunctionsStandard), dollars(cost.stepFunctionsExpress)],
          ['Lambda', dollars(cost.lambda), dollars(cost.lambda)],
          ['DynamoDB', dollars(cost.dynamo), dollars(cost.dynamo)],
          ['API Gateway', dollars(cost.apiGateway), dollars(cost.apiGateway)],
          ['total (happy path)', dollars(cost.totalStandard), dollars(cost.totalExpress)],
          [
            `total with one retry (+1 transition, +1 invocation, +${round(retryWaitMs, 0)} ms wait)`,
            dollars(withRetry.totalStandard),
            dollars(withRetry.totalExpress),
          ],
        ],
      },
    ],
    notes,
  };
}
