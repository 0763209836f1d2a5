import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  criticalPath,
  MAX_STATE_NAME_LENGTH,
  type Plan,
  planMakespan,
  planWorkflow,
  type StepGraph,
} from '../../../infra/workflow/index.ts';
import { groupName, StateNames } from '../../../infra/workflow/names.ts';

function graph(deps: Record<string, string[]>): StepGraph {
  return { names: Object.keys(deps), dependsOn: (n) => deps[n] ?? [] };
}

function show(plan: Plan): string {
  if (plan.kind === 'step') return plan.name;
  if (plan.kind === 'sequence') return `(${plan.items.map(show).join(' -> ')})`;
  return `[${plan.branches.map(show).join(' | ')}]`;
}

/** Longest-path level of each step (0 for steps without dependencies). */
function levels(deps: Record<string, string[]>): Map<string, number> {
  const out = new Map<string, number>();
  const level = (n: string): number => {
    const known = out.get(n);
    if (known !== undefined) return known;
    const value = Math.max(-1, ...(deps[n] ?? []).map(level)) + 1;
    out.set(n, value);
    return value;
  };
  for (const n of Object.keys(deps)) level(n);
  return out;
}

const randomDag = fc
  .integer({ min: 1, max: 14 })
  .chain((n) =>
    fc.tuple(
      fc.tuple(
        ...Array.from({ length: n }, (_, i) => fc.subarray(Array.from({ length: i }, (_, j) => `s${j}`))),
      ),
      fc.array(fc.integer({ min: 1, max: 100 }), { minLength: n, maxLength: n }),
    ),
  );

describe('planWorkflow', () => {
  test('series-parallel graphs become nested sequences and parallel groups', () => {
    assert.equal(
      show(planWorkflow(graph({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'] }))),
      '(a -> [b | c] -> d)',
    );
    assert.equal(show(planWorkflow(graph({ a: [], b: [], c: ['a'], d: ['b'] }))), '[(a -> c) | (b -> d)]');
    assert.equal(show(planWorkflow(graph({ a: [], b: ['a'], c: ['a', 'b'] }))), '(a -> b -> c)');
  });

  test('the N shape is split by levels: (a | b) then (c | d)', () => {
    assert.equal(
      show(planWorkflow(graph({ a: [], b: [], c: ['a', 'b'], d: ['b'] }))),
      '([a | b] -> [c | d])',
    );
  });

  test('worst case of the level rule: the N with unequal durations waits 20 instead of 11', () => {
    const deps = { a: [], b: [], c: ['a', 'b'], d: ['b'] };
    const duration = (n: string): number => ({ a: 10, b: 1, c: 1, d: 10 })[n] ?? 0;
    assert.equal(planMakespan(planWorkflow(graph(deps)), duration).seconds, 20);
    assert.equal(criticalPath(graph(deps), duration), 11);
  });

  test('with equal durations every plan takes exactly the critical path', () => {
    fc.assert(
      fc.property(randomDag, ([depLists]) => {
        const deps = Object.fromEntries(depLists.map((d, i) => [`s${i}`, d]));
        const g = graph(deps);
        assert.equal(
          planMakespan(planWorkflow(g), () => 1).seconds,
          criticalPath(g, () => 1),
        );
      }),
      { numRuns: 200, seed: 42 },
    );
  });

  test('with any durations the plan takes at most the sum of the slowest step of each level, and each step once', () => {
    fc.assert(
      fc.property(randomDag, ([depLists, durations]) => {
        const deps = Object.fromEntries(depLists.map((d, i) => [`s${i}`, d]));
        const g = graph(deps);
        const duration = (n: string): number => durations[Number(n.slice(1))] ?? 0;
        const plan = planWorkflow(g);
        const byLevel = new Map<number, number>();
        for (const [n, l] of levels(deps)) byLevel.set(l, Math.max(byLevel.get(l) ?? 0, duration(n)));
        const bound = [...byLevel.values()].reduce((a, b) => a + b, 0);
        const makespan = planMakespan(plan, duration).seconds;
        assert.ok(makespan >= criticalPath(g, duration));
        assert.ok(makespan <= bound, `${makespan} > ${bound} for ${JSON.stringify(deps)}`);
        const steps = JSON.stringify(plan).match(/"name":"s\d+"/g) ?? [];
        assert.equal(steps.length, depLists.length);
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  test('a 500-step chain becomes one flat sequence of 500 steps', () => {
    const deps = Object.fromEntries(
      Array.from({ length: 500 }, (_, i) => [`s${i}`, i === 0 ? [] : [`s${i - 1}`]]),
    );
    const plan = planWorkflow(graph(deps));
    assert.equal(plan.kind === 'sequence' ? plan.items.length : 0, 500);
  });
});

describe('state names', () => {
  test('groups are named after their branches, summarised past 80 characters', () => {
    assert.equal(groupName(['a', 'b']), 'a + b');
    const long = Array.from({ length: 12 }, (_, i) => `branch_number_${i}`);
    const name = groupName(long);
    assert.ok(name.length <= MAX_STATE_NAME_LENGTH);
    assert.match(name, /^branch_number_0 \+ branch_number_1 \+ .* \+ \d+ more$/);
  });

  test('a repeated name gets a numbered suffix and stays within 80 characters', () => {
    const names = new StateNames(['a + b']);
    assert.equal(names.claim('a + b'), 'a + b (2)');
    assert.equal(names.claim('a + b'), 'a + b (3)');
    const long = 'x'.repeat(80);
    assert.equal(names.claim(long), long);
    const second = names.claim(long);
    assert.equal(second.length, 80);
    assert.ok(second.endsWith(' (2)'));
  });
});
