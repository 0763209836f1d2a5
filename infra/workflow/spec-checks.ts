/**
 * Spec-stage checks zod cannot express: step names, dependencies (unknown, self, duplicate,
 * cycles), error names in `retry_on`, `.$` keys of a fallback, and fields that only make sense
 * together. They run on the raw data even when zod found type errors elsewhere, so one run
 * reports every problem in the file.
 */
import { type Diagnostic, didYouMean } from './diagnostics.ts';
import { retryOnProblem } from './error-name-rules.ts';
import { requestProblems } from './http-request.ts';
import { type TemplateProblem, templatePathProblems } from './payload-paths.ts';
import type { PathSegment, YamlSource } from './yaml-source.ts';

/**
 * Step names become state names, `$.steps.<name>` JSONPaths, Lambda function name parts and file
 * names, so they are identifiers: a letter, then letters, digits and underscores (Tasker uses
 * snake_case). 64 characters leaves room for the ` (fallback)` state suffix within ASL's
 * 80-character state names (aws-limits.ts).
 */
export const STEP_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;
export const MAX_STEP_NAME_LENGTH = 64;

interface RawStepView {
  index: number;
  name?: string;
  deps: { name: string; path: PathSegment[] }[];
  raw: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Runs every cross-field check on the raw (possibly partly invalid) workflow data. */
export function semanticChecks(
  data: Record<string, unknown>,
  source: YamlSource,
  file: string,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const at = (path: PathSegment[], message: string, key = false): void => {
    diagnostics.push({ file, line: source.lineOf(path, key), message });
  };
  const steps = stepViews(data.step_templates);
  const label = (s: RawStepView): string =>
    s.name === undefined ? `step #${s.index + 1}` : `step '${s.name}'`;

  const firstByName = new Map<string, RawStepView>();
  for (const s of steps) {
    if (s.name === undefined) continue;
    const namePath = ['step_templates', s.index, 'name'];
    if (s.name.length > MAX_STEP_NAME_LENGTH) {
      at(
        namePath,
        `step name '${s.name}' is ${s.name.length} characters; the limit is ${MAX_STEP_NAME_LENGTH}`,
      );
    } else if (!STEP_NAME_PATTERN.test(s.name)) {
      const cleaned = s.name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
      const fix = /^[A-Za-z]/.test(cleaned) ? cleaned : `step_${cleaned}`;
      const hint = cleaned.length > 0 ? ` (e.g. '${fix}')` : '';
      at(
        namePath,
        `step name '${s.name}' is not a valid state name: use a letter followed by letters, digits and underscores${hint}`,
      );
    }
    const first = firstByName.get(s.name);
    if (first) {
      const firstLine = source.lineOf(['step_templates', first.index, 'name']);
      at(
        namePath,
        `duplicate step name '${s.name}' (first defined at line ${firstLine}; rename one of them)`,
      );
    } else {
      firstByName.set(s.name, s);
    }
  }

  const names = [...firstByName.keys()];
  for (const s of steps) {
    const seen = new Set<string>();
    for (const dep of s.deps) {
      if (dep.name === s.name) {
        at(dep.path, `${label(s)} depends on itself (remove '${dep.name}' from its dependencies)`);
      } else if (seen.has(dep.name)) {
        at(dep.path, `${label(s)} lists dependency '${dep.name}' twice (remove one)`);
      } else if (!firstByName.has(dep.name)) {
        const others = names.filter((n) => n !== s.name);
        at(dep.path, `${label(s)} depends on unknown step '${dep.name}'${didYouMean(dep.name, others)}`);
      }
      seen.add(dep.name);
    }
    stepFieldChecks(s, label(s), at);
    operatorChecks(s, label(s), data.execution_type === 'express', at);
    compensateChecks(s, label(s), at);
  }

  for (const cycle of findCycles(steps, firstByName)) {
    const [first] = cycle;
    if (first === undefined) continue;
    const start = firstByName.get(first);
    at(
      ['step_templates', start?.index ?? 0],
      `dependency cycle ${[...cycle, first].join(' -> ')} (each step depends on the one before it; remove one of these dependencies)`,
    );
  }

  if (Array.isArray(data.named_steps)) {
    data.named_steps.forEach((n, i) => {
      if (typeof n === 'string' && !firstByName.has(n)) {
        at(['named_steps', i], `named_steps lists unknown step '${n}'${didYouMean(n, names)}`);
      }
    });
  }
  return diagnostics;
}

function stepFieldChecks(
  s: RawStepView,
  label: string,
  at: (path: PathSegment[], message: string, key?: boolean) => void,
): void {
  const base: PathSegment[] = ['step_templates', s.index];
  const { raw } = s;
  if ('fallback' in raw && raw.on_failure !== 'continue') {
    at(
      [...base, 'fallback'],
      `${label}: fallback is only used with on_failure: continue (add on_failure: continue or remove fallback)`,
      true,
    );
  }
  if (isRecord(raw.fallback) && raw.on_failure === 'continue') {
    for (const [path, problem] of fallbackProblems(raw.fallback)) {
      at([...base, 'fallback', ...path], `${label}: fallback.${fieldPath(path)} ${problem}`, true);
    }
  }
  if (
    typeof raw.default_retry_limit === 'number' &&
    isRecord(raw.retry) &&
    typeof raw.retry.limit === 'number' &&
    raw.retry.limit !== raw.default_retry_limit
  ) {
    at(
      [...base, 'retry', 'limit'],
      `${label}: retry.limit (${raw.retry.limit}) contradicts default_retry_limit (${raw.default_retry_limit}) (keep one of them)`,
      true,
    );
  }
  if (typeof raw.handler === 'string') {
    const h = raw.handler;
    if (h.startsWith('/') || h.split(/[\\/]/).includes('..') || !h.endsWith('.ts')) {
      at(
        [...base, 'handler'],
        `${label}: handler '${h}' must be a .ts file path relative to the project root, e.g. lambdas/steps/my-step.ts`,
      );
    }
  }
  const retryOn = isRecord(raw.retry) ? raw.retry.retry_on : undefined;
  if (Array.isArray(retryOn)) {
    retryOn.forEach((errorName, i) => {
      if (typeof errorName !== 'string') return;
      const problem = retryOnProblem(errorName);
      if (problem) at([...base, 'retry', 'retry_on', i], `${label}: retry.retry_on: ${problem}`);
    });
  }
}

/** A handler class name: `Name` or `Module::Name` parts, each a constant name. */
const HANDLER_CLASS_PATTERN = /^[A-Z][A-Za-z0-9]*(::[A-Z][A-Za-z0-9]*)*$/;

function operatorChecks(
  s: RawStepView,
  label: string,
  express: boolean,
  at: (path: PathSegment[], message: string, key?: boolean) => void,
): void {
  const base: PathSegment[] = ['step_templates', s.index];
  const { raw } = s;
  if ('operator_timeout_seconds' in raw && raw.on_failure !== 'await_operator') {
    at(
      [...base, 'operator_timeout_seconds'],
      `${label}: operator_timeout_seconds is only used with on_failure: await_operator (add it or remove operator_timeout_seconds)`,
      true,
    );
  }
  if (raw.on_failure === 'await_operator' && express) {
    at(
      [...base, 'on_failure'],
      `${label}: on_failure: await_operator needs execution_type: standard (Express workflows cannot wait for a task token)`,
    );
  }
}

function compensateChecks(
  s: RawStepView,
  label: string,
  at: (path: PathSegment[], message: string, key?: boolean) => void,
): void {
  const { compensate } = s.raw;
  if (!isRecord(compensate)) return;
  const base: PathSegment[] = ['step_templates', s.index, 'compensate'];
  const hasRequest = 'request' in compensate;
  const hasClass = 'handler_class' in compensate;
  if (hasRequest === hasClass) {
    at(
      base,
      `${label}: compensate needs exactly one of request: (an HTTP call to the step's service) or handler_class: (a module), got ${hasRequest ? 'both' : 'neither'}`,
      true,
    );
  }
  if (hasRequest) {
    for (const [path, message] of requestProblems(compensate.request)) {
      at(
        [...base, 'request', ...path],
        `${label}: ${message.replaceAll('handler_config.request', 'compensate.request')}`,
      );
    }
  }
  const cls = compensate.handler_class;
  if (typeof cls === 'string' && !HANDLER_CLASS_PATTERN.test(cls)) {
    at(
      [...base, 'handler_class'],
      `${label}: compensate.handler_class '${cls}' must be a class name such as UndoChargeCardHandler or Billing::StepHandlers::UndoChargeCardHandler`,
    );
  }
}

/** Keys the compiler adds to every fallback result. */
const RESERVED_FALLBACK_KEYS = ['fallback_used', 'error'];

/** Problems in a fallback result template: `.$` keys must hold paths, compiler keys are reserved. */
function fallbackProblems(fallback: Record<string, unknown>): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  for (const key of Object.keys(fallback)) {
    if (RESERVED_FALLBACK_KEYS.includes(key.replace(/\.\$$/, ''))) {
      problems.push([[key], 'is set by the compiler (fallback_used: true and the error); rename it']);
    }
  }
  problems.push(...templatePathProblems(fallback));
  return problems;
}

/** `a.b[0].c`: a template path as the user reads it. */
function fieldPath(path: PathSegment[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '');
}

function stepViews(stepTemplates: unknown): RawStepView[] {
  if (!Array.isArray(stepTemplates)) return [];
  const views: RawStepView[] = [];
  stepTemplates.forEach((raw, index) => {
    if (!isRecord(raw)) return;
    const view: RawStepView = { index, deps: [], raw };
    if (typeof raw.name === 'string') view.name = raw.name;
    if (typeof raw.depends_on_step === 'string') {
      view.deps.push({ name: raw.depends_on_step, path: ['step_templates', index, 'depends_on_step'] });
    }
    if (Array.isArray(raw.depends_on_steps)) {
      raw.depends_on_steps.forEach((dep, i) => {
        if (typeof dep === 'string') {
          view.deps.push({ name: dep, path: ['step_templates', index, 'depends_on_steps', i] });
        }
      });
    }
    views.push(view);
  });
  return views;
}

/**
 * Elementary cycles found by depth-first search, each reported once, starting at its step that
 * comes first in the file, in execution order (`a -> b` = b depends on a).
 */
function findCycles(steps: RawStepView[], byName: Map<string, RawStepView>): string[][] {
  const dependents = new Map<string, string[]>();
  for (const s of steps) {
    if (s.name === undefined || byName.get(s.name) !== s) continue;
    for (const dep of s.deps) {
      if (dep.name === s.name || !byName.has(dep.name)) continue;
      dependents.set(dep.name, [...(dependents.get(dep.name) ?? []), s.name]);
    }
  }
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (name: string): void => {
    state.set(name, 'active');
    stack.push(name);
    for (const next of dependents.get(name) ?? []) {
      const s = state.get(next);
      if (s === 'active') cycles.push(rotateToFirst(stack.slice(stack.indexOf(next)), byName));
      else if (s === undefined) visit(next);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of byName.keys()) if (!state.has(name)) visit(name);
  return cycles;
}

function rotateToFirst(cycle: string[], byName: Map<string, RawStepView>): string[] {
  let start = 0;
  cycle.forEach((name, i) => {
    const current = byName.get(cycle[start] ?? '')?.index ?? 0;
    if ((byName.get(name)?.index ?? 0) < current) start = i;
  });
  return [...cycle.slice(start), ...cycle.slice(0, start)];
}
