/**
 * Choice rules: comparison operators on a Variable (literal or `...Path` operand), And/Or/Not,
 * and the Is* type tests. A comparison of mismatched types is false, as AWS evaluates it.
 */
import { StatesRuntime } from '../errors.ts';
import type { Json, JsonObject } from '../json.ts';
import { NOT_FOUND, queryPath } from '../json-path.ts';

type Rule = Readonly<Record<string, unknown>>;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Glob match for StringMatches: `*` is any run of characters, `\*` and `\\` are literal. */
function globMatches(value: string, pattern: string): boolean {
  let regex = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '\\' && i + 1 < pattern.length) regex += escapeRegex(pattern[++i]!);
    else if (char === '*') regex += '.*';
    else regex += escapeRegex(char);
  }
  return new RegExp(`^${regex}$`, 's').test(value);
}

function escapeRegex(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

type Compare = (a: number | string, b: number | string) => boolean;
const ORDER: Record<string, Compare> = {
  Equals: (a, b) => a === b,
  LessThan: (a, b) => a < b,
  GreaterThan: (a, b) => a > b,
  LessThanEquals: (a, b) => a <= b,
  GreaterThanEquals: (a, b) => a >= b,
};

function compare(operator: string, value: Json, operand: Json): boolean {
  const match =
    /^(String|Numeric|Boolean|Timestamp)(Equals|LessThan|GreaterThan|LessThanEquals|GreaterThanEquals|Matches)$/.exec(
      operator,
    );
  if (!match) throw new StatesRuntime(`Unknown Choice operator '${operator}'`);
  const [, kind, relation] = match as unknown as [string, string, string];
  if (kind === 'String') {
    if (typeof value !== 'string' || typeof operand !== 'string') return false;
    return relation === 'Matches' ? globMatches(value, operand) : ORDER[relation]!(value, operand);
  }
  if (kind === 'Numeric') {
    return typeof value === 'number' && typeof operand === 'number' && ORDER[relation]!(value, operand);
  }
  if (kind === 'Boolean') return typeof value === 'boolean' && value === operand;
  if (typeof value !== 'string' || typeof operand !== 'string') return false;
  if (!RFC3339.test(value) || !RFC3339.test(operand)) return false;
  return ORDER[relation]!(Date.parse(value), Date.parse(operand));
}

const TYPE_TESTS: Record<string, (value: Json) => boolean> = {
  IsNull: (value) => value === null,
  IsNumeric: (value) => typeof value === 'number',
  IsString: (value) => typeof value === 'string',
  IsBoolean: (value) => typeof value === 'boolean',
  IsTimestamp: (value) => typeof value === 'string' && RFC3339.test(value),
};

/** Whether a Choice rule (or a nested And/Or/Not rule) matches the input. */
export function ruleMatches(rule: Rule, input: Json, context: JsonObject): boolean {
  if (Array.isArray(rule.And)) return (rule.And as Rule[]).every((r) => ruleMatches(r, input, context));
  if (Array.isArray(rule.Or)) return (rule.Or as Rule[]).some((r) => ruleMatches(r, input, context));
  if (rule.Not) return !ruleMatches(rule.Not as Rule, input, context);
  const variable = String(rule.Variable);
  const value = queryPath(variable, input, context);
  if (rule.IsPresent !== undefined) return (value !== NOT_FOUND) === rule.IsPresent;
  const operator = Object.keys(rule).find((key) => key !== 'Variable' && key !== 'Next' && key !== 'Comment');
  if (value === NOT_FOUND || operator === undefined) {
    throw new StatesRuntime(
      `Invalid path '${variable}': The choice state's condition path references an invalid value.`,
    );
  }
  const test = TYPE_TESTS[operator];
  if (test) return test(value) === rule[operator];
  if (operator.endsWith('Path')) {
    const operand = queryPath(String(rule[operator]), input, context);
    if (operand === NOT_FOUND) {
      throw new StatesRuntime(
        `Invalid path '${String(rule[operator])}': The choice state's condition path references an invalid value.`,
      );
    }
    return compare(operator.slice(0, -4), value, operand);
  }
  return compare(operator, value, rule[operator] as Json);
}
