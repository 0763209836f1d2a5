import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { renderDefinition } from '../../../infra/render-definition.ts';
import { MAX_PARALLEL_DEPTH, parseWorkflow } from '../../../infra/workflow/index.ts';
import type { WorkflowSpec } from '../../../infra/workflow/types.ts';
import { analyze, dagSpec, independentPairs, pairKey, runLocally } from './asl-analysis.ts';
import { measure, randomDagYaml } from './definition-sizes.ts';
import { runOnEngine } from './engine-run.ts';

/** Transitive dependencies of a step. */
function ancestorsOf(spec: WorkflowSpec, name: string): Set<string> {
  const deps = new Map(spec.steps.map((s) => [s.name, s.dependsOn]));
  const out = new Set<string>();
  const stack = [...(deps.get(name) ?? [])];
  while (stack.length > 0) {
    const d = stack.pop() ?? '';
    if (out.has(d)) continue;
    out.add(d);
    stack.push(...(deps.get(d) ?? []));
  }
  return out;
}

/** Checks, from the emitted definition alone, that every dependency is respected. */
function assertDependenciesRespected(spec: WorkflowSpec, definition: Record<string, unknown>): void {
  const analysis = analyze(definition);
  assert.deepEqual([...analysis.tasks].sort(), spec.steps.map((s) => s.name).sort(), 'each step is one Task');
  for (const step of spec.steps) {
    const before = analysis.before.get(step.name) ?? new Set();
    for (const dep of ancestorsOf(spec, step.name)) {
      assert.ok(before.has(dep), `${step.name} can start before its dependency ${dep} completed`);
    }
  }
}

const SHAPES: Record<string, Record<string, string[]>> = {
  chain: { a: [], b: ['a'], c: ['b'], d: ['c'], e: ['d'] },
  diamond: { top: [], left: ['top'], right: ['top'], bottom: ['left', 'right'] },
  fan_out_of_10: {
    root: [],
    ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`leaf_${i + 1}`, ['root']])),
    join: Array.from({ length: 10 }, (_, i) => `leaf_${i + 1}`),
  },
  two_roots: { r1: [], r2: [], x: ['r1'], y: ['r2'], z: ['x', 'y'] },
  nested: { a: [], b: ['a'], c: ['b'], d: ['b'], e: ['c', 'd'], f: ['a'], g: ['e', 'f'] },
};

describe('compiled shapes', () => {
  for (const [name, deps] of Object.entries(SHAPES)) {
    test(`${name}: every dependency is respected and every independent pair shares a Parallel`, async () => {
      const spec = dagSpec(name, deps);
      const definition = renderDefinition(spec);
      assertDependenciesRespected(spec, definition);
      assert.deepEqual(analyze(definition).concurrent, independentPairs(spec));
      const { output, invocations } = await runLocally(definition);
      for (const call of invocations) {
        const step = spec.steps.find((s) => s.name === call.step);
        for (const dep of step?.dependsOn ?? []) {
          assert.ok(call.seenSteps.includes(dep), `${call.step} ran without ${dep}'s result`);
          const depCall = invocations.find((c) => c.step === dep);
          assert.ok(depCall && depCall.end < call.start, `${call.step} started before ${dep} ended`);
        }
      }
      assert.deepEqual(Object.keys(output.steps as object).sort(), Object.keys(deps).sort());
    });
  }

  test('diamond: left and right sit in one Parallel named after them, merged by its own ResultSelector', () => {
    const definition = renderDefinition(dagSpec('diamond', SHAPES.diamond ?? {}));
    const states = definition.States as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(states), ['top', 'left + right', 'bottom']);
    // No step is named: the branches' `steps` are merged, everything else comes from branch 0.
    assert.deepEqual(states['left + right']?.ResultSelector, {
      'state.$':
        'States.JsonMerge($[0], States.StringToJson(States.Format(\'\\{"steps":{}\\}\', States.JsonToString(States.JsonMerge($[0].steps, $[1].steps, false)))), false)',
    });
    assert.equal(states['left + right']?.OutputPath, '$.state');
    assert.equal(states['left + right']?.ResultPath, undefined);
  });

  test('fan-out of 10: grouped into two merged Parallels of 5 (at most 7 per merge), names within 80 characters', () => {
    const definition = renderDefinition(dagSpec('fan', SHAPES.fan_out_of_10 ?? {}));
    const analysis = analyze(definition);
    const outer = analysis.parallels.find((p) => p.name.endsWith('more'));
    assert.equal(
      outer?.name,
      'leaf_1 + leaf_2 + leaf_3 + leaf_4 + leaf_5 + leaf_6 + leaf_7 + leaf_8 + 2 more',
    );
    assert.deepEqual(outer?.branches, [
      ['leaf_1', 'leaf_2', 'leaf_3', 'leaf_4', 'leaf_5'],
      ['leaf_6', 'leaf_7', 'leaf_8', 'leaf_9', 'leaf_10'],
    ]);
    assert.deepEqual(analysis.parallels.map((p) => p.name).sort(), [
      'leaf_1 + leaf_2 + leaf_3 + leaf_4 + leaf_5',
      'leaf_1 + leaf_2 + leaf_3 + leaf_4 + leaf_5 + leaf_6 + leaf_7 + leaf_8 + 2 more',
      'leaf_6 + leaf_7 + leaf_8 + leaf_9 + leaf_10',
    ]);
    for (const p of analysis.parallels) assert.ok(p.name.length <= 80);
  });

  test('non-series-parallel N: dependencies hold and only the a|d overlap is lost (level rule)', async () => {
    const spec = dagSpec('n_shape', { a: [], b: [], c: ['a', 'b'], d: ['b'] });
    const definition = renderDefinition(spec);
    assertDependenciesRespected(spec, definition);
    const analysis = analyze(definition);
    assert.deepEqual(analysis.concurrent, new Set([pairKey('a', 'b'), pairKey('c', 'd')]));
    const lost = [...independentPairs(spec)].filter((p) => !analysis.concurrent.has(p));
    assert.deepEqual(lost, [pairKey('a', 'd')]);
    assert.deepEqual(
      analysis.parallels.map((p) => p.name),
      ['a + b', 'c + d'],
    );
    await runLocally(definition);
  });

  test('50-step chain: 50 Tasks in order, no Parallel', () => {
    const deps = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`s${i}`, i === 0 ? [] : [`s${i - 1}`]]),
    );
    const spec = dagSpec('long_chain', deps);
    const definition = renderDefinition(spec);
    assertDependenciesRespected(spec, definition);
    const analysis = analyze(definition);
    assert.equal(analysis.parallels.length, 0);
    assert.deepEqual(analysis.tasks, Object.keys(deps));
  });

  test('random DAGs: every dependency is respected and no overlap contradicts a dependency', () => {
    const dag = fc
      .integer({ min: 1, max: 12 })
      .chain((n) =>
        fc.tuple(
          ...Array.from({ length: n }, (_, i) => fc.subarray(Array.from({ length: i }, (_, j) => `s${j}`))),
        ),
      );
    fc.assert(
      fc.property(dag, (depLists) => {
        const deps = Object.fromEntries(depLists.map((d, i) => [`s${i}`, d]));
        const spec = dagSpec('random', deps);
        const definition = renderDefinition(spec);
        assertDependenciesRespected(spec, definition);
        // Concurrency in the definition never invents an overlap the dependencies forbid.
        for (const pair of analyze(definition).concurrent) assert.ok(independentPairs(spec).has(pair));
      }),
      { numRuns: 60, seed: 20_261_126 },
    );
  });

  test('random series-parallel graphs lose no concurrency', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let round = 0; round < 25; round++) {
      const deps: Record<string, string[]> = {};
      // Builds a random series-parallel composition; returns its sources and sinks.
      const build = (size: number): { sources: string[]; sinks: string[] } => {
        if (size === 1) {
          const name = `s${Object.keys(deps).length}`;
          deps[name] = [];
          return { sources: [name], sinks: [name] };
        }
        const left = 1 + Math.floor(random() * (size - 1));
        const a = build(left);
        const b = build(size - left);
        if (random() < 0.5) return { sources: [...a.sources, ...b.sources], sinks: [...a.sinks, ...b.sinks] };
        for (const source of b.sources) deps[source] = [...(deps[source] ?? []), ...a.sinks];
        return { sources: a.sources, sinks: b.sinks };
      };
      build(2 + Math.floor(random() * 10));
      const spec = dagSpec('series_parallel', deps);
      const definition = renderDefinition(spec);
      assertDependenciesRespected(spec, definition);
      assert.deepEqual(analyze(definition).concurrent, independentPairs(spec), JSON.stringify(deps));
    }
  });

  test('a 300-step graph with long-range dependencies nests Parallels at most MAX_PARALLEL_DEPTH deep', () => {
    let seed = 3;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const deps: Record<string, string[]> = {};
    for (let i = 0; i < 300; i++) {
      const on = new Set<string>();
      for (let k = 0; k < 2; k++)
        if (i > 0 && random() < 0.8) on.add(`s${Math.max(0, i - 1 - Math.floor(random() * 10))}`);
      deps[`s${i}`] = [...on];
    }
    const spec = dagSpec('deep', deps);
    const definition = renderDefinition(spec);
    assertDependenciesRespected(spec, definition);
    const depth = (states: Record<string, { Branches?: { States: object }[] }>): number =>
      Math.max(
        0,
        ...Object.values(states).map((s) =>
          s.Branches ? 1 + Math.max(...s.Branches.map((b) => depth(b.States as never))) : 0,
        ),
      );
    const nesting = depth(definition.States as never);
    assert.ok(nesting <= MAX_PARALLEL_DEPTH, `nesting ${nesting}`);
    assert.ok(nesting > 5, 'the graph is deep enough to exercise the limit');
  });
});

describe('merged Parallel outputs on the local engine', () => {
  const expected = (names: string[], input: Record<string, unknown>): Record<string, unknown> => ({
    ...input,
    steps: Object.fromEntries(names.map((n) => [n, { step: n, correlation_id: 'corr-1' }])),
  });

  for (const [name, deps] of Object.entries(SHAPES)) {
    test(`${name}: the output is the input plus every step's result, as before the merge`, async () => {
      const input = { correlation_id: 'corr-1', order: { id: 7 } };
      const run = runOnEngine(renderDefinition(dagSpec(name, deps)), { input });
      await run.execution.done;
      assert.equal(run.execution.status, 'SUCCEEDED');
      assert.deepEqual(JSON.parse(run.execution.output ?? ''), expected(Object.keys(deps), input));
      // Every step saw exactly the results of the steps before it, none missing, none extra.
      for (const call of run.calls) {
        const seen = Object.keys((call.payload.state as { steps?: object }).steps ?? {});
        for (const dep of deps[call.step] ?? []) assert.ok(seen.includes(dep), `${call.step} without ${dep}`);
      }
    });
  }

  test('seeded random DAGs of 60 steps (wide groups nested): same output on our engine', async () => {
    for (const seed of [1, 2, 3]) {
      const spec = parseWorkflow(randomDagYaml(60, seed), 'dag.yaml');
      const run = runOnEngine(renderDefinition(spec));
      await run.execution.done;
      assert.equal(run.execution.status, 'SUCCEEDED', `seed ${seed}`);
      assert.deepEqual(
        JSON.parse(run.execution.output ?? ''),
        expected(
          spec.steps.map((s) => s.name),
          { correlation_id: 'corr-1' },
        ),
      );
    }
  });
});

describe('definition size (issue 14 §3)', () => {
  test('linear in steps: a 500-step DAG under 600 KB, at most 1.5 KB per step at 200; no field over 10 intrinsics', async () => {
    const [at200, at500] = await measure(join(import.meta.dirname, '../../..'), [200, 500]);
    assert.ok(at200 && at200.bytes / 200 <= 1.5 * 1024, `200 steps: ${at200?.bytes} bytes`);
    assert.ok(at500 && at500.bytes < 600 * 1024, `500 steps: ${at500?.bytes} bytes`);
    const definition = renderDefinition(parseWorkflow(randomDagYaml(200, 14), 'dag.yaml'));
    const fields: string[] = [];
    JSON.stringify(definition, (key, value) => {
      if (key.endsWith('.$') && typeof value === 'string') fields.push(value);
      return value;
    });
    const most = Math.max(...fields.map((f) => f.split('States.').length - 1));
    assert.ok(most <= 10, `a field holds ${most} intrinsic calls`);
    assert.equal(most, 10, 'the widest merge uses the whole budget (7 branches)');
  });
});
