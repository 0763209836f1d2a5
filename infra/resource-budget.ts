/**
 * CloudFormation's 500-resource limit per stack (issue 14 §4). Today CDK reports it only at
 * synthesis, without the workflow file; here a stack decides beforehand whether its declarative
 * HTTP steps must share one function, and a workflow that still cannot fit gets a `file:line`
 * diagnostic with the numbers.
 */
import { CfnResource, Stack } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { STEP_CONFIG_PAYLOAD_KEY } from '../lambdas/contracts.ts';
import type { Diagnostic, WorkflowSpec } from './workflow/index.ts';
import { alarmsOf, compensationOf } from './workflow-options.ts';

/** CloudFormation's limit of resources in one stack. */
export const MAX_STACK_RESOURCES = 500;

/**
 * What one function of its own costs: the function, its role, the role's default policy, its log
 * group, its published version and its table-access policy.
 */
export const RESOURCES_PER_FUNCTION = 6;

/** What `alarms:` adds per function: an Errors and a Throttles alarm. */
export const ALARMS_PER_FUNCTION = 2;

/**
 * An upper estimate of the rest of a stack: table, state machine with role, policy and logs,
 * version and alias, the API with its resources, methods, permissions and its three functions,
 * the operator function, execution alarms and the topic.
 */
export const FIXED_RESOURCES_ESTIMATE = 70;

/** How sharing is decided: `auto` shares only when a function per step would not fit. */
export type HttpStepSharing = 'auto' | 'always' | 'never';

/** Functions a stack has with one per step (compensations of module steps count too). */
export function dedicatedFunctionCount(spec: WorkflowSpec): number {
  const compensations = spec.steps.filter((step) => {
    const compensation = compensationOf(spec, step);
    return compensation !== undefined && !(compensation.kind === 'request' && step.handlerOrigin === 'http');
  });
  return spec.steps.length + compensations.length;
}

/** The estimated resource count with a function per step. */
export function estimatedResources(spec: WorkflowSpec): number {
  const perFunction = RESOURCES_PER_FUNCTION + (alarmsOf(spec) === undefined ? 0 : ALARMS_PER_FUNCTION);
  return FIXED_RESOURCES_ESTIMATE + perFunction * dedicatedFunctionCount(spec);
}

/** Whether the declarative HTTP steps of `spec` share one function. */
export function sharesHttpSteps(spec: WorkflowSpec, sharing: HttpStepSharing): boolean {
  if (sharing === 'never') return false;
  if (!spec.steps.some((step) => step.handlerOrigin === 'http')) return false;
  return sharing === 'always' || estimatedResources(spec) > MAX_STACK_RESOURCES;
}

/** The CloudFormation resources `stack` defines, by type. */
export function resourceCounts(stack: Stack): Map<string, number> {
  const counts = new Map<string, number>();
  for (const node of stack.node.findAll()) {
    if (!(node instanceof CfnResource) || node.stack !== stack) continue;
    counts.set(node.cfnResourceType, (counts.get(node.cfnResourceType) ?? 0) + 1);
  }
  return counts;
}

/** An error at the workflow's `name` when `stack` defines more than {@link MAX_STACK_RESOURCES} resources. */
export function checkResourceCount(stack: Stack, spec: WorkflowSpec, shared: boolean): Diagnostic[] {
  const counts = resourceCounts(stack);
  const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
  if (total <= MAX_STACK_RESOURCES) return [];
  const functions = counts.get('AWS::Lambda::Function') ?? 0;
  const moduleSteps = spec.steps.filter((step) => step.handlerOrigin !== 'http').length;
  const biggest = [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([type, count]) => `${type} ${count}`)
    .join(', ');
  return [
    {
      file: spec.file,
      line: spec.lines.name ?? 1,
      message: `the stack would have ${total} CloudFormation resources, over the limit of ${MAX_STACK_RESOURCES} (${functions} functions at ${RESOURCES_PER_FUNCTION} resources each: ${moduleSteps} of the ${spec.steps.length} steps run a handler module and need a function of their own${shared ? ', the declarative HTTP steps already share one' : ''}; largest: ${biggest}); split the workflow, or turn module steps into declarative HTTP steps`,
    },
  ];
}

/**
 * Steps on the shared HTTP function whose Task payload lacks their variables: the compiler in use
 * does not honour `stepConfigFor` yet. Such a definition would deploy and then run every shared
 * step without its service, URL or limits, so the stack refuses it with this diagnostic.
 */
export function checkSharedStepPayloads(
  machine: sfn.CfnStateMachine,
  spec: WorkflowSpec,
  sharedSteps: readonly string[],
): Diagnostic[] {
  if (sharedSteps.length === 0) return [];
  const resolved = Stack.of(machine).resolve(machine.definitionString) as
    | string
    | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof resolved === 'string'
      ? resolved
      : resolved['Fn::Join'][1]
          .map((part) => (typeof part === 'string' ? part : 'token'))
          .join(resolved['Fn::Join'][0]);
  const states = new Map<string, { Parameters?: Record<string, unknown> }>();
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.States !== null && typeof record.States === 'object') {
      for (const [name, state] of Object.entries(record.States as Record<string, unknown>)) {
        states.set(name, state as { Parameters?: Record<string, unknown> });
        for (const branch of ((state as { Branches?: unknown[] }).Branches ?? []) as unknown[]) visit(branch);
      }
    }
  };
  visit(JSON.parse(text));
  const missing = sharedSteps.filter(
    (step) => states.get(step)?.Parameters?.[STEP_CONFIG_PAYLOAD_KEY] === undefined,
  );
  if (missing.length === 0) return [];
  return [
    {
      file: spec.file,
      line: spec.lines.name ?? 1,
      message: `the ${sharedSteps.length} declarative HTTP steps must share one function to stay under ${MAX_STACK_RESOURCES} resources (about ${estimatedResources(spec)} with a function each), but the compiler did not put their variables in the Task payload ('${STEP_CONFIG_PAYLOAD_KEY}', missing for '${missing[0]}'${missing.length > 1 ? ` and ${missing.length - 1} more` : ''}); split the workflow`,
    },
  ];
}
