import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  parseWorkflowGraph,
  renderDot,
  renderExecutionMermaid,
  renderMermaid,
  STATUS_PALETTE,
  serializeWorkflowGraph,
  statusStyle,
  UNKNOWN_STATUS_STYLE,
  type WorkflowGraph,
  workflowDrawGraph,
} from '../../../lambdas/graph/index.ts';

const step = (
  name: string,
  dependsOn: string[] = [],
  extra: Partial<WorkflowGraph['steps'][number]> = {},
) => ({
  name,
  dependsOn,
  fallback: false,
  honorRetryAfter: false,
  http: false,
  ...extra,
});

/** The N shape: a->c, b->c, b->d. */
const N: WorkflowGraph = {
  workflow: 'n_shape',
  steps: [
    step('a'),
    step('b', [], { honorRetryAfter: true }),
    step('c', ['a', 'b'], { fallback: true }),
    step('d', ['b'], { http: true }),
  ],
};

/** Mermaid node id per label's first line (the step name). */
function mermaidIds(text: string): Map<string, string> {
  const ids = new Map<string, string>();
  for (const match of text.matchAll(/^\s*(n\d+)\["([^"<]*)/gm)) ids.set(match[2]!, match[1]!);
  return ids;
}

function mermaidEdges(text: string): string[] {
  const ids = mermaidIds(text);
  const names = new Map([...ids].map(([name, id]) => [id, name]));
  return [...text.matchAll(/^\s*(n\d+) --> (n\d+)$/gm)].map(
    (m) => `${names.get(m[1]!)}->${names.get(m[2]!)}`,
  );
}

describe('Mermaid of the true graph', () => {
  test('draws exactly the depends_on edges of the N shape, with no a->d', () => {
    const text = renderMermaid(workflowDrawGraph(N));
    assert.match(text, /^---\ntitle: "n_shape"\n---\nflowchart TD\n/);
    assert.deepEqual(mermaidEdges(text).sort(), ['a->c', 'b->c', 'b->d']);
  });

  test('labels carry the fallback, Retry-After and HTTP markers', () => {
    const text = renderMermaid(workflowDrawGraph(N));
    const ids = mermaidIds(text);
    assert.match(text, new RegExp(`${ids.get('b')}\\["b<br/>Retry-After"\\]`));
    assert.match(text, new RegExp(`${ids.get('c')}\\["c<br/>fallback"\\]`));
    assert.match(text, new RegExp(`${ids.get('d')}\\["d<br/>HTTP"\\]`));
    assert.match(text, new RegExp(`${ids.get('a')}\\["a"\\]`));
  });

  test('escapes quotes and angle brackets in labels', () => {
    const text = renderMermaid({
      title: 't',
      nodes: [{ id: 'x', step: 'say "<hi>" #1', lines: [], status: 'pending', kind: 'state' }],
      groups: [],
      edges: [],
    });
    assert.match(text, /n0\["say #34;#60;hi#62;#34; #35;1"\]/);
  });
});

describe('renderExecutionMermaid', () => {
  const steps = [
    { name: 'a', status: 'succeeded', attempts: 1, duration_ms: 90 },
    { name: 'b', status: 'retrying', attempts: 2, duration_ms: 1500 },
    { name: 'c', status: 'fallback', attempts: 4, duration_ms: 3753 },
  ];

  test('colours each node by its status with classDefs from the palette', () => {
    const text = renderExecutionMermaid(N, steps);
    const ids = mermaidIds(text);
    for (const [name, status] of [
      ['a', 'succeeded'],
      ['b', 'retrying'],
      ['c', 'fallback'],
      ['d', 'pending'],
    ]) {
      const style = STATUS_PALETTE[status!]!;
      assert.match(
        text,
        new RegExp(`classDef ${status} fill:${style.fill},stroke:${style.stroke},color:${style.text}`),
      );
      const classLine = text
        .split('\n')
        .find((line) => line.trim().startsWith('class ') && line.endsWith(` ${status}`));
      assert.ok(classLine?.includes(ids.get(name!)!), `${name} should be in class ${status}: ${classLine}`);
    }
    assert.match(text, /classDef retrying .*stroke-dasharray:5 3/);
  });

  test('shows attempts and duration; a step missing from the document is pending with 0 attempts', () => {
    const text = renderExecutionMermaid(N, steps);
    assert.match(text, /\["a<br\/>1 attempt · 90 ms"\]/);
    assert.match(text, /\["b<br\/>Retry-After<br\/>2 attempts · 1.5 s"\]/);
    assert.match(text, /\["c<br\/>fallback<br\/>4 attempts · 3.8 s"\]/);
    assert.match(text, /\["d<br\/>HTTP<br\/>0 attempts"\]/);
  });

  test('a status the palette does not know is drawn with the unknown style', () => {
    const text = renderExecutionMermaid(N, [{ name: 'a', status: 'paused-by-ops', attempts: 1 }]);
    assert.match(text, new RegExp(`classDef paused_by_ops fill:${UNKNOWN_STATUS_STYLE.fill}`));
    assert.equal(statusStyle('toString'), UNKNOWN_STATUS_STYLE);
  });

  test('the extended statuses already have colours of their own', () => {
    for (const status of ['awaiting_operator', 'compensated', 'compensation_failed']) {
      assert.notEqual(statusStyle(status), UNKNOWN_STATUS_STYLE, status);
    }
  });
});

describe('DOT', () => {
  test('quotes every node and draws the N shape edges only', () => {
    const text = renderDot(workflowDrawGraph(N, [{ name: 'c', status: 'fallback', attempts: 4 }]));
    const edges = [...text.matchAll(/^\s*"(\w+)" -> "(\w+)";$/gm)].map((m) => `${m[1]}->${m[2]}`);
    assert.deepEqual(edges.sort(), ['a->c', 'b->c', 'b->d']);
    assert.match(
      text,
      new RegExp(
        `"c" \\[label="c\\\\nfallback\\\\n4 attempts", fillcolor="${STATUS_PALETTE.fallback!.fill}"`,
      ),
    );
  });
});

describe('serialized graph (for a Lambda environment variable)', () => {
  test('round-trips the steps and their markers', () => {
    const text = serializeWorkflowGraph(N);
    assert.deepEqual(parseWorkflowGraph(text), N);
    assert.ok(text.length < 120, `${text.length} characters`);
  });

  test('names what is malformed', () => {
    assert.throws(() => parseWorkflowGraph('{'), { message: 'workflow graph is not JSON' });
    assert.throws(() => parseWorkflowGraph('{"w":"x","s":[["a","b",""]]}'), {
      message: 'workflow graph step 0 must be [name, [dependencies], flags]',
    });
  });
});
