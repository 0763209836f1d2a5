/** Route keys (`METHOD /path/{param}`) compiled once into matchers. */

/** The methods a route key may name. */
export const ROUTE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const LITERAL = /^[A-Za-z0-9._~!$&'()*+,;=:@-]+$/;

/** A route key split into its method, literal segments and parameter names. */
export interface ParsedRouteKey {
  readonly method: string;
  readonly path: string;
  /** Parameter names in path order. */
  readonly params: readonly string[];
  readonly pattern: RegExp;
}

/**
 * Parses `POST /orders/{id}/ship`. Returns a problem (a sentence naming what to fix) instead of
 * throwing, so the mock file parser can report it at the key's line.
 */
export function parseRouteKey(key: string): ParsedRouteKey | { problem: string } {
  const match = /^([A-Z]+) (\/\S*)$/.exec(key);
  if (!match) return { problem: `route '${key}' must be 'METHOD /path' (e.g. 'POST /orders/{id}/ship')` };
  const [, method = '', path = ''] = match;
  if (!(ROUTE_METHODS as readonly string[]).includes(method)) {
    return { problem: `route '${key}': method '${method}' is not one of ${ROUTE_METHODS.join(', ')}` };
  }
  const params: string[] = [];
  const parts: string[] = [];
  for (const segment of path.split('/').slice(1)) {
    const param = PARAM.exec(segment)?.[1];
    if (param !== undefined) {
      if (params.includes(param)) return { problem: `route '${key}': parameter '{${param}}' appears twice` };
      params.push(param);
      parts.push(`(?<${param}>[^/]+)`);
    } else if (segment === '' && parts.length === 0 && path === '/') {
      // `GET /`: the service root.
    } else if (LITERAL.test(segment)) {
      parts.push(segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    } else {
      return {
        problem: `route '${key}': path segment '${segment}' is neither a literal nor a '{name}' parameter`,
      };
    }
  }
  return { method, path, params, pattern: new RegExp(`^/${parts.join('/')}$`) };
}

/** Like {@link parseRouteKey}, for keys written in code: a bad key is a programming error. */
export function compileRouteKey(key: string): ParsedRouteKey {
  const parsed = parseRouteKey(key);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed;
}

/** Whether a route of this method replays by Idempotency-Key and counts side effects by default. */
export function isWriteMethod(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

/**
 * The decoded path parameters when `path` matches, else undefined. A malformed percent-encoding
 * does not match (the service answers 404 for it).
 */
export function matchPath(route: ParsedRouteKey, path: string): Record<string, string> | undefined {
  const match = route.pattern.exec(path);
  if (match === null) return undefined;
  const params: Record<string, string> = {};
  try {
    for (const [name, value] of Object.entries(match.groups ?? {})) params[name] = decodeURIComponent(value);
  } catch {
    return undefined;
  }
  return params;
}
