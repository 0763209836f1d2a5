/**
 * The `handler_config` fields the compiler and the stack read. The mapping is free-form (Tasker
 * keeps a handler's own settings there, and the step's module receives all of it as
 * `HANDLER_CONFIG`), but these fields have a meaning here, so their types and ranges are checked:
 * for the base file and for every `environments` override merged into it.
 */
import { LAMBDA_MEMORY_MB } from './aws-limits.ts';
import { circuitBreakerProblems } from './circuit-breaker.ts';
import { requestProblems } from './http-request.ts';
import { MAX_STEP_TIMEOUT_SECONDS } from './schema.ts';
import type { PathSegment } from './yaml-source.ts';
import { describe } from './zod-diagnostics.ts';

/** One problem: where it is (under `handler_config`) and the whole message after the step label. */
export type ConfigProblem = readonly [path: PathSegment[], message: string];

/** What the step says outside `handler_config` that changes which rules apply. */
export interface ConfigContext {
  /** The step names a `handler:` module (so a `request` is data for it, not a built-in HTTP call). */
  readonly hasHandler: boolean;
  /** The step sets `timeout_seconds` (so `handler_config.timeout_seconds`, Tasker's place, is unused). */
  readonly hasTimeout: boolean;
}

function got(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

/** Every problem of the known fields of one (possibly merged) `handler_config`. */
export function handlerConfigProblems(
  config: Readonly<Record<string, unknown>>,
  context: ConfigContext,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { service, url, memory_mb, request_timeout_seconds, timeout_seconds, request } = config;
  if (service !== undefined && (typeof service !== 'string' || service === '')) {
    problems.push([['service'], `handler_config.service must be a service name, got ${describe(service)}`]);
  }
  const isHttp = request !== undefined && !context.hasHandler;
  if (url !== undefined) {
    const problem = typeof url === 'string' ? urlProblem(url, isHttp) : 'must be a string';
    if (problem !== undefined) problems.push([['url'], `handler_config.url ${problem}, got ${got(url)}`]);
  }
  if (
    memory_mb !== undefined &&
    !(
      Number.isInteger(memory_mb) &&
      Number(memory_mb) >= LAMBDA_MEMORY_MB.min &&
      Number(memory_mb) <= LAMBDA_MEMORY_MB.max
    )
  ) {
    problems.push([
      ['memory_mb'],
      `handler_config.memory_mb must be an integer from ${LAMBDA_MEMORY_MB.min} to ${LAMBDA_MEMORY_MB.max} (Lambda's limits), got ${got(memory_mb)}`,
    ]);
  }
  if (
    request_timeout_seconds !== undefined &&
    !(
      typeof request_timeout_seconds === 'number' &&
      request_timeout_seconds > 0 &&
      request_timeout_seconds <= MAX_STEP_TIMEOUT_SECONDS
    )
  ) {
    problems.push([
      ['request_timeout_seconds'],
      `handler_config.request_timeout_seconds must be a number of seconds above 0 and at most ${MAX_STEP_TIMEOUT_SECONDS}, got ${got(request_timeout_seconds)}`,
    ]);
  }
  if (
    timeout_seconds !== undefined &&
    !context.hasTimeout &&
    !(
      Number.isInteger(timeout_seconds) &&
      Number(timeout_seconds) >= 1 &&
      Number(timeout_seconds) <= MAX_STEP_TIMEOUT_SECONDS
    )
  ) {
    problems.push([
      ['timeout_seconds'],
      `handler_config.timeout_seconds (Tasker's step timeout) must be an integer from 1 to ${MAX_STEP_TIMEOUT_SECONDS}, got ${got(timeout_seconds)}`,
    ]);
  }
  if (request !== undefined) {
    for (const [path, message] of requestProblems(request)) problems.push([['request', ...path], message]);
  }
  if (config.circuit_breaker !== undefined) {
    for (const [path, message] of circuitBreakerProblems(
      config.circuit_breaker,
      'handler_config.circuit_breaker',
    ))
      problems.push([['circuit_breaker', ...path], message]);
  }
  return problems;
}

/**
 * A module step may keep any text in `url` (its module reads it); an HTTP step's `url` is the base
 * its request path is appended to, so it must be an absolute http(s) URL.
 */
function urlProblem(url: string, isHttp: boolean): string | undefined {
  if (!isHttp) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "must be the service's base URL, e.g. https://payments.example.com";
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return 'must be an http:// or https:// URL';
  if (parsed.search !== '' || parsed.hash !== '') {
    return "must be a base URL without '?' or '#' (put query parameters under request.query)";
  }
  return undefined;
}

/**
 * The service key of a step: `handler_config.service`, else the workflow's
 * `default_dependent_system`, else the host of `handler_config.url` (`payments.example.com`,
 * `127.0.0.1:4010`). The stack writes it as SERVICE_NAME; the offline runtime finds a simulator or
 * mock for the step by it.
 */
export function serviceKey(
  config: Readonly<Record<string, unknown>>,
  defaultDependentSystem: string | undefined,
): string | undefined {
  if (typeof config.service === 'string' && config.service !== '') return config.service;
  if (defaultDependentSystem !== undefined) return defaultDependentSystem;
  if (typeof config.url !== 'string') return undefined;
  try {
    return new URL(config.url).host || undefined;
  } catch {
    return undefined;
  }
}
