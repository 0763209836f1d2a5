/** The workflow compiler: YAML workflow files -> typed specs -> Step Functions definitions. */
export { type BudgetResult, checkBudget, EXPRESS_LIMIT_SECONDS } from './budget.ts';
export { MAX_STEP_NAME_LENGTH, STEP_NAME_PATTERN } from './checks.ts';
export {
  type CompiledWorkflow,
  type CompileOptions,
  compileWorkflow,
  fallbackStateName,
} from './compile.ts';
export {
  closestMatch,
  type Diagnostic,
  didYouMean,
  formatDiagnostic,
  runOrExit,
  WorkflowError,
} from './diagnostics.ts';
export { retryOnProblem, STATES_ERRORS } from './error-name-rules.ts';
export { MAX_STATE_NAME_LENGTH } from './names.ts';
export {
  checkHandlerModules,
  DEFAULTS,
  defaultHandlerPath,
  loadWorkflowFile,
  loadWorkflows,
  parseWorkflow,
  pathSafeName,
} from './parse.ts';
export {
  criticalPath,
  MAX_PARALLEL_DEPTH,
  type Plan,
  planMakespan,
  planSteps,
  planWorkflow,
  type StepGraph,
} from './plan.ts';
export {
  MAX_DEFINITION_CHARACTERS,
  PLACEHOLDER_ACCOUNT,
  placeholderFunctionArn,
  renderDefinition,
  renderWithWarnings,
} from './render.ts';
export { type AslRetrier, backoffDelaySeconds, retriersFor, type StepBudget, stepBudget } from './retry.ts';
export type { RetryPolicy, StepSpec, WorkflowSpec } from './types.ts';
