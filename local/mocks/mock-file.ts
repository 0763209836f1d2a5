/**
 * `config/<workflow>.mocks.yaml`: offline stand-ins for the services a workflow calls, keyed by
 * the steps' service keys. Parsed with the compiler's YAML reader, so every problem is reported
 * as `file:line: message`, all at once, without a stack trace. The format is documented in
 * docs/local-runtime.md ("Mock files").
 */
import { readFileSync } from 'node:fs';
import {
  type Diagnostic,
  didYouMean,
  sortDiagnostics,
  WorkflowError,
} from '../../infra/workflow/diagnostics.ts';
import { type PathSegment, parseYaml, type YamlSource } from '../../infra/workflow/yaml-source.ts';
import { type ParsedRouteKey, parseRouteKey } from '../simulators/routes.ts';
import type { OutageFault } from '../simulators/types.ts';
import { expressionProblem, expressionsIn } from './templates.ts';

/** One possible answer of a route. */
export interface MockAnswer {
  /** Expression -> value; the answer applies when every one is equal. @default always */
  readonly when: ReadonlyArray<readonly [string, unknown]>;
  /** @default 200 */
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Template of the JSON body (`null`: no body). @default {} */
  readonly body: unknown;
}

/** One route of a mocked service. */
export interface MockRoute {
  readonly key: string;
  readonly parsed: ParsedRouteKey;
  /** @default by method: GET and HEAD read, the others write */
  readonly write: boolean | undefined;
  /** Expressions the request must carry; a missing one is answered 400 `MISSING_FIELD`. */
  readonly required: readonly string[];
  /** Tried in order; the last one has no `when`. */
  readonly answers: readonly MockAnswer[];
  readonly line: number;
}

/** One mocked service. */
export interface MockService {
  readonly name: string;
  /** @default 0 */
  readonly latencyMs: number;
  readonly routes: readonly MockRoute[];
  readonly line: number;
}

/** One `outages:` entry: a service (or one route) down for a period after the services start. */
export interface MockOutage {
  readonly service: string;
  /** @default every route ('*') */
  readonly route: string;
  readonly fault: OutageFault;
  readonly line: number;
}

/** A parsed mock file. */
export interface MockFile {
  readonly file: string;
  /** A module (repo-relative) exporting `createSimulatedServices`, for services written in code. */
  readonly simulators?: { readonly module: string; readonly line: number };
  readonly services: readonly MockService[];
  /** @default none */
  readonly outages?: readonly MockOutage[];
}

const TOP_FIELDS = ['simulators', 'services', 'outages'];
const OUTAGE_FIELDS = ['service', 'route', 'start_seconds', 'duration_seconds', 'answer'];
const SERVICE_FIELDS = ['latency_ms', 'routes'];
const ANSWER_FIELDS = ['when', 'status', 'headers', 'body'];
const ROUTE_FIELDS = ['required', 'write', 'answers', ...ANSWER_FIELDS];

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Collects diagnostics while walking the document. */
class Checker {
  readonly diagnostics: Diagnostic[] = [];
  readonly file: string;
  readonly source: YamlSource;

  constructor(file: string, source: YamlSource) {
    this.file = file;
    this.source = source;
  }

  report(path: readonly PathSegment[], message: string, key = false): void {
    this.diagnostics.push({ file: this.file, line: this.source.lineOf(path, key), message });
  }

  line(path: readonly PathSegment[], key = false): number {
    return this.source.lineOf(path, key);
  }

  /** Reports fields outside `known` (with a suggestion); `where` prefixes the message. */
  knownFields(value: Obj, known: readonly string[], path: readonly PathSegment[], where: string): void {
    for (const field of Object.keys(value)) {
      if (!known.includes(field))
        this.report([...path, field], `${where}unknown field '${field}'${didYouMean(field, known)}`, true);
    }
  }

  /** Reports each bad expression in a template at the line of the value holding it. */
  expressions(value: unknown, params: readonly string[], path: readonly PathSegment[], where: string): void {
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        this.expressions(item, params, [...path, index], where);
      });
    } else if (isObject(value)) {
      for (const [key, item] of Object.entries(value)) this.expressions(item, params, [...path, key], where);
    } else {
      for (const expression of expressionsIn(value)) {
        const problem = expressionProblem(expression, params);
        if (problem) this.report(path, `${where}: ${problem}`);
      }
    }
  }
}

/**
 * Parses a mock file's text.
 * @throws WorkflowError with every diagnostic found
 */
export function parseMockFile(text: string, file: string): MockFile {
  const { source, diagnostics } = parseYaml(text, file);
  if (!source) throw new WorkflowError(diagnostics);
  const check = new Checker(file, source);
  const data = source.data;
  if (!isObject(data)) {
    check.report([], "a mock file is a mapping with 'services:' (and/or 'simulators:')");
    throw new WorkflowError(check.diagnostics);
  }
  check.knownFields(data, TOP_FIELDS, [], '');
  const simulators = readSimulators(check, data.simulators);
  const services = readServices(check, data, data.simulators !== undefined || check.diagnostics.length > 0);
  const outages = readOutages(check, data.outages);
  if (check.diagnostics.length > 0) throw new WorkflowError(sortDiagnostics(check.diagnostics));
  return {
    file,
    ...(simulators ? { simulators } : {}),
    services,
    ...(outages.length > 0 ? { outages } : {}),
  };
}

/**
 * `outages:` — a list of `{service, route?, start_seconds?, duration_seconds, answer?}`; `answer`
 * is an HTTP status (default 503) or `refuse`. Service and route names are checked against the
 * services when the file is loaded (local/mocks/load-mocks.ts), since a simulators module's
 * services are only known then.
 */
function readOutages(check: Checker, value: unknown): MockOutage[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    check.report(['outages'], "'outages' must be a list of {service, duration_seconds, ...}");
    return [];
  }
  return value.flatMap((entry, index): MockOutage[] => {
    const path = ['outages', index];
    const where = `outage ${index + 1}: `;
    if (!isObject(entry)) {
      check.report(path, `${where}must be a mapping with service and duration_seconds`);
      return [];
    }
    check.knownFields(entry, OUTAGE_FIELDS, path, where);
    const problems = check.diagnostics.length;
    if (typeof entry.service !== 'string' || entry.service === '')
      check.report(
        entry.service === undefined ? path : [...path, 'service'],
        `${where}service is required (a service key)`,
      );
    if (
      entry.route !== undefined &&
      (typeof entry.route !== 'string' || (entry.route !== '*' && 'problem' in parseRouteKey(entry.route)))
    )
      check.report([...path, 'route'], `${where}route must be 'METHOD /path' of the service, or '*'`);
    const duration = entry.duration_seconds;
    if (typeof duration !== 'number' || !(duration > 0) || !Number.isFinite(duration))
      check.report(
        duration === undefined ? path : [...path, 'duration_seconds'],
        `${where}duration_seconds must be a positive number`,
      );
    const start = entry.start_seconds ?? 0;
    if (typeof start !== 'number' || !(start >= 0) || !Number.isFinite(start))
      check.report([...path, 'start_seconds'], `${where}start_seconds must be a non-negative number`);
    const answer = entry.answer ?? 503;
    const validAnswer =
      answer === 'refuse' ||
      (Number.isInteger(answer) && (answer as number) >= 100 && (answer as number) <= 599);
    if (!validAnswer)
      check.report(
        [...path, 'answer'],
        `${where}answer must be an HTTP status (100-599) or 'refuse', got ${JSON.stringify(answer)}`,
      );
    if (check.diagnostics.length > problems) return [];
    const fault: OutageFault = {
      kind: 'outage',
      durationMs: (duration as number) * 1000,
      startInMs: (start as number) * 1000,
      ...(answer === 'refuse' ? { refuse: true } : { status: answer as number }),
    };
    return [
      {
        service: entry.service as string,
        route: (entry.route as string | undefined) ?? '*',
        fault,
        line: check.line(path),
      },
    ];
  });
}

/** Reads and parses a mock file. */
export function loadMockFile(path: string): MockFile {
  return parseMockFile(readFileSync(path, 'utf8'), path);
}

function readSimulators(check: Checker, value: unknown): MockFile['simulators'] {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/\.(ts|mjs|js)$/.test(value)) {
    check.report(
      ['simulators'],
      "'simulators' must be the path of a .ts/.mjs/.js module, relative to the project root",
    );
    return undefined;
  }
  if (value.startsWith('/') || value.split('/').includes('..')) {
    check.report(
      ['simulators'],
      `'simulators' (${value}) must be a path inside the project, relative to its root`,
    );
    return undefined;
  }
  return { module: value, line: check.line(['simulators']) };
}

function readServices(check: Checker, data: Obj, quiet: boolean): MockService[] {
  const value = data.services;
  if (value === undefined) {
    if (!quiet) check.report([], "a mock file needs 'services:' (or 'simulators:')");
    return [];
  }
  if (!isObject(value) || Object.keys(value).length === 0) {
    check.report(['services'], "'services' must map each service key to its routes");
    return [];
  }
  return Object.entries(value).flatMap(([name, service]) => {
    const parsed = readService(check, name, service);
    return parsed ? [parsed] : [];
  });
}

function readService(check: Checker, name: string, value: unknown): MockService | undefined {
  const path = ['services', name];
  const where = `service '${name}': `;
  if (!isObject(value)) {
    check.report(path, `${where}must be a mapping with 'routes:'`);
    return undefined;
  }
  check.knownFields(value, SERVICE_FIELDS, path, where);
  const latency = value.latency_ms ?? 0;
  if (typeof latency !== 'number' || !(latency >= 0)) {
    check.report([...path, 'latency_ms'], `${where}latency_ms must be a non-negative number of milliseconds`);
  }
  if (!isObject(value.routes) || Object.keys(value.routes).length === 0) {
    check.report(
      value.routes === undefined ? path : [...path, 'routes'],
      `${where}'routes' must map 'METHOD /path' to an answer`,
    );
    return undefined;
  }
  const routes = Object.entries(value.routes).flatMap(([key, route]) => {
    const parsed = readRoute(check, name, key, route);
    return parsed ? [parsed] : [];
  });
  return { name, latencyMs: typeof latency === 'number' ? latency : 0, routes, line: check.line(path, true) };
}

function readRoute(check: Checker, service: string, key: string, value: unknown): MockRoute | undefined {
  const path = ['services', service, 'routes', key];
  const where = `service '${service}' route '${key}'`;
  const parsed = parseRouteKey(key);
  if ('problem' in parsed) {
    check.report(path, `service '${service}': ${parsed.problem}`, true);
    return undefined;
  }
  const route: Obj =
    value === null || value === undefined ? {} : isObject(value) ? value : { answers: value };
  if (!isObject(value) && value !== null && value !== undefined && !Array.isArray(value)) {
    check.report(path, `${where}: must be an answer (status, headers, body) or have 'answers:'`);
    return undefined;
  }
  check.knownFields(route, ROUTE_FIELDS, path, `${where}: `);
  const required = readRequired(check, route.required, parsed, [...path, 'required'], where);
  if (route.write !== undefined && typeof route.write !== 'boolean') {
    check.report([...path, 'write'], `${where}: write must be true or false`);
  }
  const answers = readAnswers(check, route, parsed, path, where);
  return {
    key,
    parsed,
    write: typeof route.write === 'boolean' ? route.write : undefined,
    required,
    answers,
    line: check.line(path, true),
  };
}

function readRequired(
  check: Checker,
  value: unknown,
  parsed: ParsedRouteKey,
  path: readonly PathSegment[],
  where: string,
): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    check.report(path, `${where}: required must be a list of fields such as body.order_id`);
    return [];
  }
  for (const [index, expression] of value.entries()) {
    const problem = expressionProblem(expression, parsed.params);
    const root = expression.split('.')[0] ?? '';
    if (problem) check.report([...path, index], `${where}: required: ${problem}`);
    else if (!['query', 'headers', 'body'].includes(root) || expression === 'body')
      check.report(
        [...path, index],
        `${where}: required names a request field (body.x, query.x or headers.x), got '${expression}'`,
      );
  }
  return value as string[];
}

function readAnswers(
  check: Checker,
  route: Obj,
  parsed: ParsedRouteKey,
  path: readonly PathSegment[],
  where: string,
): MockAnswer[] {
  if (route.answers === undefined) return [readAnswer(check, route, parsed, path, where, true)];
  if (ANSWER_FIELDS.some((field) => field in route)) {
    check.report(
      [...path, 'answers'],
      `${where}: give either 'answers:' or one answer's fields (status, headers, body, when), not both`,
      true,
    );
  }
  const answersPath = [...path, 'answers'];
  if (!Array.isArray(route.answers) || route.answers.length === 0) {
    check.report(answersPath, `${where}: answers must be a non-empty list of answers`);
    return [];
  }
  const answers = route.answers.map((answer, index) => {
    if (!isObject(answer)) {
      check.report(
        [...answersPath, index],
        `${where}: answer ${index + 1} must be a mapping (status, headers, body, when)`,
      );
      return readAnswer(check, {}, parsed, [...answersPath, index], where, false);
    }
    check.knownFields(answer, ANSWER_FIELDS, [...answersPath, index], `${where} answer ${index + 1}: `);
    return readAnswer(check, answer, parsed, [...answersPath, index], `${where} answer ${index + 1}`, false);
  });
  if ((answers.at(-1)?.when.length ?? 0) > 0) {
    check.report(
      [...answersPath, answers.length - 1],
      `${where}: the last answer must have no 'when' (it answers every other request)`,
    );
  }
  return answers;
}

function readAnswer(
  check: Checker,
  value: Obj,
  parsed: ParsedRouteKey,
  path: readonly PathSegment[],
  where: string,
  single: boolean,
): MockAnswer {
  const status = value.status ?? 200;
  if (!Number.isInteger(status) || (status as number) < 100 || (status as number) > 599) {
    check.report(
      [...path, 'status'],
      `${where}: status must be an HTTP status code (100-599), got ${JSON.stringify(status)}`,
    );
  }
  const headers: Record<string, string> = {};
  if (value.headers !== undefined) {
    if (!isObject(value.headers))
      check.report([...path, 'headers'], `${where}: headers must map names to values`);
    else for (const [name, text] of Object.entries(value.headers)) headers[name.toLowerCase()] = String(text);
  }
  check.expressions(headers, parsed.params, [...path, 'headers'], `${where} headers`);
  const body = value.body === undefined ? {} : value.body;
  check.expressions(body, parsed.params, [...path, 'body'], `${where} body`);
  const when: Array<[string, unknown]> = [];
  if (value.when !== undefined) {
    if (single)
      check.report([...path, 'when'], `${where}: 'when' belongs to one of several 'answers:'`, true);
    else if (!isObject(value.when))
      check.report([...path, 'when'], `${where}: when must map fields (body.x) to values`);
    else
      for (const [expression, expected] of Object.entries(value.when)) {
        const problem = expressionProblem(expression, parsed.params);
        if (problem) check.report([...path, 'when', expression], `${where} when: ${problem}`, true);
        when.push([expression, expected]);
      }
  }
  return { when, status: Number.isInteger(status) ? (status as number) : 200, headers, body };
}
