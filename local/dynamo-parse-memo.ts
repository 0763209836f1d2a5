import { createRequire } from 'node:module';

/**
 * dynalite validates every expression of every request with a PEG parse (db/*Parser.js), which
 * costs more CPU than the rest of its request handling. The workflow's handlers send the same few
 * expressions over and over with different values, so the parse is memoized here, in front of
 * dynalite's three parsers, with the same results and the same errors.
 *
 * What a parse reads (dynalite 4.0.0's grammars, pinned exactly in package.json):
 * - the expression text;
 * - `context.attrNames` (ExpressionAttributeNames): each `#name` resolves to its string, and an
 *   undefined one is an error, so the whole map is part of the key;
 * - `context.attrVals` (ExpressionAttributeValues): whether each `:value` is defined and its type
 *   (operand checks, `SET`'s `attrType`), so each value's key and type are part of the key. Its
 *   content is only read by `BETWEEN` (the bounds are compared) and `attribute_type` (the type
 *   name): expressions with either word are not memoized. In the result a value is the request's own
 *   object, so a hit puts the current request's objects back in place of the cached ones;
 * - `context.unusedAttrNames` / `unusedAttrVals`: the parse deletes each name and value it uses, so
 *   a miss records which ones it used and a hit deletes those, whatever an earlier expression of
 *   the same request already deleted.
 * A parse that throws (a syntax error) is not cached. Results are copied out of the cache, since
 * dynalite mutates them afterwards (KeyConditionExpression's operands are swapped in place).
 */

interface AttributeValues {
  readonly [key: string]: Readonly<Record<string, unknown>>;
}

/** The `context` dynalite's `validateExpressions` passes to every parse. */
interface ParseContext {
  readonly attrNames?: Readonly<Record<string, string>>;
  readonly attrVals?: AttributeValues;
  unusedAttrNames: Record<string, boolean>;
  unusedAttrVals: Record<string, boolean>;
}

/** One of dynalite's generated parsers (a CommonJS module object). */
export interface DynaliteParser {
  parse(input: string, options: { context: ParseContext }): unknown;
}

/** Counters of one memoized parser, for benchmarks and tests. */
export interface ParseMemoStats {
  hits: number;
  misses: number;
  /** Parses that bypass the memo: content-reading expressions and syntax errors. */
  uncached: number;
}

/** Options for {@link memoizeParser}. */
export interface ParseMemoOptions {
  /**
   * Entries kept; the least recently used is dropped past it.
   * @default 1000
   */
  readonly maxEntries?: number;
}

interface Entry {
  /** The parse result with each attribute value replaced by a {@link ValueSlot}. */
  readonly template: unknown;
  readonly usedNames: readonly string[];
  readonly usedValues: readonly string[];
}

/** Where a request's attribute value goes when a cached result is copied out. */
class ValueSlot {
  readonly key: string;
  constructor(key: string) {
    this.key = key;
  }
}

/** Expressions whose parse reads an attribute value's content, not only its type. */
const READS_VALUE_CONTENT = /between|attribute_type/i;

/** The grammars' own type test: the first of these set on the value. */
const TYPE_ORDER = ['S', 'N', 'B', 'NULL', 'BOOL', 'SS', 'NS', 'BS', 'L', 'M'] as const;

function typeOf(value: Readonly<Record<string, unknown>>): string {
  return TYPE_ORDER.find((type) => value[type] != null) ?? '?';
}

function keyOf(input: string, context: ParseContext): string {
  const values =
    context.attrVals === undefined
      ? '-'
      : Object.entries(context.attrVals)
          .map(([key, value]) => `${key}=${typeOf(value)}`)
          .join(',');
  return `${input}\u0000${JSON.stringify(context.attrNames ?? null)}\u0000${values}`;
}

/**
 * Copies a parse result, keeping its prototypes (the grammars build `Object.create(null)` maps)
 * and its aliasing (one path array can sit in two places). `swap` replaces a node wholesale.
 */
function copy(node: unknown, swap: (node: object) => unknown, seen = new Map<object, unknown>()): unknown {
  if (node === null || typeof node !== 'object') return node;
  const swapped = swap(node);
  if (swapped !== undefined) return swapped;
  const known = seen.get(node);
  if (known !== undefined) return known;
  if (Array.isArray(node)) {
    const out: unknown[] = [];
    seen.set(node, out);
    for (const item of node) out.push(copy(item, swap, seen));
    return out;
  }
  const out = Object.create(Object.getPrototypeOf(node)) as Record<string, unknown>;
  seen.set(node, out);
  for (const [key, value] of Object.entries(node)) out[key] = copy(value, swap, seen);
  return out;
}

/**
 * Wraps `parser.parse` in place with a memo (see the module comment for what the key holds).
 * Returns the memo's counters. Wrapping an already wrapped parser returns its counters.
 *
 * @example
 * const stats = memoizeParser(require('dynalite/db/conditionParser.js'));
 */
export function memoizeParser(parser: DynaliteParser, opts: ParseMemoOptions = {}): ParseMemoStats {
  const existing = memoized.get(parser);
  if (existing) return existing;
  const maxEntries = opts.maxEntries ?? 1000;
  const parse = parser.parse.bind(parser);
  const cache = new Map<string, Entry>();
  const stats: ParseMemoStats = { hits: 0, misses: 0, uncached: 0 };

  const miss = (input: string, context: ParseContext, key: string): unknown => {
    const names = context.attrNames ?? {};
    const values = context.attrVals ?? {};
    // A fresh "unused" record per parse shows what this expression uses, whatever ran before it.
    const unusedNames: Record<string, boolean> = Object.fromEntries(Object.keys(names).map((k) => [k, true]));
    const unusedValues: Record<string, boolean> = Object.fromEntries(
      Object.keys(values).map((k) => [k, true]),
    );
    let result: unknown;
    try {
      result = parse(input, {
        context: { ...context, unusedAttrNames: unusedNames, unusedAttrVals: unusedValues },
      });
    } catch {
      // A syntax error: parse again against the request's own context, uncached.
      stats.uncached += 1;
      return parse(input, { context });
    }
    const usedNames = Object.keys(names).filter((k) => !(k in unusedNames));
    const usedValues = Object.keys(values).filter((k) => !(k in unusedValues));
    for (const k of usedNames) delete context.unusedAttrNames[k];
    for (const k of usedValues) delete context.unusedAttrVals[k];
    const slots = new Map<object, ValueSlot>(Object.entries(values).map(([k, v]) => [v, new ValueSlot(k)]));
    cache.set(key, { template: copy(result, (node) => slots.get(node)), usedNames, usedValues });
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
    stats.misses += 1;
    return result;
  };

  parser.parse = (input: string, options: { context: ParseContext }): unknown => {
    const { context } = options;
    if (!memoOn) return parse(input, options);
    if (READS_VALUE_CONTENT.test(input)) {
      stats.uncached += 1;
      return parse(input, options);
    }
    const key = keyOf(input, context);
    const entry = cache.get(key);
    if (entry === undefined) return miss(input, context, key);
    cache.delete(key);
    cache.set(key, entry);
    stats.hits += 1;
    for (const k of entry.usedNames) delete context.unusedAttrNames[k];
    for (const k of entry.usedValues) delete context.unusedAttrVals[k];
    const values = context.attrVals ?? {};
    return copy(entry.template, (node) => (node instanceof ValueSlot ? values[node.key] : undefined));
  };
  memoized.set(parser, stats);
  return stats;
}

const memoized = new WeakMap<DynaliteParser, ParseMemoStats>();
let memoOn = true;

/**
 * Turns every memoized parser of the process off (each call parses, as dynalite does) or back on,
 * for side-by-side measurements and for tests that compare with dynalite's own parse.
 * @default on
 */
export function setParseMemoEnabled(enabled: boolean): void {
  memoOn = enabled;
}

const require = createRequire(import.meta.url);

/** dynalite's parsers, by the expression kinds they read. */
export const DYNALITE_PARSERS = {
  condition: 'dynalite/db/conditionParser.js',
  update: 'dynalite/db/updateParser.js',
  projection: 'dynalite/db/projectionParser.js',
} as const;

/**
 * Memoizes dynalite's three expression parsers for this process (dynalite calls them through their
 * module objects, so wrapping those reaches every server). Idempotent.
 */
export function memoizeDynaliteParsers(
  opts: ParseMemoOptions = {},
): Record<keyof typeof DYNALITE_PARSERS, ParseMemoStats> {
  const wrap = (id: string): ParseMemoStats => memoizeParser(require(id) as DynaliteParser, opts);
  return {
    condition: wrap(DYNALITE_PARSERS.condition),
    update: wrap(DYNALITE_PARSERS.update),
    projection: wrap(DYNALITE_PARSERS.projection),
  };
}
