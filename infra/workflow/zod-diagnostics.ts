/**
 * zod issues -> diagnostics that name the step and the field: `step 'x': retry.jitter must be
 * 'full' or 'none', got 'partial'`, `unknown field 'depends_on' (did you mean 'depends_on_step'?)`.
 */
import type { z } from 'zod';
import { type Diagnostic, didYouMean } from './diagnostics.ts';
import { KNOWN_FIELDS } from './schema.ts';
import type { PathSegment, YamlSource } from './yaml-source.ts';

/** Turns zod issues into diagnostics that name the step and the field. */
export function zodDiagnostics(
  issues: readonly z.core.$ZodIssue[],
  data: Record<string, unknown>,
  source: YamlSource,
  file: string,
): Diagnostic[] {
  return issues.flatMap((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const { prefix, fieldPath } = context(path, data);
    if (issue.code === 'unrecognized_keys') {
      const known = knownFieldsAt(path);
      const qualify = (key: string): string => joinField([...fieldPath, key]);
      return issue.keys.map((key) => ({
        file,
        line: source.lineOf([...path, key], true),
        message: `${prefix}unknown field '${qualify(key)}'${misplacedHint(key, path) ?? didYouMean(key, known).replace(/'(.*)'/, (_, k: string) => `'${qualify(k)}'`)}`,
      }));
    }
    const value = valueAt(data, path);
    if (value !== undefined && fieldPath.length === 0) {
      return [
        {
          file,
          line: source.lineOf(path),
          message: `${prefix.replace(/: $/, '')} ${issue.message}, got ${describe(value)}`,
        },
      ];
    }
    if (value === undefined) {
      return [
        {
          file,
          line: source.lineOf(path.slice(0, -1)),
          message: `${prefix}missing required field '${joinField(fieldPath)}'`,
        },
      ];
    }
    return [
      {
        file,
        line: source.lineOf(path),
        message: `${prefix}${joinField(fieldPath)} ${issue.message}, got ${describe(value)}`,
      },
    ];
  });
}

/** `step 'x': ` for paths inside a step, and the field path relative to that step. */
function context(
  path: PathSegment[],
  data: Record<string, unknown>,
): { prefix: string; fieldPath: PathSegment[] } {
  if (path[0] === 'step_templates' && typeof path[1] === 'number') {
    const name = valueAt(data, ['step_templates', path[1], 'name']);
    const label = typeof name === 'string' ? `step '${name}'` : `step #${path[1] + 1}`;
    return { prefix: `${label}: `, fieldPath: path.slice(2) };
  }
  return { prefix: '', fieldPath: path };
}

/** ` (x belongs under retry:)` when an unknown key is a known field of another level. */
function misplacedHint(key: string, path: PathSegment[]): string | undefined {
  const inStep = path[0] === 'step_templates' && path.length === 2;
  const inRetry = path.at(-1) === 'retry' || path.at(-1) === 'retry_defaults';
  const stepField = (KNOWN_FIELDS.step as readonly string[]).includes(key);
  const retryField = (KNOWN_FIELDS.retry as readonly string[]).includes(key);
  const workflowField = (KNOWN_FIELDS.workflow as readonly string[]).includes(key);
  if (inStep && retryField) return ` (${key} belongs under retry:)`;
  if (inStep && workflowField) return ` (${key} is a workflow field: move it to the top level)`;
  if (path.at(-1) === 'retry_defaults' && workflowField)
    return ` (${key} is a workflow field: move it to the top level)`;
  if (inRetry && stepField) return ` (${key} is a step field: move it out of ${String(path.at(-1))}:)`;
  if (path.length === 0 && stepField)
    return ` (${key} is a step field: put it on a step under step_templates)`;
  if (path.length === 0 && retryField) return ` (${key} belongs under retry_defaults:)`;
  return undefined;
}

function knownFieldsAt(path: PathSegment[]): readonly string[] {
  const last = path.at(-1);
  const beforeLast = path.at(-2);
  if (path.length === 0) return KNOWN_FIELDS.workflow;
  if (path[0] === 'step_templates' && path.length === 2) return KNOWN_FIELDS.step;
  if (last === 'retry') return KNOWN_FIELDS.retry;
  if (last === 'retry_defaults') return KNOWN_FIELDS.retry_defaults;
  if (path.length === 1 && last === 'api') return KNOWN_FIELDS.api;
  if (path.length === 1 && last === 'deployment') return KNOWN_FIELDS.deployment;
  if (last === 'compensate') return KNOWN_FIELDS.compensate;
  if (beforeLast === 'notifications') return KNOWN_FIELDS.notification;
  if (last === 'target') return KNOWN_FIELDS.target;
  if (beforeLast === 'custom_events') return KNOWN_FIELDS.custom_event;
  return [];
}

function joinField(path: PathSegment[]): string {
  return path.reduce<string>(
    (out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${p}` : p),
    '',
  );
}

function valueAt(data: unknown, path: PathSegment[]): unknown {
  let current = data;
  for (const p of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[p];
  }
  return current;
}

/** A short, human description of a YAML value for "got ..." messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
  return String(value);
}
