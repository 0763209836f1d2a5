/**
 * SVG of a {@link DrawGraph}, laid out by @dagrejs/dagre (layered Sugiyama layout, compound
 * graphs for Parallel groups). Labels use a monospace font so their widths are known without a
 * browser: the layout is computed once, on the server or in the CLI, and the console only
 * changes `data-status` and the detail line afterwards.
 */
import dagre from '@dagrejs/dagre';
import type { DrawGraph, DrawNode } from '../../lambdas/graph/index.ts';
import { paletteCss } from './palette-css.ts';

/** Options of {@link renderSvg}. */
export interface SvgOptions {
  /**
   * Prefix of the ids inside the SVG (arrow markers), so several SVGs can share one HTML page.
   * @default 'sf'
   */
  readonly idPrefix?: string;
  /**
   * Embed the palette's CSS and an XML declaration, for an SVG file viewed on its own. The
   * console inlines SVGs into pages whose stylesheet has the same rules.
   * @default true
   */
  readonly standalone?: boolean;
  /**
   * Widen every node with a detail line to fit this many characters, so a live line that grows
   * ("12 attempts · 2 min 5 s") still fits the box laid out for "0 attempts".
   * @default 0
   */
  readonly reserveDetailChars?: number;
}

const NAME_FONT = 13;
const LINE_FONT = 11;
/** Advance of one monospace glyph, as a fraction of the font size (DejaVu Sans Mono, Menlo: 0.6). */
const GLYPH = 0.62;
const PAD_X = 12;
const PAD_Y = 9;
const LINE_GAP = 4;
const FONT_STACK = 'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace';

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Lays out and draws `graph`: each node is a `<g class="sf-node" data-step=... data-status=...>`
 * holding a rounded rect and one `<text>` per label line (the detail line has
 * `data-role="detail"`), each group a labelled box behind its nodes, each edge a path with an
 * arrow (Catch edges dashed).
 *
 * @example writeFileSync('graph.svg', renderSvg(workflowDrawGraph(workflowGraph(spec))))
 */
export function renderSvg(graph: DrawGraph, options: SvgOptions = {}): string {
  const prefix = (options.idPrefix ?? 'sf').replace(/[^A-Za-z0-9_-]/g, '_');
  const reserve = options.reserveDetailChars ?? 0;
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: false });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 44, edgesep: 12, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const group of graph.groups) {
    g.setNode(`g:${group.id}`, { width: 0, height: 0, paddingTop: 22 });
    if (group.parent !== undefined) g.setParent(`g:${group.id}`, `g:${group.parent}`);
  }
  for (const node of graph.nodes) {
    g.setNode(`n:${node.id}`, nodeSize(node, reserve));
    if (node.group !== undefined) g.setParent(`n:${node.id}`, `g:${node.group}`);
  }
  for (const edge of graph.edges) g.setEdge(`n:${edge.from}`, `n:${edge.to}`, { kind: edge.kind });
  dagre.layout(g);

  const size = g.graph() as { width?: number; height?: number };
  // Group labels sit above their box's content; dagre leaves room for them at the top margin.
  const width = Math.ceil((size.width ?? 0) + 2);
  const height = Math.ceil((size.height ?? 0) + 2);
  const parts: string[] = [];
  if (options.standalone !== false) parts.push('<?xml version="1.0" encoding="UTF-8"?>');
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="sf-graph" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${attr(graph.title)}">`,
    `<title>${text(graph.title)}</title>`,
    `<defs><marker id="${prefix}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="sf-arrow"/></marker></defs>`,
  );
  if (options.standalone !== false) parts.push(`<style>${standaloneCss()}</style>`);

  // Outer groups first, so inner boxes are drawn on top of them.
  const depth = (id: string | undefined): number =>
    id === undefined ? 0 : 1 + depth(graph.groups.find((group) => group.id === id)?.parent);
  for (const group of [...graph.groups].sort((a, b) => depth(a.id) - depth(b.id))) {
    const box = centred(g.node(`g:${group.id}`) as Box);
    parts.push(
      `<g class="sf-group sf-${group.kind}" data-group="${attr(group.label)}">`,
      `<rect x="${fix(box.x)}" y="${fix(box.y)}" width="${fix(box.width)}" height="${fix(box.height)}" rx="8"/>`,
      `<text x="${fix(box.x + 8)}" y="${fix(box.y + 14)}">${text(group.label)}</text>`,
      '</g>',
    );
  }
  for (const edge of graph.edges) {
    const laid = g.edge(`n:${edge.from}`, `n:${edge.to}`) as
      | { points?: { x: number; y: number }[] }
      | undefined;
    if (!laid?.points || laid.points.length < 2) continue;
    parts.push(
      `<path class="sf-edge sf-edge-${edge.kind}" data-from="${attr(edge.from)}" data-to="${attr(edge.to)}" d="${curve(laid.points)}" marker-end="url(#${prefix}-arrow)"/>`,
    );
  }
  for (const node of graph.nodes) parts.push(drawNode(node, centred(g.node(`n:${node.id}`) as Box)));
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function nodeSize(node: DrawNode, reserve: number): { width: number; height: number } {
  const lines = [...node.lines, ...(node.detail === undefined ? [] : [node.detail])];
  const detailChars = node.detail === undefined ? 0 : reserve;
  const chars = Math.max(...lines.map((line) => line.length), detailChars);
  const width = Math.max(node.step.length * NAME_FONT * GLYPH, chars * LINE_FONT * GLYPH) + 2 * PAD_X;
  const height = NAME_FONT + lines.length * (LINE_FONT + LINE_GAP) + 2 * PAD_Y;
  return { width: Math.ceil(width), height: Math.ceil(height) };
}

function drawNode(node: DrawNode, box: Box): string {
  const cx = box.x + box.width / 2;
  let y = box.y + PAD_Y + NAME_FONT - 2;
  const rows = [`<text class="sf-name" x="${fix(cx)}" y="${fix(y)}">${text(node.step)}</text>`];
  for (const line of node.lines) {
    y += LINE_FONT + LINE_GAP;
    rows.push(`<text class="sf-line" x="${fix(cx)}" y="${fix(y)}">${text(line)}</text>`);
  }
  if (node.detail !== undefined) {
    y += LINE_FONT + LINE_GAP;
    rows.push(
      `<text class="sf-line sf-detail" data-role="detail" x="${fix(cx)}" y="${fix(y)}">${text(node.detail)}</text>`,
    );
  }
  return [
    `<g class="sf-node sf-${node.kind}" data-step="${attr(node.step)}" data-status="${attr(node.status)}">`,
    `<title>${text(`${node.step}: ${node.status}`)}</title>`,
    `<rect x="${fix(box.x)}" y="${fix(box.y)}" width="${fix(box.width)}" height="${fix(box.height)}" rx="6"/>`,
    ...rows,
    '</g>',
  ].join('');
}

/** dagre gives centres; SVG wants corners. */
function centred(node: Box): Box {
  return { x: node.x - node.width / 2, y: node.y - node.height / 2, width: node.width, height: node.height };
}

/** A smooth path through dagre's edge points: each inner point is a quadratic control point. */
function curve(points: readonly { x: number; y: number }[]): string {
  const [first, ...rest] = points;
  if (!first) return '';
  let d = `M${fix(first.x)},${fix(first.y)}`;
  for (let i = 0; i < rest.length - 1; i++) {
    const control = rest[i]!;
    const next = rest[i + 1]!;
    const end = i === rest.length - 2 ? next : { x: (control.x + next.x) / 2, y: (control.y + next.y) / 2 };
    d += ` Q${fix(control.x)},${fix(control.y)} ${fix(end.x)},${fix(end.y)}`;
  }
  if (rest.length === 1) d += ` L${fix(rest[0]!.x)},${fix(rest[0]!.y)}`;
  return d;
}

/** The CSS an SVG file needs on its own: fonts, edges, groups and the status colours. */
export function standaloneCss(): string {
  return [
    `.sf-graph text{font-family:${FONT_STACK};text-anchor:middle;fill:#24292f}`,
    `.sf-name{font-size:${NAME_FONT}px;font-weight:600}`,
    `.sf-line{font-size:${LINE_FONT}px}`,
    '.sf-edge{fill:none;stroke:#57606a;stroke-width:1.4}',
    '.sf-edge-catch{stroke-dasharray:5 4}',
    '.sf-arrow{fill:#57606a}',
    '.sf-group rect{fill:#f6f8fa;fill-opacity:.5;stroke:#afb8c1;stroke-width:1}',
    '.sf-branch rect{stroke-dasharray:4 3;fill:none}',
    `.sf-group text{font-size:${LINE_FONT}px;text-anchor:start;fill:#57606a}`,
    '.sf-node rect{stroke-width:1.6}',
    paletteCss(),
  ].join('\n');
}

function fix(n: number): string {
  return String(Math.round(n * 10) / 10);
}

function text(value: string): string {
  return value.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;');
}
