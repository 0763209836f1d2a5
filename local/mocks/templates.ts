/**
 * Answer templates of the mock files: strings holding `{{ expression }}` take their value from the
 * request (path parameters, query, headers, body fields) or from generated values (a per-route
 * sequence number, a seeded UUID, the time). A string that is exactly one expression keeps the
 * value's JSON type (`"{{body.items}}"` copies the list); otherwise the values are interpolated.
 */
import { closestMatch } from '../../infra/workflow/diagnostics.ts';

/** The roots an expression may start with. */
export const EXPRESSION_ROOTS = [
  'path',
  'query',
  'headers',
  'body',
  'correlation_id',
  'idempotency_key',
  'seq',
  'uuid',
  'now',
] as const;

/** Roots that take a field path (`body.a.b`); the others stand alone. */
const WITH_FIELDS = new Set(['path', 'query', 'headers', 'body']);
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** What an expression can read. */
export interface TemplateScope {
  readonly path: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly correlationId: string | undefined;
  readonly idempotencyKey: string | undefined;
  /** The route's answer number (1 for the first request answered with a side effect). */
  readonly seq: number;
  /** A UUID drawn from the seeded PRNG. */
  uuid(): string;
}

/**
 * Checks one expression; returns the problem (naming the fix) or undefined. `pathParams` are the
 * route key's `{name}` parameters.
 */
export function expressionProblem(expression: string, pathParams: readonly string[]): string | undefined {
  const [root = '', ...fields] = expression.split('.');
  if (!(EXPRESSION_ROOTS as readonly string[]).includes(root)) {
    const near = closestMatch(root, EXPRESSION_ROOTS);
    return `unknown expression '${expression}'${near ? ` (did you mean '${[near, ...fields].join('.')}'?)` : ''}; expressions start with ${EXPRESSION_ROOTS.join(', ')}`;
  }
  if (!WITH_FIELDS.has(root)) {
    return fields.length > 0 ? `'${root}' takes no field ('${expression}')` : undefined;
  }
  if (fields.some((field) => !SEGMENT.test(field)))
    return `'${expression}' has an empty or invalid field name`;
  if (root === 'body') return undefined;
  if (fields.length !== 1) return `'${expression}' must name one ${root} field, e.g. '${root}.id'`;
  if (root === 'path' && !pathParams.includes(fields[0]!)) {
    const known = pathParams.length > 0 ? pathParams.map((p) => `{${p}}`).join(', ') : 'none';
    return `'${expression}': the route has no parameter '{${fields[0]}}' (its parameters: ${known})`;
  }
  return undefined;
}

/** Every expression in a template value (strings at any depth). */
export function expressionsIn(value: unknown): string[] {
  if (typeof value === 'string') return [...value.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
  if (Array.isArray(value)) return value.flatMap(expressionsIn);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(expressionsIn);
  return [];
}

/** The value of one (checked) expression; undefined when the request lacks it. */
export function evaluate(expression: string, scope: TemplateScope): unknown {
  const [root, ...fields] = expression.split('.');
  switch (root) {
    case 'path':
      return scope.path[fields[0] ?? ''];
    case 'query':
      return scope.query.get(fields[0] ?? '') ?? undefined;
    case 'headers':
      return scope.headers[(fields[0] ?? '').toLowerCase()];
    case 'body':
      return fields.reduce<unknown>(
        (value, field) =>
          value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[field] : undefined,
        scope.body,
      );
    case 'correlation_id':
      return scope.correlationId;
    case 'idempotency_key':
      return scope.idempotencyKey;
    case 'seq':
      return scope.seq;
    case 'uuid':
      return scope.uuid();
    case 'now':
      return new Date().toISOString();
    default:
      return undefined;
  }
}

/** Renders a template value for a request. A missing value is `null` alone, `''` inside text. */
export function render(template: unknown, scope: TemplateScope): unknown {
  if (typeof template === 'string') {
    const whole = /^\{\{\s*([^{}]*?)\s*\}\}$/.exec(template);
    if (whole) return evaluate(whole[1] ?? '', scope) ?? null;
    return template.replace(PLACEHOLDER, (_, expression: string) => {
      const value = evaluate(expression, scope);
      if (value === undefined || value === null) return '';
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    });
  }
  if (Array.isArray(template)) return template.map((item) => render(item, scope));
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([key, value]) => [key, render(value, scope)]));
  }
  return template;
}

/** A UUID v4 from a PRNG (seeded, so a replayed chaos run generates the same ids). */
export function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
