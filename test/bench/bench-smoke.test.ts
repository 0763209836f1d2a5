/**
 * Keeps the benchmark harness from rotting: its pure helpers (statistics, DAG generator, makespan
 * walker, cost model) run here on small inputs. No timings are asserted.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { retryLoopTransitions } from '../../bench/cost.ts';
import {
  costPerMillion,
  expressExecutionCost,
  HAND_BUILT_LOOP_TRANSITIONS_PER_RETRY,
  PRICES,
  RETRIER_TRANSITIONS_PER_RETRY,
} from '../../bench/cost-model.ts';
import {
  aslMakespan,
  countTaskStates,
  dagCriticalPath,
  dagToYaml,
  parallelDepth,
  randomDag,
  randomDurations,
  shortStepName,
} from '../../bench/dag.ts';
import { countTransitions } from '../../bench/history.ts';
import { attributeValueBytes, itemBytes } from '../../bench/memory-growth.ts';
import { diffThreadCpu } from '../../bench/runtime-harness.ts';
import { startExecutionStub } from '../../bench/start-execution-stub.ts';
import { formatSummary, markdownTable, pairedRatios, summarize } from '../../bench/stats.ts';
import { describeWarmUp, lastTwoAgree, warmUntilSteady } from '../../bench/steady-state.ts';
import { renderDefinition } from '../../infra/render-definition.ts';
import { parseWorkflow } from '../../infra/workflow/index.ts';

describe('stats', () => {
  test('summarizes odd and even sample counts by their median, min and max', () => {
    assert.deepEqual(summarize([3, 1, 2]), { n: 3, median: 2, min: 1, max: 3 });
    assert.deepEqual(summarize([4, 1, 3, 2]), { n: 4, median: 2.5, min: 1, max: 4 });
  });

  test('refuses an empty or non-finite sample set', () => {
    assert.throws(() => summarize([]), /no samples/);
    assert.throws(() => summarize([1, Number.NaN]), /not a finite number/);
  });

  test('formats a median with its range and pairs ratios', () => {
    assert.equal(formatSummary(summarize([10, 12, 11]), 1), '11.0 (10.0–12.0)');
    assert.deepEqual(pairedRatios([4, 9], [2, 3]), [2, 3]);
    assert.equal(markdownTable(['a', 'b'], [[1, 2]]), '| a | b |\n| --- | --- |\n| 1 | 2 |');
  });
});

describe('DAG generator and makespan', () => {
  test('is deterministic for a seed and lists dependencies on earlier steps only', () => {
    for (const shape of ['series-parallel', 'general'] as const) {
      const a = randomDag({ steps: 40, seed: 5, shape });
      const b = randomDag({ steps: 40, seed: 5, shape });
      assert.deepEqual([...a.deps], [...b.deps]);
      a.names.forEach((name, i) => {
        for (const dep of a.deps.get(name) ?? []) assert.ok(a.names.indexOf(dep) < i, `${name} -> ${dep}`);
      });
    }
  });

  test('short step names are unique valid step names', () => {
    const names = Array.from({ length: 1000 }, (_, i) => shortStepName(i));
    assert.equal(new Set(names).size, names.length);
    for (const name of names) assert.match(name, /^[A-Za-z][A-Za-z0-9_]{0,2}$/);
  });

  test('compiles a series-parallel DAG without losing concurrency', () => {
    const dag = randomDag({ steps: 12, seed: 3, shape: 'series-parallel', naming: 'short' });
    const yaml = dagToYaml(dag, {
      name: 'smoke',
      handler: 'lambdas/steps/user_registration/create-user-account.ts',
    });
    assert.equal((parse(yaml) as { step_templates: unknown[] }).step_templates.length, 12);
    const definition = renderDefinition(parseWorkflow(yaml, 'smoke.yaml')) as unknown as Parameters<
      typeof aslMakespan
    >[0];
    assert.equal(countTaskStates(definition), 12);
    const durations = randomDurations(dag, 9);
    const duration = (s: string): number => durations.get(s) ?? 0;
    assert.ok(Math.abs(aslMakespan(definition, duration) - dagCriticalPath(dag, duration)) < 1e-9);
  });

  test('walks Parallel states as their slowest branch', () => {
    const task = (step: string, next?: string) => ({
      Type: 'Task',
      Parameters: { step },
      ...(next ? { Next: next } : { End: true }),
    });
    const definition = {
      StartAt: 'a',
      States: {
        a: task('a', 'p'),
        p: {
          Type: 'Parallel',
          Next: 'd',
          Branches: [
            { StartAt: 'b', States: { b: task('b') } },
            { StartAt: 'c', States: { c: task('c') } },
          ],
        },
        d: task('d'),
      },
    };
    const durations: Record<string, number> = { a: 1, b: 5, c: 2, d: 1 };
    assert.equal(
      aslMakespan(definition, (s) => durations[s] ?? 0),
      7,
    );
    assert.equal(parallelDepth(definition), 1);
  });

  test('critical path of an N shape is the longest chain', () => {
    const dag = {
      names: ['a', 'b', 'c', 'd'],
      deps: new Map([
        ['a', []],
        ['b', []],
        ['c', ['a', 'b']],
        ['d', ['b']],
      ]),
    };
    const durations: Record<string, number> = { a: 1, b: 2, c: 1, d: 5 };
    assert.equal(
      dagCriticalPath(dag, (s) => durations[s] ?? 0),
      7,
    );
  });
});

describe('cost model', () => {
  test('prices Standard per transition and Express per request plus 64 MB duration', () => {
    const usage = {
      transitions: 6,
      executionMs: 450,
      lambdaInvocations: 6,
      lambdaMs: 600,
      lambdaMemoryMb: 256,
      dynamoWrites: 12,
      dynamoReads: 2,
      apiRequests: 1,
    };
    const cost = costPerMillion(usage);
    assert.equal(cost.stepFunctionsStandard, 150); // 6 x $0.025 per 1,000 x 1e6
    // 450 ms bills as 500 ms at 64 MB: 0.0625 GB x 0.5 s x $0.00001667 + $1 per million.
    assert.ok(
      Math.abs(expressExecutionCost(450) - (1e-6 + 0.0625 * 0.5 * PRICES.expressPerGbSecond)) < 1e-15,
    );
    assert.ok(cost.totalStandard > cost.stepFunctionsStandard);
    assert.ok(Math.abs(cost.totalStandard - cost.totalExpress - (150 - cost.stepFunctionsExpress)) < 1e-9);
  });

  test('the per-retry transition constants are what the engine bills for each design', async () => {
    // The model's constants against one Task failing 0, 1 and 2 times, run on the local engine
    // and counted from the histories: a wrong constant (or a design change) fails here.
    for (const [kind, perRetry] of [
      ['retrier', RETRIER_TRANSITIONS_PER_RETRY],
      ['hand-built', HAND_BUILT_LOOP_TRANSITIONS_PER_RETRY],
    ] as const) {
      const [none, once, twice] = await Promise.all(
        [0, 1, 2].map((failures) => retryLoopTransitions(kind, failures)),
      );
      assert.equal(once! - none!, perRetry, `${kind}: one retry`);
      assert.equal(twice! - once!, perRetry, `${kind}: a second retry`);
    }
    assert.ok(HAND_BUILT_LOOP_TRANSITIONS_PER_RETRY > RETRIER_TRANSITIONS_PER_RETRY);
  });
});

describe('history counting', () => {
  const at = (i: number): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i));
  test('counts states entered plus retried attempts, ignoring an entry repeated before its exit', () => {
    const events = [
      { type: 'ExecutionStarted', timestamp: at(0) },
      { type: 'TaskStateEntered', timestamp: at(1), stateEnteredEventDetails: { name: 'a' } },
      { type: 'LambdaFunctionScheduled', timestamp: at(2) },
      { type: 'LambdaFunctionFailed', timestamp: at(3) },
      { type: 'LambdaFunctionScheduled', timestamp: at(4) },
      { type: 'LambdaFunctionSucceeded', timestamp: at(5) },
      { type: 'TaskStateExited', timestamp: at(6), stateExitedEventDetails: { name: 'a' } },
      { type: 'ParallelStateEntered', timestamp: at(7), stateEnteredEventDetails: { name: 'p' } },
      { type: 'TaskStateEntered', timestamp: at(8), stateEnteredEventDetails: { name: 'b' } },
      { type: 'TaskStateEntered', timestamp: at(8), stateEnteredEventDetails: { name: 'b' } },
      { type: 'LambdaFunctionScheduled', timestamp: at(9) },
      { type: 'TaskStateExited', timestamp: at(10), stateExitedEventDetails: { name: 'b' } },
      { type: 'ParallelStateExited', timestamp: at(11), stateExitedEventDetails: { name: 'p' } },
      { type: 'ExecutionSucceeded', timestamp: at(12) },
    ];
    assert.deepEqual(countTransitions(events), {
      statesEntered: 3,
      duplicateEntries: 1,
      retries: 1,
      billed: 4,
      durationMs: 12,
    });
  });
});

describe('steady-state warm-up', () => {
  const series = (figures: number[]) => {
    let i = 0;
    return async () => figures[i++] ?? Number.NaN;
  };

  test('stops at the first batch within the tolerance of the one before', async () => {
    const warm = await warmUntilSteady(series([100, 60, 50, 48, 47]), { tolerance: 0.05 });
    assert.deepEqual(warm, { batches: [100, 60, 50, 48], steady: true });
    assert.equal(describeWarmUp(warm, 'ms'), '4 batches (100, 60, 50, 48 ms)');
  });

  test('keeps warming while a batch is not settled, and says when it ran out', async () => {
    // Asked once the figures agree: after batches 2 and 3 (not settled), then 4 (settled).
    const settled = [false, false, true];
    let asked = 0;
    const warm = await warmUntilSteady(series([50, 50, 50, 50, 50]), {
      tolerance: 0.05,
      settled: () => settled[asked++] ?? true,
    });
    assert.deepEqual(warm, { batches: [50, 50, 50, 50], steady: true });
    assert.equal(asked, 3);
    const capped = await warmUntilSteady(series([100, 80, 60, 40]), { tolerance: 0.05, maxBatches: 3 });
    assert.deepEqual(capped, { batches: [100, 80, 60], steady: false });
    assert.equal(describeWarmUp(capped, 'ms'), '3 batches, not steady (100, 80, 60 ms)');
  });

  test('warms at least minBatches, so two early batches agreeing by chance do not end it', async () => {
    assert.deepEqual(await warmUntilSteady(series([100, 100, 60, 59]), { tolerance: 0.05 }), {
      batches: [100, 100],
      steady: true,
    });
    assert.deepEqual(await warmUntilSteady(series([100, 100, 60, 59]), { tolerance: 0.05, minBatches: 3 }), {
      batches: [100, 100, 60, 59],
      steady: true,
    });
  });

  test('two figures agree relative to the earlier one, never with fewer than two', () => {
    assert.equal(lastTwoAgree([100], 0.5), false);
    assert.equal(lastTwoAgree([100, 105], 0.05), true);
    assert.equal(lastTwoAgree([100, 94], 0.05), false);
  });
});

describe('DynamoDB item sizes', () => {
  test('counts names and values as DynamoDB does', () => {
    assert.equal(attributeValueBytes({ S: 'héllo' }), 6);
    assert.equal(attributeValueBytes({ N: '12345' }), 4);
    assert.equal(attributeValueBytes({ BOOL: true }), 1);
    assert.equal(attributeValueBytes({ L: [{ S: 'ab' }, { NULL: true }] }), 3 + 1 + 2 + 1 + 1);
    assert.equal(attributeValueBytes({ M: { a: { S: 'xy' } } }), 3 + 1 + 1 + 2);
    assert.equal(itemBytes({ pk: { S: 'USER#1' }, ttl: { N: '1700000000' } }), 2 + 6 + 3 + 2);
  });
});

describe('the anchor of benchmark 2', () => {
  test('splits CPU by thread: main, live workers (new ones from 0), and the rest with exited workers', () => {
    const before = {
      totalUs: 10_000,
      mainUs: 4_000,
      workersUs: new Map([
        [1, 1_000],
        [2, 2_000],
      ]),
    };
    const after = {
      totalUs: 40_000,
      mainUs: 12_000,
      workersUs: new Map([
        [1, 6_000],
        [3, 4_000],
      ]),
    };
    assert.deepEqual(diffThreadCpu(after, before), {
      totalMs: 30,
      mainMs: 8,
      workersMs: 9,
      otherMs: 13,
      workersExited: 1,
    });
  });

  test('the StartExecution stub answers StartExecution and refuses any other operation', async () => {
    const stub = await startExecutionStub();
    try {
      const call = (target: string, body: object) =>
        fetch(stub.url, {
          method: 'POST',
          headers: {
            'x-amz-target': `AWSStepFunctions.${target}`,
            'content-type': 'application/x-amz-json-1.0',
          },
          body: JSON.stringify(body),
        });
      const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:m';
      const ok = await call('StartExecution', { stateMachineArn: arn, name: 'e1', input: '{"a":1}' });
      assert.equal(ok.status, 200);
      assert.equal(
        ((await ok.json()) as { executionArn: string }).executionArn,
        `${arn.replace(':stateMachine:', ':execution:')}:e1`,
      );
      assert.deepEqual(stub.take('e1'), {
        executionArn: `${arn.replace(':stateMachine:', ':execution:')}:e1`,
        input: '{"a":1}',
      });
      assert.equal(stub.take('e1'), undefined);
      const other = await call('DescribeExecution', { executionArn: 'x' });
      assert.equal(other.status, 400);
      assert.equal(other.headers.get('x-amzn-errortype'), 'UnknownOperationException');
      await other.arrayBuffer();
    } finally {
      await stub.close();
    }
  });
});
