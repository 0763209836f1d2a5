import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compiledDrawGraph } from '../../../lambdas/graph/index.ts';

const task = (next?: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  ...(next ? { Next: next } : { End: true }),
  ...extra,
});

test('a Parallel becomes a group; edges go into every branch and out of every branch end', () => {
  const graph = compiledDrawGraph({
    StartAt: 'first',
    States: {
      first: task('x + y'),
      'x + y': {
        Type: 'Parallel',
        Next: 'last',
        Branches: [
          { StartAt: 'x', States: { x: task() } },
          {
            StartAt: 'y',
            States: {
              y: task(undefined, { Catch: [{ ErrorEquals: ['States.ALL'], Next: 'y (fallback)' }] }),
              'y (fallback)': { Type: 'Pass', End: true },
            },
          },
        ],
      },
      last: task(),
    },
  });
  const edges = graph.edges.map((e) => `${e.from}-${e.kind}->${e.to}`).sort();
  assert.deepEqual(edges, [
    'first-next->x',
    'first-next->y',
    'x-next->last',
    'y (fallback)-next->last',
    'y-catch->y (fallback)',
    'y-next->last',
  ]);
  assert.deepEqual(
    graph.groups.map((g) => [g.id, g.kind, g.parent ?? null]),
    [
      ['parallel:x + y', 'parallel', null],
      ['parallel:x + y/branch:1', 'branch', 'parallel:x + y'],
    ],
  );
  const group = Object.fromEntries(graph.nodes.map((n) => [n.id, n.group ?? null]));
  assert.deepEqual(group, {
    first: null,
    x: 'parallel:x + y',
    y: 'parallel:x + y/branch:1',
    'y (fallback)': 'parallel:x + y/branch:1',
    last: null,
  });
  assert.equal(graph.nodes.find((n) => n.id === 'y (fallback)')?.kind, 'fallback');
});

test('names a definition that is not ASL, and a transition to an unknown state', () => {
  assert.throws(() => compiledDrawGraph({ States: {} }), {
    message: 'the definition is not an ASL state machine (it needs StartAt and States)',
  });
  assert.throws(() => compiledDrawGraph({ StartAt: 'a', States: { a: task('b') } }), {
    message: "the definition: transition to unknown state 'b'",
  });
});
