/**
 * The checks stage: every check that needs the whole spec, its plan or the project's files. It
 * runs once per workflow, and `npm run asl` and `npx cdk synth` both run it, so they report the
 * same errors and warnings:
 * - the time budget (a step's worst case over the workflow timeout; Express's 5 minutes);
 * - handler modules: a step needs its module file, or `handler_config.request`;
 * - declarative HTTP steps need a service to call;
 * - a request timeout not below the step timeout;
 * - AWS limits known before deployment: the stack name, description lengths, and (on the
 *   compiled definition) Step Functions' 1 MB definition size.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFINITION_WARNING_RATIO,
  MAX_DEFINITION_BYTES,
  MAX_LAMBDA_ARN_LENGTH,
  MAX_LAMBDA_DESCRIPTION_LENGTH,
  STACK_NAME_PATTERN,
} from './aws-limits.ts';
import { type BudgetResult, checkBudget } from './budget.ts';
import type { Diagnostic } from './diagnostics.ts';
import { workflowStackName } from './names.ts';
import type { Plan } from './plan.ts';
import { stageRan } from './stage-events.ts';
import type { StepSpec, WorkflowSpec } from './types.ts';

/** Options of {@link checkWorkflow}. */
export interface CheckOptions {
  /**
   * Project root the handler modules are resolved against; each step's module must exist there
   * (the built-in HTTP step handler is the stack's to check). `npm run asl` and synth pass it.
   * @default not checked (library use on generated workflows without modules)
   */
  readonly rootDir?: string | undefined;
}

/** What the checks found. */
export interface CheckResult {
  readonly errors: Diagnostic[];
  readonly warnings: Diagnostic[];
  readonly budget: BudgetResult;
}

/** Runs every check of the checks stage on one workflow and its plan. */
export function checkWorkflow(spec: WorkflowSpec, plan: Plan, options: CheckOptions = {}): CheckResult {
  stageRan('checks', spec.file);
  const budget = checkBudget(spec, plan);
  const errors: Diagnostic[] = [...budget.errors, ...stackNameProblems(spec)];
  const warnings: Diagnostic[] = [...budget.warnings];
  for (const step of spec.steps) {
    const at = (line: number | undefined, message: string): Diagnostic => ({
      file: spec.file,
      line: line ?? step.line,
      message,
    });
    if (options.rootDir !== undefined) {
      const missing = missingModule(step, options.rootDir);
      if (missing !== undefined) errors.push(at(missing.line, missing.message));
      const undo = step.compensate;
      if (undo?.handlerOrigin === 'handler_class' && !existsSync(join(options.rootDir, undo.handlerPath))) {
        errors.push(
          at(
            undo.line,
            `step '${step.name}': compensate.handler_class ${undo.handlerClass} needs its module ${undo.handlerPath} (create it, or fix the class name)`,
          ),
        );
      }
    }
    if (step.compensate?.handlerOrigin === 'http') {
      if (step.service === undefined) {
        errors.push(
          at(
            step.compensate.line,
            `step '${step.name}': compensate.request calls the step's service, but the step has none: set handler_config.url (or handler_config.service)`,
          ),
        );
      } else if (step.serviceUrl === undefined) {
        warnings.push(
          at(
            step.compensate.line,
            `step '${step.name}': compensate.request has no handler_config.url to call: it can only call service '${step.service}' where the offline runtime provides it (set url for a deployment)`,
          ),
        );
      }
    }
    const service = httpServiceProblem(spec, step);
    if (service?.fatal) errors.push(at(step.lines['handler_config.request'], service.message));
    else if (service) warnings.push(at(step.lines['handler_config.request'], service.message));
    if (step.requestTimeoutMs >= step.timeoutSeconds * 1000) {
      warnings.push(
        at(
          step.lines['handler_config.request_timeout_seconds'],
          `step '${step.name}' handler_config.request_timeout_seconds (${step.requestTimeoutMs / 1000}) is not below timeout_seconds (${step.timeoutSeconds}): a slow service will end in a Lambda timeout instead of a retryable error`,
        ),
      );
    }
    if ((step.description?.length ?? 0) > MAX_LAMBDA_DESCRIPTION_LENGTH) {
      warnings.push(
        at(
          step.lines.description,
          `step '${step.name}': description is ${step.description?.length} characters; its Lambda function keeps the first ${MAX_LAMBDA_DESCRIPTION_LENGTH} (Lambda's limit; the state's Comment keeps all of it)`,
        ),
      );
    }
  }
  warnings.push(...operatorTimeoutWarnings(spec), ...breakerMismatchWarnings(spec));
  return { errors, warnings, budget };
}

/** An operator wait longer than the workflow's timeout: the execution times out first. */
function operatorTimeoutWarnings(spec: WorkflowSpec): Diagnostic[] {
  const limit = spec.timeoutSeconds;
  if (limit === undefined) return [];
  return spec.steps.flatMap((step): Diagnostic[] =>
    step.operatorTimeoutSeconds !== undefined && step.operatorTimeoutSeconds > limit
      ? [
          {
            file: spec.file,
            line: step.line,
            message: `step '${step.name}' waits up to ${step.operatorTimeoutSeconds} s for an operator (operator_timeout_seconds), longer than the workflow's timeout_seconds (${limit}): the execution times out first`,
          },
        ]
      : [],
  );
}

/**
 * Steps of one service share its breaker state (one item in the table); their settings should
 * agree, or the service's breaker opens and cools down differently depending on the caller.
 */
function breakerMismatchWarnings(spec: WorkflowSpec): Diagnostic[] {
  const first = new Map<string, StepSpec>();
  const warnings: Diagnostic[] = [];
  for (const step of spec.steps) {
    if (step.service === undefined) continue;
    const earlier = first.get(step.service);
    if (earlier === undefined) {
      first.set(step.service, step);
    } else if (JSON.stringify(earlier.circuitBreaker) !== JSON.stringify(step.circuitBreaker)) {
      warnings.push({
        file: spec.file,
        line: step.lines['handler_config.circuit_breaker'] ?? step.line,
        message: `step '${step.name}' sets circuit breaker settings for service '${step.service}' that differ from step '${earlier.name}'s; both share one breaker, so give them the same settings (or set them once in the workflow's circuit_breaker)`,
      });
    }
  }
  return warnings;
}

/** The module a step runs must exist; the message says how to fix it. */
function missingModule(step: StepSpec, rootDir: string): { line?: number; message: string } | undefined {
  if (step.handlerOrigin === 'http' || existsSync(join(rootDir, step.handlerPath))) return undefined;
  if (step.handlerOrigin === 'handler') {
    return {
      ...(step.lines.handler === undefined ? {} : { line: step.lines.handler }),
      message: `step '${step.name}': handler module ${step.handlerPath} not found (create it, or fix handler:)`,
    };
  }
  return {
    message: `step '${step.name}' has no handler module: create ${step.handlerPath}, or make it a declarative HTTP step with handler_config.request`,
  };
}

/**
 * A declarative HTTP step without any service key cannot be called anywhere (error); one with a
 * service but no URL can only be called where the offline runtime provides that service (warning).
 */
function httpServiceProblem(
  spec: WorkflowSpec,
  step: StepSpec,
): { fatal: boolean; message: string } | undefined {
  if (step.handlerOrigin !== 'http') return undefined;
  const where = spec.environment === undefined ? '' : ` in environment '${spec.environment}'`;
  if (step.service === undefined) {
    return {
      fatal: true,
      message: `step '${step.name}' is a declarative HTTP step with no service to call${where}: set handler_config.url to the service's base URL (e.g. url: https://payments.example.com)`,
    };
  }
  if (step.serviceUrl !== undefined) return undefined;
  return {
    fatal: false,
    message: `step '${step.name}' has no handler_config.url${where}: it can only call service '${step.service}' where the offline runtime provides it (set url for a deployment)`,
  };
}

function stackNameProblems(spec: WorkflowSpec): Diagnostic[] {
  const stackName = workflowStackName(spec.name);
  if (STACK_NAME_PATTERN.test(stackName)) return [];
  return [
    {
      file: spec.file,
      line: spec.lines.name ?? 1,
      message: `workflow name '${spec.name}' gives the stack name '${stackName}', which CloudFormation does not accept (1-128 letters, digits and '-', starting with a letter); rename the workflow`,
    },
  ];
}

/**
 * The definition's size as Step Functions will count it: UTF-8 bytes, with each Lambda ARN
 * counted at its longest (the deployed function names are only known after deployment). `text`
 * is the definition with every ARN replaced by `arnMarker`, so `npm run asl` (placeholder ARNs)
 * and synth (CloudFormation references) measure the same number.
 */
export function definitionBytes(text: string, arnMarker: string): number {
  const arns = text.split(arnMarker).length - 1;
  return Buffer.byteLength(text) - arns * Buffer.byteLength(arnMarker) + arns * MAX_LAMBDA_ARN_LENGTH;
}

/** The definition-size check: an error over Step Functions' 1 MB, a warning from 80 %. */
export function checkDefinitionSize(
  spec: WorkflowSpec,
  bytes: number,
): { errors: Diagnostic[]; warnings: Diagnostic[] } {
  const why =
    'it grows with the steps and their requests and fallbacks; splitting the workflow in two, or shorter requests, keep it smaller';
  const at = (message: string): Diagnostic[] => [{ file: spec.file, line: spec.lines.name ?? 1, message }];
  if (bytes > MAX_DEFINITION_BYTES) {
    return {
      errors: at(
        `the compiled definition is ${bytes} bytes, over Step Functions' ${MAX_DEFINITION_BYTES}-byte limit (${why})`,
      ),
      warnings: [],
    };
  }
  if (bytes < MAX_DEFINITION_BYTES * DEFINITION_WARNING_RATIO) return { errors: [], warnings: [] };
  const share = Math.floor((bytes / MAX_DEFINITION_BYTES) * 100);
  return {
    errors: [],
    warnings: at(
      `the compiled definition is ${bytes} bytes, ${share}% of Step Functions' ${MAX_DEFINITION_BYTES}-byte limit (${why})`,
    ),
  };
}
