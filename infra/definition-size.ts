/**
 * The definition-size check on a synthesized state machine. Its DefinitionString is a
 * CloudFormation `Fn::Join` whose non-text parts are the Lambda ARNs (`Fn::GetAtt`); each counts
 * at the longest ARN, as `npm run asl` counts its placeholder ARNs, so both report one number.
 */
import { Stack } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import {
  checkDefinitionSize,
  type Diagnostic,
  definitionBytes,
  type WorkflowSpec,
} from './workflow/index.ts';

/** Stands in for each Lambda ARN when a definition is measured (see `definitionBytes`). */
export const ARN_MARKER = '\u0000lambda-arn\u0000';

/** The size of `machine`'s definition and what the size check says about it. */
export function definitionSize(
  scope: Construct,
  machine: sfn.CfnStateMachine,
  spec: WorkflowSpec,
): { bytes: number; errors: Diagnostic[]; warnings: Diagnostic[] } {
  const resolved = Stack.of(scope).resolve(machine.definitionString) as
    | string
    | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof resolved === 'string'
      ? resolved
      : resolved['Fn::Join'][1]
          .map((part) => (typeof part === 'string' ? part : ARN_MARKER))
          .join(resolved['Fn::Join'][0]);
  const bytes = definitionBytes(text, ARN_MARKER);
  return { bytes, ...checkDefinitionSize(spec, bytes) };
}
