/**
 * Intrinsic functions in payload templates (`"key.$": "States.Format('{}', $.name)"`): a small
 * parser and the evaluator. The functions themselves are in intrinsic-functions.ts. Failures are
 * `States.IntrinsicFailure`, as AWS documents it; a path argument that selects nothing is
 * `States.Runtime`.
 */
import { StatesIntrinsicFailure, StatesRuntime } from './errors.ts';
import { INTRINSIC_FUNCTIONS } from './intrinsic-functions.ts';
import type { Json, JsonObject } from './json.ts';
import { NOT_FOUND, queryPath } from './json-path.ts';

/** A parsed intrinsic expression. */
export type IntrinsicNode =
  | { readonly kind: 'literal'; readonly value: Json }
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly IntrinsicNode[] };

/** Whether a `.$` value is an intrinsic call rather than a path. */
export function isIntrinsic(value: string): boolean {
  return /^States\.[A-Za-z0-9]+\s*\(/.test(value);
}

class Parser {
  readonly #text: string;
  #at = 0;

  constructor(text: string) {
    this.#text = text;
  }

  parse(): IntrinsicNode {
    const node = this.#expression();
    this.#space();
    if (this.#at !== this.#text.length) this.#fail(`unexpected '${this.#text.slice(this.#at)}'`);
    if (node.kind !== 'call') this.#fail('not a function call');
    return node;
  }

  #fail(problem: string): never {
    throw new StatesIntrinsicFailure(`Invalid intrinsic function '${this.#text}': ${problem}`);
  }

  #space(): void {
    while (this.#text[this.#at] === ' ') this.#at++;
  }

  #expression(): IntrinsicNode {
    this.#space();
    const rest = this.#text.slice(this.#at);
    if (rest.startsWith("'")) return { kind: 'literal', value: this.#string() };
    if (rest.startsWith('$')) return { kind: 'path', path: this.#until(/[,)]/) };
    const call = /^States\.[A-Za-z0-9]+/.exec(rest);
    if (call) {
      this.#at += call[0].length;
      this.#space();
      if (this.#text[this.#at] !== '(') this.#fail(`expected '(' after ${call[0]}`);
      this.#at++;
      const args: IntrinsicNode[] = [];
      this.#space();
      if (this.#text[this.#at] === ')') this.#at++;
      else {
        for (;;) {
          args.push(this.#expression());
          this.#space();
          const next = this.#text[this.#at++];
          if (next === ')') break;
          if (next !== ',') this.#fail(`expected ',' or ')' in ${call[0]}`);
        }
      }
      return { kind: 'call', name: call[0], args };
    }
    const literal = this.#until(/[,)]/).trim();
    try {
      return { kind: 'literal', value: JSON.parse(literal) as Json };
    } catch {
      return this.#fail(`'${literal}' is not a literal, a path or a function`);
    }
  }

  /** A path runs to the next top-level ',' or ')' (brackets and quotes may hold either). */
  #until(stop: RegExp): string {
    const start = this.#at;
    let depth = 0;
    let quote: string | undefined;
    for (; this.#at < this.#text.length; this.#at++) {
      const char = this.#text[this.#at]!;
      if (quote) {
        if (char === quote) quote = undefined;
      } else if (char === "'" || char === '"') quote = char;
      else if (char === '[' || char === '(') depth++;
      else if ((char === ']' || char === ')') && depth > 0) depth--;
      else if (depth === 0 && stop.test(char)) break;
    }
    return this.#text.slice(start, this.#at).trim();
  }

  /** A quoted string; `\'`, `\{`, `\}` and `\\` are escapes (AWS's rule). */
  #string(): string {
    this.#at++;
    let out = '';
    while (this.#at < this.#text.length) {
      const char = this.#text[this.#at++]!;
      if (char === '\\') {
        const escaped = this.#text[this.#at++];
        if (escaped === undefined) break;
        // Keep braces escaped so States.Format can tell literal braces from placeholders.
        out += escaped === '{' || escaped === '}' ? `\\${escaped}` : escaped;
      } else if (char === "'") return out;
      else out += char;
    }
    return this.#fail('unterminated string');
  }
}

const parsed = new Map<string, IntrinsicNode>();

/** Parses an intrinsic expression (cached: definitions repeat the same expressions). */
export function parseIntrinsic(text: string): IntrinsicNode {
  let node = parsed.get(text);
  if (!node) {
    node = new Parser(text).parse();
    parsed.set(text, node);
  }
  return node;
}

/** Evaluates an intrinsic expression against the state's input and the context object. */
export function evaluateIntrinsic(text: string, input: Json, context: JsonObject): Json {
  const evaluate = (node: IntrinsicNode): Json => {
    if (node.kind === 'literal') {
      return typeof node.value === 'string' ? node.value.replace(/\\([{}])/g, '$1') : node.value;
    }
    if (node.kind === 'path') {
      const value = queryPath(node.path, input, context);
      if (value === NOT_FOUND) {
        throw new StatesRuntime(
          `The JSONPath '${node.path}' in the intrinsic function '${text}' could not be found in the input '${JSON.stringify(input)}'`,
        );
      }
      return value;
    }
    const fn = INTRINSIC_FUNCTIONS[node.name];
    if (!fn) throw new StatesIntrinsicFailure(`Unknown intrinsic function '${node.name}' in '${text}'`);
    // States.Format needs its template with the escaped braces still marked.
    const args = node.args.map((arg, i) =>
      node.name === 'States.Format' && i === 0 && arg.kind === 'literal' ? arg.value : evaluate(arg),
    );
    return fn(args, node.name);
  };
  return evaluate(parseIntrinsic(text));
}
