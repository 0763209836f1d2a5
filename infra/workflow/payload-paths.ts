/**
 * Payload templates (a step's `fallback`, an HTTP step's `request`): keys ending in `.$` hold a
 * JSONPath (`$.order_id`, `$$.Execution.Id`) or an intrinsic function call
 * (`States.Format('/orders/{}', $.order_id)`) that Step Functions resolves, at any depth, in
 * mappings and in mappings inside lists. A mistake there fails the execution at run time
 * (`States.Runtime`), so the compiler checks each one.
 */
import { MAX_INTRINSIC_NESTING } from './aws-limits.ts';
import { didYouMean } from './diagnostics.ts';
import type { PathSegment } from './yaml-source.ts';

/** The intrinsic functions of Step Functions' JSONPath states (AWS docs, "Intrinsic functions"). */
export const INTRINSIC_FUNCTIONS = [
  'States.Array',
  'States.ArrayContains',
  'States.ArrayGetItem',
  'States.ArrayLength',
  'States.ArrayPartition',
  'States.ArrayRange',
  'States.ArrayUnique',
  'States.Base64Decode',
  'States.Base64Encode',
  'States.Format',
  'States.Hash',
  'States.JsonMerge',
  'States.JsonToString',
  'States.MathAdd',
  'States.MathRandom',
  'States.StringSplit',
  'States.StringToJson',
  'States.UUID',
] as const;

/** What a `.$` key must hold, as the diagnostics say it. */
export const PATH_REQUIREMENT =
  "must be a JSONPath like '$.user_info.plan' or an intrinsic function like 'States.Format(...)' because its key ends in .$";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quoted(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

/**
 * Why `value` cannot be the value of a `.$` key, or undefined when it can. The text follows the
 * field name in a diagnostic: `fallback.plan.$ <problem>`.
 */
export function pathValueProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^(\$|States\.)/.test(value)) {
    return `${PATH_REQUIREMENT}, got ${quoted(value)}`;
  }
  const problem = value.startsWith('$') ? jsonPathProblem(value) : intrinsicProblem(value);
  return problem === undefined ? undefined : `${problem}, got '${value}'`;
}

/** `$`, `$$`, then nothing or `.name` / `[...]` parts; brackets balanced. */
function jsonPathProblem(path: string): string | undefined {
  const rest = path.replace(/^\$\$?/, '');
  if (rest !== '' && !/^[.[]/.test(rest)) {
    return `is not a JSONPath: after '${path.startsWith('$$') ? '$$' : '$'}' comes '.' or '[' (e.g. '$.${rest}')`;
  }
  if (/\.$/.test(rest) || /\.\./.test(rest.replace(/\[[^\]]*\]/g, ''))) {
    return 'is not a JSONPath: a field name is missing between dots';
  }
  if (bracketDepthProblem(rest)) return 'is not a JSONPath: its brackets are not balanced';
  if (/\s$/.test(path)) return 'is not a JSONPath: it ends in a space';
  return undefined;
}

function bracketDepthProblem(text: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (const ch of text) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '[') depth++;
    else if (ch === ']' && --depth < 0) return true;
  }
  return depth !== 0 || quote !== undefined;
}

/** A small recursive-descent reader of one intrinsic call: `States.Name(arg, ...)`. */
class IntrinsicReader {
  readonly #text: string;
  #at = 0;

  constructor(text: string) {
    this.#text = text;
  }

  /** Reads the whole text as one call; returns the problem, if any. */
  read(): string | undefined {
    const problem = this.#call(1);
    if (problem !== undefined) return problem;
    this.#spaces();
    return this.#at < this.#text.length
      ? `is not a valid intrinsic function call: unexpected '${this.#text.slice(this.#at)}' after its closing ')'`
      : undefined;
  }

  #call(depth: number): string | undefined {
    if (depth > MAX_INTRINSIC_NESTING) {
      return `nests intrinsic functions more than ${MAX_INTRINSIC_NESTING} deep (Step Functions' limit)`;
    }
    const name = /^States\.[A-Za-z0-9]+/.exec(this.#text.slice(this.#at))?.[0];
    if (name === undefined)
      return 'is not a valid intrinsic function call: expected a States.* function name';
    if (!(INTRINSIC_FUNCTIONS as readonly string[]).includes(name)) {
      return `calls unknown intrinsic function '${name}'${didYouMean(name, INTRINSIC_FUNCTIONS)}`;
    }
    this.#at += name.length;
    if (this.#text[this.#at] !== '(')
      return `is not a valid intrinsic function call: '(' must follow ${name}`;
    this.#at++;
    this.#spaces();
    if (this.#text[this.#at] === ')') {
      this.#at++;
      return undefined;
    }
    for (;;) {
      const problem = this.#argument(depth);
      if (problem !== undefined) return problem;
      this.#spaces();
      const next = this.#text[this.#at];
      this.#at++;
      if (next === ')') return undefined;
      if (next !== ',') {
        return `is not a valid intrinsic function call: ${name}( is never closed (add the closing ')')`;
      }
      this.#spaces();
    }
  }

  #argument(depth: number): string | undefined {
    const rest = this.#text.slice(this.#at);
    if (rest.startsWith("'")) return this.#string();
    if (rest.startsWith('States.')) return this.#call(depth + 1);
    if (rest.startsWith('$')) {
      const path = this.#pathArgument();
      const problem = jsonPathProblem(path);
      return problem === undefined ? undefined : `has an argument '${path}' that ${problem}`;
    }
    const literal = /^(-?\d+(\.\d+)?|true|false|null)(?=\s*[,)])/.exec(rest)?.[0];
    if (literal !== undefined) {
      this.#at += literal.length;
      return undefined;
    }
    return `is not a valid intrinsic function call: argument '${rest.split(/[,)]/)[0]?.trim() ?? rest}' must be a 'quoted string', a number, a JSONPath or another States.* call`;
  }

  /** A JSONPath argument runs to the next `,` or `)` outside brackets and quotes. */
  #pathArgument(): string {
    const start = this.#at;
    let depth = 0;
    let quote: string | undefined;
    for (; this.#at < this.#text.length; this.#at++) {
      const ch = this.#text[this.#at];
      if (quote !== undefined) {
        if (ch === quote) quote = undefined;
      } else if (ch === "'" || ch === '"') quote = ch;
      else if (ch === '[') depth++;
      else if (ch === ']') depth--;
      else if (depth === 0 && (ch === ',' || ch === ')')) break;
    }
    return this.#text.slice(start, this.#at).trim();
  }

  /** A single-quoted string; `\'`, `\{`, `\}` and `\\` are escapes. */
  #string(): string | undefined {
    this.#at++;
    for (; this.#at < this.#text.length; this.#at++) {
      const ch = this.#text[this.#at];
      if (ch === '\\') this.#at++;
      else if (ch === "'") {
        this.#at++;
        return undefined;
      }
    }
    return "is not a valid intrinsic function call: a ' is never closed (add the closing ')";
  }

  #spaces(): void {
    while (this.#text[this.#at] === ' ') this.#at++;
  }
}

function intrinsicProblem(text: string): string | undefined {
  return new IntrinsicReader(text).read();
}

/** One problem in a payload template: where (relative to the template) and what. */
export type TemplateProblem = readonly [path: PathSegment[], problem: string];

/**
 * Problems of every `.$` key in a template, at any depth (mappings and lists), plus a key given
 * both plain and with `.$` (Step Functions would receive the field twice).
 */
export function templatePathProblems(template: unknown, path: PathSegment[] = []): TemplateProblem[] {
  if (Array.isArray(template)) {
    return template.flatMap((item, i) => templatePathProblems(item, [...path, i]));
  }
  if (!isRecord(template)) return [];
  const problems: TemplateProblem[] = [];
  for (const [key, value] of Object.entries(template)) {
    const here = [...path, key];
    if (key.endsWith('.$')) {
      const problem = pathValueProblem(value);
      if (problem !== undefined) problems.push([here, problem]);
      if (key.slice(0, -2) in template) {
        problems.push([here, `and ${key.slice(0, -2)} are both set (keep one of them)`]);
      }
    } else {
      problems.push(...templatePathProblems(value, here));
    }
  }
  return problems;
}
