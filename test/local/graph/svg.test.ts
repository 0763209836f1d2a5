import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compiledDrawGraph, type DrawGraph, workflowDrawGraph } from '../../../lambdas/graph/index.ts';
import { renderSvg } from '../../../local/graph/svg.ts';

const graph = workflowDrawGraph(
  {
    workflow: 'n_shape',
    steps: [
      { name: 'a', dependsOn: [], fallback: false, honorRetryAfter: false, http: false },
      { name: 'b', dependsOn: [], fallback: false, honorRetryAfter: true, http: false },
      { name: 'c', dependsOn: ['a', 'b'], fallback: true, honorRetryAfter: false, http: false },
      { name: 'd', dependsOn: ['b'], fallback: false, honorRetryAfter: false, http: true },
    ],
  },
  [{ name: 'a', status: 'succeeded', attempts: 1, duration_ms: 20 }],
);

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Each node's rect, by data-step. */
function nodeRects(svg: string): Map<string, Rect> {
  const rects = new Map<string, Rect>();
  for (const m of svg.matchAll(
    /data-step="([^"]+)"[^>]*>.*?<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g,
  )) {
    rects.set(m[1]!, { x: Number(m[2]), y: Number(m[3]), width: Number(m[4]), height: Number(m[5]) });
  }
  return rects;
}

describe('renderSvg', () => {
  test('every node carries data-step and data-status', () => {
    const svg = renderSvg(graph);
    const nodes = [...svg.matchAll(/<g class="sf-node[^"]*" data-step="([^"]+)" data-status="([^"]+)">/g)];
    assert.deepEqual(
      nodes.map((m) => [m[1], m[2]]),
      [
        ['a', 'succeeded'],
        ['b', 'pending'],
        ['c', 'pending'],
        ['d', 'pending'],
      ],
    );
  });

  test('the layout puts each step below its dependencies and no two nodes overlap', () => {
    const rects = nodeRects(renderSvg(graph));
    for (const [from, to] of [
      ['a', 'c'],
      ['b', 'c'],
      ['b', 'd'],
    ]) {
      const upper = rects.get(from!)!;
      assert.ok(upper.y + upper.height <= rects.get(to!)!.y, `${from} above ${to}`);
    }
    const list = [...rects.values()];
    for (const [i, r] of list.entries()) {
      for (const s of list.slice(i + 1)) {
        const apart =
          r.x + r.width <= s.x || s.x + s.width <= r.x || r.y + r.height <= s.y || s.y + s.height <= r.y;
        assert.ok(apart, `overlap ${JSON.stringify(r)} ${JSON.stringify(s)}`);
      }
    }
  });

  test('draws one path per edge, named by its ends, and no other', () => {
    const svg = renderSvg(graph);
    const edges = [...svg.matchAll(/class="sf-edge sf-edge-(\w+)" data-from="(\w+)" data-to="(\w+)"/g)];
    assert.deepEqual(edges.map((m) => `${m[2]}->${m[3]}`).sort(), ['a->c', 'b->c', 'b->d']);
  });

  test('reserves room for a detail line that grows', () => {
    const narrow = nodeRects(renderSvg(graph)).get('a')!.width;
    const wide = nodeRects(renderSvg(graph, { reserveDetailChars: 30 })).get('a')!.width;
    assert.ok(wide > narrow, `${wide} > ${narrow}`);
    assert.ok(wide >= 30 * 11 * 0.6, `${wide} fits 30 characters`);
  });

  test('escapes names and draws a Parallel group around its branch states', () => {
    const compiled: DrawGraph = compiledDrawGraph({
      StartAt: 'x & <y>',
      States: {
        'x & <y>': {
          Type: 'Parallel',
          End: true,
          Branches: [
            { StartAt: 'x', States: { x: { Type: 'Task', End: true } } },
            { StartAt: 'y"', States: { 'y"': { Type: 'Task', End: true } } },
          ],
        },
      },
    });
    const svg = renderSvg(compiled, { standalone: false, idPrefix: 'p q' });
    assert.match(svg, /<g class="sf-group sf-parallel" data-group="x &amp; &lt;y&gt;">/);
    assert.match(svg, /data-step="y&quot;"/);
    assert.match(svg, /<marker id="p_q-arrow"/);
    assert.doesNotMatch(svg, /<\?xml|<style>/);
  });
});
