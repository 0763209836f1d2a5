/**
 * Compile-time time budget: warn when one step's worst case exceeds the workflow's timeout, and
 * refuse an Express workflow whose compiled plan could run past Express's 5-minute limit.
 */
import type { Diagnostic } from './diagnostics.ts';
import { type Plan, planMakespan } from './plan.ts';
import { stepBudget } from './retry.ts';
import type { WorkflowSpec } from './types.ts';

/** Express executions are stopped after 5 minutes. */
export const EXPRESS_LIMIT_SECONDS = 300;

/** Warnings (printed, not fatal) and errors (fatal) from the budget check. */
export interface BudgetResult {
  warnings: Diagnostic[];
  errors: Diagnostic[];
  /** Worst case of the whole compiled plan and the steps on its longest route. */
  worstCase: { seconds: number; path: string[] };
}

/**
 * Checks a workflow's worst-case timing. The workflow's worst case is the makespan of the
 * compiled plan (what Parallel states really wait for), not just the dependency critical path.
 */
export function checkBudget(spec: WorkflowSpec, plan: Plan): BudgetResult {
  const byName = new Map(spec.steps.map((s) => [s.name, s]));
  const worstCase = planMakespan(plan, (n) => {
    const step = byName.get(n);
    return step ? stepBudget(step).seconds : 0;
  });
  const warnings: Diagnostic[] = [];
  const errors: Diagnostic[] = [];
  if (spec.timeoutSeconds !== undefined) {
    for (const step of spec.steps) {
      const b = stepBudget(step);
      if (b.seconds > spec.timeoutSeconds) {
        warnings.push({
          file: spec.file,
          line: step.line,
          message:
            `step '${step.name}' could run ${round(b.seconds)} s in the worst case ` +
            `(${b.attempts} attempts x ${step.timeoutSeconds} s + ${round(b.waitSeconds)} s of retry waits), ` +
            `longer than the workflow's timeout_seconds (${spec.timeoutSeconds})`,
        });
      }
    }
  }
  if (spec.executionType === 'EXPRESS' && worstCase.seconds > EXPRESS_LIMIT_SECONDS) {
    errors.push({
      file: spec.file,
      line: spec.lines.execution_type ?? 1,
      message:
        `express workflow could run ${round(worstCase.seconds)} s in the worst case (critical path: ${worstCase.path.join(' -> ')}), ` +
        `over Express's ${EXPRESS_LIMIT_SECONDS} s limit (lower retry limits or timeouts, or use execution_type: standard)`,
    });
  }
  return { warnings, errors, worstCase };
}

function round(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}
