/**
 * The compiled definition as plain ASL JSON, without a deployable stack: Lambda ARNs are readable
 * placeholders. Built by the same `compileWorkflow` the stack uses, with the same Comment and
 * TimeoutSeconds, so it is the definition `cdk deploy` ships apart from the ARNs. It lives beside
 * the stack code, not in the compiler, because resolving a chain needs a throwaway CDK stack.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ARN_MARKER, definitionProblems } from './definition-size.ts';
import { sharesHttpSteps } from './resource-budget.ts';
import { stepPayloadConfig } from './step-environment.ts';
import {
  type AnalyzedWorkflow,
  analyzeWorkflow,
  checkDefinitionSize,
  compileWorkflow,
  definitionBytes,
  formatWarning,
  type StepSpec,
  WorkflowError,
  type WorkflowSpec,
} from './workflow/index.ts';

/** Account id used in placeholder ARNs (AWS's documentation account). */
export const PLACEHOLDER_ACCOUNT = '123456789012';

/** `arn:aws:lambda:<region>:123456789012:function:<workflow>-<step>`; region from AWS_REGION, else us-east-1. */
export function placeholderFunctionArn(workflow: string, step: string, region = defaultRegion()): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '_');
  return `arn:aws:lambda:${region}:${PLACEHOLDER_ACCOUNT}:function:${safe(workflow)}-${safe(step)}`;
}

function defaultRegion(): string {
  return process.env.AWS_REGION ?? process.env.CDK_DEFAULT_REGION ?? 'us-east-1';
}

/** A rendered definition and what its size check said. */
export interface RenderedDefinition {
  readonly definition: Record<string, unknown>;
  /** Its size as Step Functions counts it (each Lambda ARN at its longest). */
  readonly bytes: number;
  /** The analysis warnings and the size warning, as printed (`file:line: warning: ...`). */
  readonly warnings: string[];
}

/**
 * Renders a workflow's state machine definition (ASL) with placeholder Lambda ARNs. A spec is
 * analysed first (without the handler-module check); pass an analysed workflow to reuse its plan.
 *
 * @throws WorkflowError when the checks fail or the definition is over 1 MB
 * @example JSON.stringify(renderDefinition(loadWorkflowFile('config/order_fulfillment.yaml')), null, 2)
 */
export function renderDefinition(workflow: WorkflowSpec | AnalyzedWorkflow): Record<string, unknown> {
  return renderAnalyzed('plan' in workflow ? workflow : analyzeWorkflow(workflow)).definition;
}

/** Renders an analysed workflow and checks the definition's size (what `npm run asl` prints). */
export function renderAnalyzed(analyzed: AnalyzedWorkflow): RenderedDefinition {
  const { spec } = analyzed;
  const stack = new Stack(new App(), 'RenderDefinition');
  const region = defaultRegion();
  const arns: string[] = [];
  const placeholder = (id: string, name: string): lambda.IFunction => {
    const existing = stack.node.tryFindChild(id) as lambda.IFunction | undefined;
    if (existing !== undefined) return existing;
    const arn = placeholderFunctionArn(spec.name, name, region);
    arns.push(arn);
    return lambda.Function.fromFunctionArn(stack, id, arn);
  };
  // The same functions the stack gives the compiler (placeholders), so `npm run asl` prints the
  // definition `cdk deploy` ships: shared HTTP steps (when the stack shares them) with their
  // variables in the payload, the operator function, one function per compensation.
  const shared = sharesHttpSteps(spec, 'auto');
  const onShared = (step: StepSpec): boolean => shared && step.handlerOrigin === 'http';
  const options = {
    functionFor: (step: StepSpec) =>
      onShared(step)
        ? placeholder('Function-http-steps', 'http-steps')
        : placeholder(`Function-${step.name}`, step.name),
    operatorFunction: placeholder('Function-operator', 'operator'),
    compensationFunctionFor: (step: StepSpec) =>
      placeholder(`Function-${step.name}-undo`, `${step.name}-undo`),
    stepConfigFor: (step: StepSpec) => (onShared(step) ? stepPayloadConfig(spec, step) : undefined),
  };
  const compiled = compileWorkflow(stack, analyzed, options);
  const graph = new sfn.StateGraph(compiled.chain.startState, `${spec.name} definition`);
  if (compiled.timeout) graph.timeout = compiled.timeout;
  // The same shape StateMachine writes: the graph, then the Comment.
  const definition = {
    ...(stack.resolve(graph.toGraphJson()) as Record<string, unknown>),
    Comment: compiled.comment,
  };
  let text = JSON.stringify(definition);
  for (const arn of arns) text = text.replaceAll(arn, ARN_MARKER);
  const bytes = definitionBytes(text, ARN_MARKER);
  const size = checkDefinitionSize(spec, bytes);
  // The same state-name and version checks the stack runs at synth, so `asl` reports them too.
  const names = definitionProblems(definition, spec);
  const errors = [...size.errors, ...names.errors];
  if (errors.length > 0) throw new WorkflowError(errors);
  return {
    definition,
    bytes,
    warnings: [...analyzed.warnings, ...[...size.warnings, ...names.warnings].map(formatWarning)],
  };
}
