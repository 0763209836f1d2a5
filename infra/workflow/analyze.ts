/**
 * Plan and checks, the stages between the spec and the compiled chain, run once per workflow.
 * The result carries the plan and the check results so `compileWorkflow` and every consumer read
 * them instead of recomputing.
 */

import type { BudgetResult } from './budget.ts';
import { type CheckOptions, checkWorkflow } from './checks.ts';
import { type Diagnostic, formatWarning, sortDiagnostics, WorkflowError } from './diagnostics.ts';
import { type Plan, planWorkflow } from './plan.ts';
import type { WorkflowSpec } from './types.ts';

/** A workflow that passed every check, with what the stages computed. */
export interface AnalyzedWorkflow {
  readonly spec: WorkflowSpec;
  /** The execution plan (sequences and Parallel groups) the compiler emits. */
  readonly plan: Plan;
  /** Worst-case timing of the plan. */
  readonly budget: BudgetResult;
  /** Warnings as printed: `file:line: warning: ...`. */
  readonly warnings: readonly string[];
}

/** Options of {@link analyzeWorkflow}. */
export type AnalyzeOptions = CheckOptions;

/**
 * Plans a workflow and runs the checks stage on it.
 *
 * @throws WorkflowError with every error the checks found
 * @example
 * const analyzed = analyzeWorkflow(loadWorkflowFile('config/order_fulfillment.yaml'), { rootDir: '.' });
 * for (const warning of analyzed.warnings) console.error(warning);
 */
export function analyzeWorkflow(spec: WorkflowSpec, options: AnalyzeOptions = {}): AnalyzedWorkflow {
  const [analyzed] = analyzeWorkflows([spec], options);
  if (analyzed === undefined) throw new Error('unreachable: analyzeWorkflows returned nothing');
  return analyzed;
}

/** {@link analyzeWorkflow} for several workflows, reporting the errors of all of them at once. */
export function analyzeWorkflows(
  specs: readonly WorkflowSpec[],
  options: AnalyzeOptions = {},
): AnalyzedWorkflow[] {
  const errors: Diagnostic[] = [];
  const analyzed = specs.map((spec): AnalyzedWorkflow => {
    const byName = new Map(spec.steps.map((step) => [step.name, step]));
    const plan = planWorkflow({
      names: spec.steps.map((step) => step.name),
      dependsOn: (name) => byName.get(name)?.dependsOn ?? [],
    });
    const checks = checkWorkflow(spec, plan, options);
    errors.push(...checks.errors);
    return {
      spec,
      plan,
      budget: checks.budget,
      warnings: sortDiagnostics(checks.warnings).map(formatWarning),
    };
  });
  if (errors.length > 0) throw new WorkflowError(sortDiagnostics(errors));
  return analyzed;
}
