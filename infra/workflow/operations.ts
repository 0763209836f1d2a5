/**
 * Workflow fields for operating a deployed workflow, checked on the raw data (so each problem
 * gets its own `file:line`) and resolved to typed settings for the stack. See
 * docs/operate-yaml.md for the format.
 */
import { circuitBreakerProblems } from './circuit-breaker.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { PathSegment, YamlSource } from './yaml-source.ts';

/** Every problem of the workflow-level operating fields. */
export function operationsDiagnostics(
  data: Record<string, unknown>,
  source: YamlSource,
  file: string,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const at = (path: PathSegment[], message: string, key = false): void => {
    diagnostics.push({ file, line: source.lineOf(path, key), message });
  };
  if (data.circuit_breaker !== undefined) {
    for (const [path, message] of circuitBreakerProblems(data.circuit_breaker, 'circuit_breaker'))
      at(['circuit_breaker', ...path], message, path.length > 0);
  }
  return diagnostics;
}
