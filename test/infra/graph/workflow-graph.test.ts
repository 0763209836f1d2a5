import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { compiledGraph, workflowGraph } from '../../../infra/graph/index.ts';
import { loadWorkflowFile } from '../../../infra/workflow/index.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const N_SHAPE_FILE = join(ROOT, 'test/fixtures/workflows/console/n-shape/n_shape.yaml');

const edgesOf = (graph: { edges: readonly { from: string; to: string; kind: string }[] }, kind: string) =>
  graph.edges
    .filter((e) => e.kind === kind)
    .map((e) => `${e.from}->${e.to}`)
    .sort();

test('the flagship graph: dependencies from depends_on and the markers from the YAML', () => {
  const graph = workflowGraph(loadWorkflowFile(join(ROOT, 'config/user_registration.yaml')));
  assert.equal(graph.workflow, 'user_registration');
  assert.deepEqual(
    graph.steps.map((s) => [s.name, s.dependsOn, s.fallback, s.honorRetryAfter, s.http]),
    [
      ['create_user_account', [], false, false, false],
      ['setup_billing_profile', ['create_user_account'], false, false, false],
      ['initialize_preferences', ['create_user_account'], true, false, false],
      ['send_welcome_sequence', ['setup_billing_profile', 'initialize_preferences'], false, true, false],
      ['update_user_status', ['send_welcome_sequence'], false, false, false],
    ],
  );
});

test('a step with handler_config.request is an HTTP step', () => {
  const graph = workflowGraph(loadWorkflowFile(N_SHAPE_FILE));
  assert.deepEqual(
    graph.steps.filter((s) => s.http).map((s) => s.name),
    ['d'],
  );
});

test('the compiled N shape has the false edge a->d that the true graph lacks', async () => {
  const spec = loadWorkflowFile(N_SHAPE_FILE);
  const compiled = await compiledGraph(spec);
  const next = edgesOf(compiled, 'next');
  assert.deepEqual(next, ['a->c', 'a->d', 'b->c', 'b->d']);
  assert.deepEqual(edgesOf(compiled, 'catch'), ['c->c (fallback)']);
  assert.deepEqual(
    compiled.groups.filter((g) => g.kind === 'parallel').map((g) => g.label),
    ['a + b', 'c + d'],
  );
  const trueEdges = workflowGraph(spec).steps.flatMap((s) => s.dependsOn.map((d) => `${d}->${s.name}`));
  assert.deepEqual(trueEdges.sort(), ['a->c', 'b->c', 'b->d']);
});
