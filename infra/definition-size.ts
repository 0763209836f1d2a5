/**
 * The checks on a synthesized state machine's definition, before AWS sees it: its size (the
 * DefinitionString is a CloudFormation `Fn::Join` whose non-text parts are the Lambda ARNs,
 * `Fn::GetAtt`; each counts at the longest ARN, as `npm run asl` counts its placeholder ARNs, so
 * both report one number), and what Step Functions refuses in it at deployment: state names over
 * 80 characters or holding control characters (and bidirectional overrides, which make a name
 * read differently than it is), and a version description over 256 characters.
 */
import { Stack } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import {
  characterProblem,
  MAX_STATE_MACHINE_VERSION_DESCRIPTION_LENGTH,
  MAX_STATE_NAME_LENGTH,
} from './workflow/aws-limits.ts';
import {
  checkDefinitionSize,
  type Diagnostic,
  definitionBytes,
  type WorkflowSpec,
} from './workflow/index.ts';

/** Stands in for each Lambda ARN when a definition is measured (see `definitionBytes`). */
export const ARN_MARKER = '\u0000lambda-arn\u0000';

/** The size of `machine`'s definition and what the checks say about it (size and names). */
export function definitionSize(
  scope: Construct,
  machine: sfn.CfnStateMachine,
  spec: WorkflowSpec,
): { bytes: number; errors: Diagnostic[]; warnings: Diagnostic[] } {
  const resolved = Stack.of(scope).resolve(machine.definitionString) as
    | string
    | { 'Fn::Join': [string, unknown[]] };
  const joined = (arn: string): string =>
    typeof resolved === 'string'
      ? resolved
      : resolved['Fn::Join'][1]
          .map((part) => (typeof part === 'string' ? part : arn))
          .join(resolved['Fn::Join'][0]);
  const bytes = definitionBytes(joined(ARN_MARKER), ARN_MARKER);
  const size = checkDefinitionSize(spec, bytes);
  // The marker's NUL cannot stand in a JSON string: parse with a plain stand-in.
  const names = definitionProblems(JSON.parse(joined('arn:lambda')), spec);
  return {
    bytes,
    errors: [...size.errors, ...names.errors],
    warnings: [...size.warnings, ...names.warnings],
  };
}

/** A definition's states, as far as these checks read them. */
interface AslStates {
  States?: Record<string, AslState>;
}
interface AslState {
  Branches?: AslStates[];
  Iterator?: AslStates;
  ItemProcessor?: AslStates;
}

/**
 * What Step Functions would refuse in `definition` (ASL JSON, any ARNs) at deployment, as
 * diagnostics at the line of the step each state comes from: state names, in every branch and
 * item processor, of at most 80 characters with no control characters or bidirectional
 * overrides; and the workflow's `version`, which becomes the state machine version's description.
 *
 * @example definitionProblems(renderDefinition(spec), spec).errors // [] for a valid workflow
 */
export function definitionProblems(
  definition: unknown,
  spec: WorkflowSpec,
): { errors: Diagnostic[]; warnings: Diagnostic[] } {
  const errors: Diagnostic[] = [];
  const at = (line: number, message: string): void => {
    errors.push({ file: spec.file, line, message });
  };
  const pending: AslStates[] = [definition as AslStates];
  while (pending.length > 0) {
    const graph = pending.pop();
    for (const [name, state] of Object.entries(graph?.States ?? {})) {
      const line = stepLineOf(spec, name);
      const length = [...name].length;
      if (length > MAX_STATE_NAME_LENGTH) {
        at(
          line,
          `state name '${name}' is ${length} characters; Step Functions allows at most ${MAX_STATE_NAME_LENGTH} (shorten the step name)`,
        );
      }
      const bad = characterProblem(name);
      if (bad !== undefined) {
        at(
          line,
          `state name ${JSON.stringify(name)} holds ${bad}, which Step Functions refuses in a state name (or which makes it read differently than it is); rename the step`,
        );
      }
      pending.push(...(state.Branches ?? []));
      if (state.Iterator) pending.push(state.Iterator);
      if (state.ItemProcessor) pending.push(state.ItemProcessor);
    }
  }
  const version = [...spec.version].length;
  if (version > MAX_STATE_MACHINE_VERSION_DESCRIPTION_LENGTH) {
    at(
      spec.lines.version ?? spec.lines.name ?? 1,
      `version is ${version} characters; it becomes the description of the state machine's version, which AWS limits to ${MAX_STATE_MACHINE_VERSION_DESCRIPTION_LENGTH} (shorten it)`,
    );
  }
  return { errors: errors.sort((a, b) => a.line - b.line), warnings: [] };
}

/** The line of the step a state comes from (its name starts with the step's), else of the workflow's name. */
function stepLineOf(spec: WorkflowSpec, stateName: string): number {
  let best: { length: number; line: number } | undefined;
  for (const step of spec.steps) {
    if (stateName.startsWith(step.name) && step.name.length > (best?.length ?? 0))
      best = { length: step.name.length, line: step.line };
  }
  return best?.line ?? spec.lines.name ?? 1;
}
