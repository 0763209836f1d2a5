/**
 * The workflow compiler, in named stages run once per workflow:
 * parse (yaml-source.ts) -> spec (parse.ts, spec.ts) -> plan (plan.ts) -> checks (checks.ts;
 * analyze.ts runs plan and checks) -> compile (compile.ts). Pure: it builds constructs only inside
 * the scope it is given and never creates a stack.
 */
export { type AnalyzedWorkflow, type AnalyzeOptions, analyzeWorkflow, analyzeWorkflows } from './analyze.ts';
export {
  DEFINITION_WARNING_RATIO,
  LAMBDA_MEMORY_MB,
  MAX_DEFINITION_BYTES,
  MAX_LAMBDA_ARN_LENGTH,
  MAX_LAMBDA_DESCRIPTION_LENGTH,
  MAX_STATE_NAME_LENGTH,
  STACK_NAME_PATTERN,
} from './aws-limits.ts';
export { type BudgetResult, checkBudget, EXPRESS_LIMIT_SECONDS } from './budget.ts';
export {
  type CheckOptions,
  type CheckResult,
  checkDefinitionSize,
  checkWorkflow,
  definitionBytes,
} from './checks.ts';
export {
  type CircuitBreakerSettings,
  circuitBreakerEnvValue,
  circuitOpenAttempts,
} from './circuit-breaker.ts';
export {
  type CompiledWorkflow,
  type CompileOptions,
  compileWorkflow,
  definitionComment,
  fallbackStateName,
} from './compile.ts';
export {
  closestMatch,
  type Diagnostic,
  didYouMean,
  formatDiagnostic,
  formatWarning,
  runOrExit,
  WorkflowError,
} from './diagnostics.ts';
export { deepMerge } from './environments.ts';
export { retryOnProblem, STATES_ERRORS } from './error-name-rules.ts';
export { serviceKey } from './handler-config.ts';
export { HTTP_METHODS, POLICY_HEADERS } from './http-request.ts';
export { workflowStackName } from './names.ts';
export { ALARM_DEFAULT, ALARM_FIELDS, DEPLOYMENT_DEFAULTS, resolveDeployment } from './operations.ts';
export {
  branchGroups,
  MAX_INTRINSICS_PER_FIELD,
  MAX_MERGED_BRANCHES,
  mergeIntrinsicCalls,
  parallelMerge,
} from './parallel-merge.ts';
export {
  collectWorkflows,
  type LoadOptions,
  loadWorkflowFile,
  loadWorkflows,
  MOCK_FILE_PATTERN,
  parseWorkflow,
} from './parse.ts';
export { INTRINSIC_FUNCTIONS, pathValueProblem } from './payload-paths.ts';
export {
  criticalPath,
  MAX_PARALLEL_DEPTH,
  type Plan,
  planMakespan,
  planSteps,
  planWorkflow,
  type StepGraph,
} from './plan.ts';
export { type AslRetrier, backoffDelaySeconds, retriersFor, type StepBudget, stepBudget } from './retry.ts';
export { DEFAULTS, defaultHandlerPath, handlerClassPath, pathSafeName } from './spec.ts';
export { MAX_STEP_NAME_LENGTH, STEP_NAME_PATTERN } from './spec-checks.ts';
export { STAGE_CHANNEL, STAGES, type StageEvent, stageRan } from './stage-events.ts';
export { addRetriers, taskPayload } from './task-parts.ts';
export type {
  AlarmSettings,
  AlarmThreshold,
  CompensationSpec,
  DeploymentSpec,
  NotificationSpec,
  RetryPolicy,
  StepSpec,
  WorkflowSpec,
} from './types.ts';
