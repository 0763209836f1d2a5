/**
 * The compiled definition as plain ASL JSON, without a deployable stack: Lambda ARNs are readable
 * placeholders. Built by the same `compileWorkflow` the stack uses, so it is the same definition.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { compileWorkflow } from './compile.ts';
import type { WorkflowSpec } from './types.ts';

/** Step Functions' limit on a definition's size. */
export const MAX_DEFINITION_CHARACTERS = 1_048_576;

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

/**
 * Renders a workflow's state machine definition (ASL) with placeholder Lambda ARNs.
 *
 * @throws WorkflowError on budget failures (as `compileWorkflow`)
 * @example JSON.stringify(renderDefinition(loadWorkflowFile('config/user_registration.yaml')), null, 2)
 */
export function renderDefinition(spec: WorkflowSpec): Record<string, unknown> {
  return renderWithWarnings(spec).definition;
}

/** Like `renderDefinition`, also returning the budget warnings (printed by `npm run asl`). */
export function renderWithWarnings(spec: WorkflowSpec): {
  definition: Record<string, unknown>;
  warnings: string[];
} {
  const stack = new Stack(new App(), 'RenderDefinition');
  const region = defaultRegion();
  const compiled = compileWorkflow(stack, spec, {
    functionFor: (step) =>
      lambda.Function.fromFunctionArn(
        stack,
        `Function-${step.name}`,
        placeholderFunctionArn(spec.name, step.name, region),
      ),
  });
  const graph = new sfn.StateGraph(compiled.chain.startState, `${spec.name} definition`);
  if (compiled.timeout) graph.timeout = compiled.timeout;
  const definition = stack.resolve(graph.toGraphJson()) as Record<string, unknown>;
  const warnings = [...compiled.warnings];
  const size = JSON.stringify(definition).length;
  if (size > MAX_DEFINITION_CHARACTERS) {
    warnings.push(
      `${spec.file}:1: warning: the definition is ${size} characters, over Step Functions' ${MAX_DEFINITION_CHARACTERS}-character limit (each Parallel state lists every step completed before it; fewer, larger Parallel groups or splitting the workflow keep it smaller)`,
    );
  }
  return { definition, warnings };
}
