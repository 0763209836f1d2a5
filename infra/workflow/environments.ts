/**
 * Tasker `environments`: per-environment overrides of a step's `handler_config`.
 *
 *   environments:
 *     development:
 *       step_templates:
 *         - name: charge_card
 *           handler_config: { url: http://127.0.0.1:4010 }
 *
 * Choosing an environment deep-merges each entry's `handler_config` into that step's: mappings
 * merge key by key, any other value (text, number, list, null) replaces the base value. A file
 * that does not define the chosen environment uses its base values.
 *
 * Every environment of the file is checked, chosen or not, so `cdk synth` without one still
 * catches a broken development override; a merged field is reported at the line its value came
 * from.
 */
import { type Diagnostic, didYouMean } from './diagnostics.ts';
import { type ConfigContext, handlerConfigProblems } from './handler-config.ts';
import type { PathSegment, YamlSource } from './yaml-source.ts';
import { describe } from './zod-diagnostics.ts';

/** One step's override in one environment, and where it is in the file. */
export interface StepOverride {
  readonly config: Readonly<Record<string, unknown>>;
  /** Path of the override's `handler_config` in the file. */
  readonly path: readonly PathSegment[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Names of the environments a file defines, in file order. */
export function environmentNames(data: Record<string, unknown>): string[] {
  return isRecord(data.environments) ? Object.keys(data.environments) : [];
}

/**
 * The overrides of `environment`, by step name (entries that are not well formed are skipped:
 * `environmentProblems` reports them).
 */
export function stepOverrides(data: Record<string, unknown>, environment: string): Map<string, StepOverride> {
  const overrides = new Map<string, StepOverride>();
  const env = isRecord(data.environments) ? data.environments[environment] : undefined;
  if (!isRecord(env) || !Array.isArray(env.step_templates)) return overrides;
  env.step_templates.forEach((entry, i) => {
    if (!isRecord(entry) || typeof entry.name !== 'string' || !isRecord(entry.handler_config)) return;
    if (overrides.has(entry.name)) return;
    overrides.set(entry.name, {
      config: entry.handler_config,
      path: ['environments', environment, 'step_templates', i, 'handler_config'],
    });
  });
  return overrides;
}

/** Tasker's deep merge: mappings merge key by key; anything else in `override` replaces. */
export function deepMerge(
  base: Readonly<Record<string, unknown>>,
  override: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key];
    merged[key] = isRecord(current) && isRecord(value) ? deepMerge(current, value) : value;
  }
  return merged;
}

/**
 * Where the merged value at `relative` (a path under `handler_config`) was written: in the
 * override when it set that value or replaced one of its parents, else in the base file.
 */
export function originPath(
  basePath: readonly PathSegment[],
  override: StepOverride | undefined,
  relative: readonly PathSegment[],
): PathSegment[] {
  if (override === undefined) return [...basePath, ...relative];
  let node: unknown = override.config;
  for (const [depth, segment] of relative.entries()) {
    if (!isRecord(node) || !(String(segment) in node)) {
      // A parent the override replaced (not merged) owns everything under it.
      return depth > 0 && !isRecord(node) ? [...override.path, ...relative] : [...basePath, ...relative];
    }
    node = node[String(segment)];
  }
  return [...override.path, ...relative];
}

/** The structure of the `environments` block: known fields, known steps, one entry per step. */
export function environmentProblems(
  data: Record<string, unknown>,
  source: YamlSource,
  file: string,
): Diagnostic[] {
  const { environments } = data;
  if (!isRecord(environments)) return [];
  const steps = stepNames(data);
  const diagnostics: Diagnostic[] = [];
  const at = (path: PathSegment[], message: string, key = false): void => {
    diagnostics.push({ file, line: source.lineOf(path, key), message });
  };
  for (const [name, env] of Object.entries(environments)) {
    const base: PathSegment[] = ['environments', name];
    // `staging:` with nothing under it is an environment without overrides.
    if (env === null) continue;
    if (!isRecord(env)) {
      at(base, `environment '${name}' must be a mapping with step_templates, got ${describe(env)}`);
      continue;
    }
    for (const key of Object.keys(env)) {
      if (key !== 'step_templates') {
        at(
          [...base, key],
          `environment '${name}': unknown field '${key}' (an environment overrides steps: environments.${name}.step_templates[].handler_config)`,
          true,
        );
      }
    }
    if (env.step_templates === undefined || env.step_templates === null) continue;
    if (!Array.isArray(env.step_templates)) {
      at(
        [...base, 'step_templates'],
        `environment '${name}': step_templates must be a list of {name, handler_config}, got ${describe(env.step_templates)}`,
      );
      continue;
    }
    const seen = new Map<string, number>();
    env.step_templates.forEach((entry, i) => {
      const path = [...base, 'step_templates', i];
      diagnostics.push(...entryProblems(name, entry, path, steps, seen, source, file));
    });
  }
  return diagnostics;
}

function entryProblems(
  env: string,
  entry: unknown,
  path: PathSegment[],
  steps: string[],
  seen: Map<string, number>,
  source: YamlSource,
  file: string,
): Diagnostic[] {
  const problem = (where: PathSegment[], message: string, key = false): Diagnostic => ({
    file,
    line: source.lineOf(where, key),
    message: `environment '${env}': ${message}`,
  });
  if (!isRecord(entry)) {
    return [
      problem(
        path,
        `step_templates[${path.at(-1)}] must be a mapping with name and handler_config, got ${describe(entry)}`,
      ),
    ];
  }
  const out: Diagnostic[] = [];
  const label = typeof entry.name === 'string' ? `step '${entry.name}'` : `step_templates[${path.at(-1)}]`;
  for (const key of Object.keys(entry)) {
    if (key !== 'name' && key !== 'handler_config') {
      out.push(
        problem(
          [...path, key],
          `${label}: unknown field '${key}' (an environment may override only handler_config)`,
          true,
        ),
      );
    }
  }
  if (typeof entry.name !== 'string') {
    out.push(
      problem(
        path,
        entry.name === undefined
          ? `${label} needs the name of the step it overrides`
          : `${label}: name must be a step name, got ${describe(entry.name)}`,
      ),
    );
  } else if (!steps.includes(entry.name)) {
    out.push(
      problem([...path, 'name'], `overrides unknown step '${entry.name}'${didYouMean(entry.name, steps)}`),
    );
  } else {
    const first = seen.get(entry.name);
    if (first !== undefined) {
      out.push(
        problem(
          [...path, 'name'],
          `overrides step '${entry.name}' twice (first at line ${first}; merge the two entries)`,
        ),
      );
    } else {
      seen.set(entry.name, source.lineOf([...path, 'name']));
    }
  }
  if (entry.handler_config !== undefined && !isRecord(entry.handler_config)) {
    out.push(
      problem(
        [...path, 'handler_config'],
        `${label}: handler_config must be a mapping, got ${describe(entry.handler_config)}`,
      ),
    );
  }
  return out;
}

function stepNames(data: Record<string, unknown>): string[] {
  if (!Array.isArray(data.step_templates)) return [];
  return data.step_templates.flatMap((s) => (isRecord(s) && typeof s.name === 'string' ? [s.name] : []));
}

/**
 * Type and range problems of every step's known `handler_config` fields: the base values, then
 * each environment's merged values (only problems the base does not already have, labelled with
 * the environment and placed where the value was written).
 */
export function handlerConfigDiagnostics(
  data: Record<string, unknown>,
  source: YamlSource,
  file: string,
): Diagnostic[] {
  if (!Array.isArray(data.step_templates)) return [];
  const environments = environmentNames(data).map((env) => ({ env, overrides: stepOverrides(data, env) }));
  const diagnostics: Diagnostic[] = [];
  data.step_templates.forEach((step, index) => {
    if (!isRecord(step)) return;
    const config = isRecord(step.handler_config) ? step.handler_config : {};
    const label = typeof step.name === 'string' ? `step '${step.name}'` : `step #${index + 1}`;
    const basePath: PathSegment[] = ['step_templates', index, 'handler_config'];
    const context: ConfigContext = { hasHandler: 'handler' in step, hasTimeout: 'timeout_seconds' in step };
    const baseProblems = handlerConfigProblems(config, context);
    const known = new Set(baseProblems.map(([path, message]) => `${path.join('.')}|${message}`));
    for (const [path, message] of baseProblems) {
      diagnostics.push({
        file,
        line: source.lineOf([...basePath, ...path]),
        message: `${label}: ${message}`,
      });
    }
    for (const { env, overrides } of environments) {
      const override = typeof step.name === 'string' ? overrides.get(step.name) : undefined;
      if (override === undefined) continue;
      for (const [path, message] of handlerConfigProblems(deepMerge(config, override.config), context)) {
        if (known.has(`${path.join('.')}|${message}`)) continue;
        diagnostics.push({
          file,
          line: source.lineOf(originPath(basePath, override, path)),
          message: `${label} in environment '${env}': ${message}`,
        });
      }
    }
  });
  return diagnostics;
}
