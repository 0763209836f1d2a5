/**
 * YAML text -> plain data plus a way to find the line of any path in it, so diagnostics found on
 * the data (zod issues, graph checks) can point at the exact line in the file.
 */
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { Diagnostic } from './diagnostics.ts';

export type PathSegment = string | number;

/** A parsed workflow file: its data, and the line of each path in it. */
export interface YamlSource {
  data: unknown;
  /** 1-based line of the value at `path` (or of its key when `key` is true); nearest ancestor when absent. */
  lineOf(path: readonly PathSegment[], key?: boolean): number;
}

/** Parses YAML text; syntax errors become diagnostics with line and column (all of them). */
export function parseYaml(text: string, file: string): { source?: YamlSource; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    const diagnostics = doc.errors.map((error) => {
      const opener = unclosedOpener(text, error.message);
      if (opener) {
        const pos = lineCounter.linePos(opener.offset);
        return { file, line: pos.line, column: pos.col, message: `YAML syntax error: ${opener.message}` };
      }
      const offset = error.pos[0];
      const pos = lineCounter.linePos(offset);
      let message = syntaxMessage(error.message);
      if (error.code === 'MULTIPLE_DOCS') {
        message =
          "a workflow file holds one YAML document (remove this '---' and what follows, or move it to its own file)";
      }
      if (error.code === 'DUPLICATE_KEY') {
        const key = /^[^:\n]*/.exec(text.slice(offset))?.[0]?.trim();
        if (key) message = `duplicate key '${key}' (each field may appear once in a mapping)`;
      }
      return { file, line: pos.line, column: pos.col, message: `YAML syntax error: ${message}` };
    });
    return { diagnostics };
  }
  return {
    source: { data: doc.toJS(), lineOf: (path, key) => lineOf(doc, lineCounter, path, key) },
    diagnostics: [],
  };
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
