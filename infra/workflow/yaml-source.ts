/**
 * YAML text -> plain data plus a way to find the line of any path in it, so diagnostics found on
 * the data (zod issues, graph checks) can point at the exact line in the file.
 *
 * A workflow file may come from anyone, so reading it is bounded and every refusal is a
 * `file:line:col` diagnostic:
 * - the file is at most {@link MAX_YAML_SOURCE_CHARS} characters and {@link MAX_YAML_TOKENS}
 *   tokens (counted by yaml's streaming lexer: yaml's CST and AST cost memory per token, while a
 *   long string costs little);
 * - collections nest at most {@link MAX_YAML_NESTING} levels, checked on yaml's CST (its parser is
 *   iterative; its composer is recursive, so a deeper file is refused before it is composed);
 * - aliases are expanded by this module, not by yaml's `toJS` (whose only guard is an alias
 *   count, which refuses a file with a few hundred `<<: *defaults` merges): the bound is on the
 *   size of the data once every alias is written out ({@link MAX_YAML_EXPANDED_VALUES} values,
 *   {@link MAX_YAML_EXPANDED_CHARS} characters) and on its nesting; a recursive alias is refused
 *   at its line;
 * - tags other than YAML's JSON-compatible core ones (`!!str`, `!!int`, ...) are errors, not
 *   silently dropped, and yaml's warnings are errors too;
 * - duplicate keys are found in linear time (yaml's own check is quadratic in a mapping's size);
 * - no text holds a control character (tab and line breaks excepted) or a bidirectional override
 *   (`characterProblem`, aws-limits.ts): AWS refuses the first in names, the second hides what a
 *   name or description says.

 */
import {
  Composer,
  type CST,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  Parser,
  type YAMLError,
  YAMLParseError,
} from 'yaml';
import { characterProblem } from './aws-limits.ts';
import type { Diagnostic } from './diagnostics.ts';

export type PathSegment = string | number;

/**
 * Longest workflow (or mock) file read, in characters: room for text past Step Functions' 1 MB
 * definition limit, so such a workflow gets the definition-size diagnostic.
 */
export const MAX_YAML_SOURCE_CHARS = 4 * 1_048_576;

/**
 * Most tokens (keys, values, indicators; not spaces or comments) in a file: the flagship workflow
 * has 860, 300 merged steps 4,500. yaml needs about a second and 100 MB per 100,000 on the worst
 * text (a flow list of one-letter items).
 */
export const MAX_YAML_TOKENS = 200_000;

/** Deepest nesting of mappings and sequences (a workflow needs about 10; JSON schemas a few more). */
export const MAX_YAML_NESTING = 64;

/**
 * Largest the data may be with every alias written out: values (each scalar and collection) and
 * characters (about: a scalar counts its length plus one, a collection two). Hundreds of
 * `<<: *defaults` merges fit many times over; an alias bomb (each level repeating the last) is
 * refused after a few levels, before it costs anything (aliases share their anchor's data).
 */
export const MAX_YAML_EXPANDED_VALUES = 250_000;
export const MAX_YAML_EXPANDED_CHARS = 2 * MAX_YAML_SOURCE_CHARS;

/** Tags a workflow file may use: JSON's types (`!` is the non-specific tag, a string). */
const ALLOWED_TAGS = new Set([
  '!',
  ...['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`),
]);

/** A parsed workflow file: its data, and the line of each path in it. */
export interface YamlSource {
  data: unknown;
  /** 1-based line of the value at `path` (or of its key when `key` is true); nearest ancestor when absent. */
  lineOf(path: readonly PathSegment[], key?: boolean): number;
}

/** A problem at an offset of the text, before it becomes a diagnostic. */
interface Problem {
  offset: number;
  message: string;
}

/** Parses YAML text; syntax errors become diagnostics with line and column (all of them). */
export function parseYaml(text: string, file: string): { source?: YamlSource; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const at = (problems: Problem[]): { diagnostics: Diagnostic[] } => {
    // The LineCounter only knows lines the parser saw; count them here when it did not run.
    if (lineCounter.lineStarts.length === 0)
      for (const start of lineStarts(text)) lineCounter.addNewLine(start);
    return {
      diagnostics: problems
        .sort((a, b) => a.offset - b.offset)
        .map(({ offset, message }) => {
          const pos = lineCounter.linePos(offset);
          return { file, line: pos.line, column: pos.col, message };
        }),
    };
  };
  if (text.length > MAX_YAML_SOURCE_CHARS) {
    return at([
      {
        offset: MAX_YAML_SOURCE_CHARS,
        message: `the file is ${text.length} characters, over the ${MAX_YAML_SOURCE_CHARS}-character limit of a workflow file (this is where the limit falls)`,
      },
    ]);
  }
  // Flow nesting costs yaml's parser about 600 bytes of CST per level, so the streaming lexer
  // looks for it first (and counts tokens); the CST (of the text up to there, when it found deep
  // flow) then tells where the nesting, block levels included, first goes too deep.
  const lexed = lexicalProblem(text);
  if (lexed?.tokens) {
    return at([
      {
        offset: lexed.offset,
        message: `the file has over ${MAX_YAML_TOKENS} YAML tokens (keys, values and indicators), the limit of a workflow file (this is where the limit falls)`,
      },
    ]);
  }
  const deepFlow = lexed?.offset;
  const tooDeep =
    deepFlow === undefined
      ? cstTooDeep(tokens(text, lineCounter))
      : (cstTooDeep(Array.from(new Parser().parse(text.slice(0, deepFlow + 1)))) ?? deepFlow);
  if (tooDeep !== undefined) {
    return at([
      {
        offset: tooDeep,
        message: `YAML nesting deeper than ${MAX_YAML_NESTING} levels (a workflow needs far fewer: flatten this structure)`,
      },
    ]);
  }
  const doc = composeOne(tokens(text, lineCounter), text.length);
  const problems: Problem[] = [
    ...doc.errors.map((error) => syntaxProblem(text, error)),
    ...doc.warnings.flatMap((warning) => warningProblem(text, warning)),
    ...structureProblems(doc, text),
  ];
  if (problems.length > 0) return at(problems);
  const expanded = new Expander(text).run(doc);
  if (expanded.problems.length > 0) return at(expanded.problems);
  return {
    source: { data: expanded.data, lineOf: (path, key) => lineOf(doc, lineCounter, path, key) },
    diagnostics: [],
  };
}

/** yaml's CST of `text`, parsed once (the line counter learns the lines on the way). */
const parsed = new WeakMap<LineCounter, CST.Token[]>();
function tokens(text: string, lineCounter: LineCounter): CST.Token[] {
  let cst = parsed.get(lineCounter);
  if (cst === undefined) {
    cst = Array.from(new Parser(lineCounter.addNewLine).parse(text));
    parsed.set(lineCounter, cst);
  }
  return cst;
}

/** Lexer tokens that stand for no text (document start, scalar start, flow end). */
const SYNTHETIC_TOKENS = new Set(['\u0002', '\u001f', '\u0018']);

/**
 * From yaml's streaming lexer: the offset of the first flow collection (`[`, `{`) nested deeper
 * than {@link MAX_YAML_NESTING}, or of the token past {@link MAX_YAML_TOKENS} (`tokens: true`).
 */
function lexicalProblem(text: string): { offset: number; tokens: boolean } | undefined {
  let offset = 0;
  let depth = 0;
  let count = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      if (++depth > MAX_YAML_NESTING) return { offset, tokens: false };
    } else if ((token === ']' || token === '}') && depth > 0) {
      depth--;
    }
    if (SYNTHETIC_TOKENS.has(token)) continue;
    if (!/^\s*$/.test(token) && !token.startsWith('#') && ++count > MAX_YAML_TOKENS)
      return { offset, tokens: true };
    offset += token.length;
  }
  return undefined;
}

/** Offsets where lines start. */
function lineStarts(text: string): number[] {
  const starts: number[] = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** What `parseDocument` does, on tokens already parsed: the first document, an error for a second. */
function composeOne(tokens: readonly CST.Token[], length: number): Document.Parsed {
  // uniqueKeys off: yaml compares each key with every earlier one; structureProblems does it linearly.
  const composer = new Composer({ prettyErrors: false, uniqueKeys: false, merge: true });
  let doc: Document.Parsed | undefined;
  for (const next of composer.compose(tokens, true, length)) {
    if (!doc) {
      doc = next;
    } else {
      const start = next.range[0];
      doc.errors.push(new YAMLParseError([start, start + 1], 'MULTIPLE_DOCS', 'multiple documents'));
      break;
    }
  }
  if (!doc) throw new Error('unreachable: yaml composed no document');
  return doc;
}

/**
 * The offset of the first collection nested deeper than {@link MAX_YAML_NESTING}, walking yaml's
 * CST without recursion (it can be as deep as the file is long).
 */
function cstTooDeep(tokens: readonly unknown[]): number | undefined {
  const stack: Array<[unknown, number]> = tokens.map((token) => [token, 0]);
  while (stack.length > 0) {
    const entry = stack.pop();
    if (entry === undefined) break;
    const [token, depth] = entry;
    if (typeof token !== 'object' || token === null) continue;
    const t = token as {
      type?: string;
      offset?: number;
      value?: unknown;
      items?: unknown[];
      props?: unknown[];
    };
    let level = depth;
    if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
      level = depth + 1;
      if (level > MAX_YAML_NESTING) return t.offset ?? 0;
    }
    if (t.value !== undefined) stack.push([t.value, level]);
    for (const item of t.items ?? []) {
      const i = item as { key?: unknown; value?: unknown; start?: unknown[]; sep?: unknown[] };
      for (const part of [i.key, i.value, ...(i.start ?? []), ...(i.sep ?? [])]) {
        if (part !== undefined && part !== null) stack.push([part, level]);
      }
    }
  }
  return undefined;
}

function syntaxProblem(text: string, error: YAMLError): Problem {
  const opener = unclosedOpener(text, error.message);
  if (opener) return { offset: opener.offset, message: `YAML syntax error: ${opener.message}` };
  const offset = error.pos[0];
  let message = syntaxMessage(error.message);
  if (error.code === 'MULTIPLE_DOCS') {
    message =
      "a workflow file holds one YAML document (remove this '---' and what follows, or move it to its own file)";
  }
  return { offset, message: `YAML syntax error: ${message}` };
}

/**
 * yaml's warnings are errors here: an ambiguous alias, an unknown directive, a value that does
 * not fit its tag. An unknown tag is reported by {@link structureProblems} (once, with its name).
 */
function warningProblem(text: string, warning: YAMLError): Problem[] {
  const unresolved = /^Unresolved tag: (\S+)/.exec(warning.message)?.[1];
  if (unresolved !== undefined && !ALLOWED_TAGS.has(unresolved)) return [];
  const offset = warning.pos[0];
  if (unresolved !== undefined) {
    const tag = /^![^\s]*/.exec(text.slice(offset))?.[0] ?? unresolved;
    return [{ offset, message: `YAML error: this value does not fit its tag '${tag}' (remove the tag)` }];
  }
  return [{ offset, message: `YAML error: ${syntaxMessage(warning.message)}` }];
}

/**
 * Duplicate keys (linear: one Set per mapping), tags outside {@link ALLOWED_TAGS} and text with
 * forbidden characters, walking the composed document (its depth is bounded by the CST check).
 */
function structureProblems(doc: Document.Parsed, text: string): Problem[] {
  const problems: Problem[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!node || typeof node !== 'object') continue;
    const tag = (node as { tag?: string }).tag;
    if ((isScalar(node) || isMap(node) || isSeq(node)) && tag !== undefined && !ALLOWED_TAGS.has(tag)) {
      problems.push(tagProblem(text, node.range?.[0] ?? 0, tag));
    }
    if (isScalar(node) && typeof node.value === 'string') {
      const bad = characterProblem(node.value, { lineBreaks: true });
      if (bad !== undefined) {
        problems.push({
          offset: node.range?.[0] ?? 0,
          message: `this text holds ${bad}: a workflow file may not hold control or bidirectional-override characters (AWS refuses the first in names; the second makes text read differently than it is)`,
        });
      }
    }
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = pair.key;
        if (isScalar(key) && typeof key.value !== 'symbol' && !Number.isNaN(key.value)) {
          if (seen.has(key.value)) {
            const start = key.range?.[0] ?? 0;
            const shown = /^[^:\n]*/.exec(text.slice(start))?.[0]?.trim() || String(key.value);
            problems.push({
              offset: start,
              message: `YAML syntax error: duplicate key '${shown}' (each field may appear once in a mapping)`,
            });
          }
          seen.add(key.value);
        }
        stack.push(pair.value, pair.key);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return problems;
}

/** An unknown or non-JSON tag, at the tag itself (just before the node it is on). */
function tagProblem(text: string, nodeStart: number, tag: string): Problem {
  const bang = text.lastIndexOf('!', nodeStart);
  let start = bang < 0 ? nodeStart : bang;
  while (start > 0 && !/\s/.test(text[start - 1] ?? ' ')) start--;
  const shown = /^![^\s]*/.exec(text.slice(start))?.[0] ?? tag;
  const known = tag.startsWith('tag:yaml.org,2002:');
  return {
    offset: start,
    message: known
      ? `YAML tag '${shown}' is not allowed: a workflow file holds JSON values (strings, numbers, booleans, null, lists, mappings); remove the tag`
      : `unknown YAML tag '${shown}': a workflow file uses no custom tags (remove it, or quote the value if it is text starting with '!')`,
  };
}

/** A part of the data, written out: its values (scalars and collections) and characters. */
interface Size {
  chars: number;
  values: number;
}
const ONE: Size = { chars: 1, values: 1 };

/** Thrown inside {@link Expander} to stop at once (the data is too large to go on). */
class TooLarge extends Error {}

/**
 * Builds the plain data from the composed document in one pass in document order, expanding each
 * alias to the data of its anchor (shared, as yaml's `toJS` does, so it costs no memory) while
 * counting what the data would be written out. An anchor always precedes its aliases, so its
 * size is known when an alias is reached; an alias inside its own anchor is recursive.
 */
class Expander {
  readonly problems: Problem[] = [];
  readonly #text: string;
  /** The latest node of each anchor name seen so far (yaml resolves an alias to it). */
  readonly #anchors = new Map<string, Node>();
  /** Anchored nodes being expanded: an alias to one of them is recursive. */
  readonly #open = new Set<Node>();
  /** Expanded anchored nodes: their data, size and height. */
  readonly #done = new Map<Node, { data: unknown; size: Size; height: number }>();
  /** Anchored nodes with a problem inside: their aliases stay quiet. */
  readonly #poisoned = new Set<Node>();
  /** Anchored nodes holding an alias of a poisoned one. */
  readonly #quiet = new Set<Node>();
  #chars = 0;
  #values = 0;
  /** Where the last node with a position started (an empty value has none of its own). */
  #offset = 0;
  #largestAlias: { offset: number; name: string; size: Size } | undefined;

  constructor(text: string) {
    this.#text = text;
  }

  run(doc: Document.Parsed): { data: unknown; problems: Problem[] } {
    try {
      return { data: this.#node(doc.contents, 0).data, problems: this.problems };
    } catch (error) {
      if (error instanceof TooLarge) return { data: undefined, problems: this.problems };
      throw error;
    }
  }

  /** Adds `size` to the expanded total; past a limit, reports where and stops. */
  #count(size: Size, offset: number, alias?: string): void {
    this.#chars += size.chars;
    this.#values += size.values;
    if (this.#chars <= MAX_YAML_EXPANDED_CHARS && this.#values <= MAX_YAML_EXPANDED_VALUES) return;
    const limit = `the limit of a workflow's data with its aliases expanded (${MAX_YAML_EXPANDED_VALUES} values, ${MAX_YAML_EXPANDED_CHARS} characters)`;
    const biggest = this.#largestAlias;
    const shown = (s: Size): string => `${s.values} values, ${s.chars} characters`;
    if (alias !== undefined) {
      this.problems.push({
        offset,
        message: `YAML alias *${alias} (${shown(size)} expanded) takes the data past ${limit}: is it an alias bomb? (use fewer or smaller aliases)`,
      });
    } else if (biggest !== undefined) {
      this.problems.push({
        offset: biggest.offset,
        message: `YAML aliases take the data past ${limit}; the largest, *${biggest.name} here, is ${shown(biggest.size)} expanded (use fewer or smaller aliases)`,
      });
    } else {
      this.problems.push({ offset, message: `the file's data is over ${limit}` });
    }
    throw new TooLarge();
  }

  /** `depth`: collections around this node. Returns its data and height (collections in it, itself included). */
  #node(node: unknown, depth: number): { data: unknown; height: number } {
    if (node === null || node === undefined) {
      this.#count(ONE, this.#offset);
      return { data: null, height: 0 };
    }
    if (isAlias(node)) return this.#alias(node, depth);
    const n = node as Node;
    const anchor = n.anchor;
    if (anchor === undefined) return this.#plain(n, depth);
    this.#anchors.set(anchor, n);
    this.#open.add(n);
    const before = { chars: this.#chars, values: this.#values };
    const problems = this.problems.length;
    const result = this.#plain(n, depth);
    this.#open.delete(n);
    const size = { chars: this.#chars - before.chars, values: this.#values - before.values };
    this.#done.set(n, { ...result, size });
    // Its problems are reported once, here: its aliases do not repeat them.
    if (this.problems.length > problems || this.#quiet.has(n)) this.#poisoned.add(n);
    return result;
  }

  #alias(node: Node & { source: string }, depth: number): { data: unknown; height: number } {
    const offset = node.range?.[0] ?? this.#offset;
    this.#offset = offset;
    const target = this.#anchors.get(node.source);
    const done = target === undefined ? undefined : this.#done.get(target);
    if (target === undefined || done === undefined) {
      // The anchor is written before its node (whose range starts at its content).
      const anchorAt = target?.range ? this.#text.lastIndexOf(`&${node.source}`, target.range[0]) : -1;
      const anchorLine = lineNumber(this.#text, anchorAt < 0 ? (target?.range?.[0] ?? 0) : anchorAt);
      this.problems.push({
        offset,
        message:
          target === undefined
            ? `YAML alias *${node.source} has no anchor &${node.source} before it (define the anchor first)`
            : `YAML alias *${node.source} is recursive: it is inside its own anchor &${node.source} (line ${anchorLine}), so it would never end`,
      });
      this.#count(ONE, offset);
      return { data: null, height: 0 };
    }
    if (this.#poisoned.has(target)) {
      // So is an anchor around this alias: its aliases stay quiet too.
      for (const open of this.#open) this.#quiet.add(open);
      this.#count(ONE, offset);
      return { data: null, height: 0 };
    }
    if (done.size.chars > (this.#largestAlias?.size.chars ?? 0))
      this.#largestAlias = { offset, name: node.source, size: done.size };
    this.#count(done.size, offset, node.source);
    if (depth + done.height > MAX_YAML_NESTING) {
      this.problems.push({
        offset,
        message: `YAML alias *${node.source} nests the data deeper than ${MAX_YAML_NESTING} levels once expanded (flatten the anchored structure)`,
      });
      return { data: null, height: 0 };
    }
    return { data: done.data, height: done.height };
  }

  #plain(node: Node, depth: number): { data: unknown; height: number } {
    const offset = node.range?.[0] ?? this.#offset;
    this.#offset = offset;
    if (isScalar(node)) {
      const value = node.value;
      if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
        // A `%YAML 1.1` file reads 2026-12-02 as a Date, and its tags make bytes or sets.
        this.problems.push({
          offset,
          message: `YAML reads this value as ${value instanceof Date ? 'a date' : `a ${value?.constructor?.name ?? typeof value}`}, not JSON data: quote it to keep it as text`,
        });
        this.#count(ONE, offset);
        return { data: null, height: 0 };
      }
      this.#count({ chars: typeof value === 'string' ? value.length + 1 : 2, values: 1 }, offset);
      return { data: value, height: 0 };
    }
    if (!isMap(node) && !isSeq(node)) {
      this.#count(ONE, offset);
      return { data: null, height: 0 };
    }
    this.#count({ chars: 2, values: 1 }, offset);
    if (depth + 1 > MAX_YAML_NESTING) {
      this.problems.push({
        offset,
        message: `YAML nesting deeper than ${MAX_YAML_NESTING} levels (flatten this structure)`,
      });
      return { data: null, height: 0 };
    }
    let height = 0;
    const child = (item: unknown): unknown => {
      const result = this.#node(item, depth + 1);
      height = Math.max(height, result.height);
      return result.data;
    };
    if (isSeq(node)) {
      const list = node.items.map(child);
      return { data: list, height: height + 1 };
    }
    const map: Record<string, unknown> = {};
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      if (isScalar(pair.key) && typeof pair.key.value === 'symbol') {
        const problems = this.problems.length;
        const merged = child(pair.value);
        if (this.problems.length === problems)
          this.#merge(map, merged, (pair.value as Node | null)?.range?.[0] ?? offset);
        continue;
      }
      const key = child(pair.key);
      if (typeof key === 'object' && key !== null) {
        this.problems.push({
          offset: (pair.key as Node).range?.[0] ?? offset,
          message: 'a mapping key must be a single value, not a list or a mapping',
        });
        continue;
      }
      setOwn(map, key === null || key === undefined ? '' : String(key), child(pair.value));
    }
    return { data: map, height: height + 1 };
  }

  /**
   * `<<: *defaults` (or a list of mappings): copies the keys `map` does not have yet, as yaml
   * does; a key written in the mapping itself always wins.
   */
  #merge(map: Record<string, unknown>, value: unknown, offset: number): void {
    const sources = Array.isArray(value) ? value : [value];
    for (const source of sources) {
      if (typeof source !== 'object' || source === null || Array.isArray(source)) {
        this.problems.push({ offset, message: "YAML merge key '<<' takes a mapping or a list of mappings" });
        return;
      }
      for (const [key, item] of Object.entries(source)) if (!Object.hasOwn(map, key)) setOwn(map, key, item);
    }
  }
}

/** Sets an own property, even for keys such as `__proto__` or `toString`. */
function setOwn(map: Record<string, unknown>, key: string, value: unknown): void {
  if (key in map)
    Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
  else map[key] = value;
}

function lineNumber(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * yaml notices an unclosed quote or bracket only at the end of the file; point at the character
 * that opened it instead, which is where the fix goes.
 */
function unclosedOpener(text: string, message: string): { offset: number; message: string } | undefined {
  const quote = /^Missing closing (['"])quote/.exec(message)?.[1];
  if (quote) {
    const offset = text.lastIndexOf(quote);
    return offset < 0
      ? undefined
      : { offset, message: `this ${quote} is never closed (add the closing ${quote})` };
  }
  const close = /^Flow (?:sequence|map)[^\n]*end with an? ([\]}])/.exec(message)?.[1];
  if (!close) return undefined;
  const open = close === ']' ? '[' : '{';
  let depth = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    if (text[i] === close) depth++;
    else if (text[i] === open && depth-- === 0) {
      return { offset: i, message: `this ${open} is never closed (add the closing ${close})` };
    }
  }
  return undefined;
}

/** yaml's messages end with " at line X, column Y" and a code frame; the diagnostic already has both. */
function syntaxMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '').trim();
}

function lineOf(doc: Document, lineCounter: LineCounter, path: readonly PathSegment[], key = false): number {
  const line = (node: { range?: [number, number, number] | null } | null | undefined): number | undefined =>
    node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  let node: unknown = doc.contents;
  let best = line(doc.contents as Node | null) ?? 1;
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && item.key.value === segment,
      );
      if (!pair) return best;
      const keyLine = isScalar(pair.key) ? line(pair.key) : undefined;
      if (last && key && keyLine !== undefined) return keyLine;
      node = pair.value;
      // A null value (`fallback:`) has no range of its own: the key's line is the right answer.
      best = line(node as Node | null) ?? keyLine ?? best;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      best = line(node as Node | null) ?? best;
    } else {
      return best;
    }
  }
  return best;
}
