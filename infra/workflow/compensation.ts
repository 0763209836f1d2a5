/**
 * The compensation chain (saga) of a workflow with `compensate:` steps, entered once a
 * compensating failure was recorded at `$.steps._failure`. For each such step, in reverse
 * dependency order (the plan's order reversed):
 *
 *   <step> (undo?)        Choice: the step's result is present (and is not a fallback) ->
 *   <step> (undo)         Task: the undo function, payload stepPayloadTemplate(workflow,
 *                         undoStepId(step), compensate.request), ResultPath $.undo.<step>, the
 *                         step's Retriers; Catch States.ALL (ResultPath $.undo_failed.<step>) ->
 *   <step> (undo failed)  Pass (nothing changed: the Catch recorded the error)
 *
 * and finally COMPENSATED_FAIL_STATE, a Fail with the original Error and Cause. See
 * docs/compensation.md.
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import {
  COMPENSATED_FAIL_STATE,
  COMPENSATION_FAILURE_KEY,
  COMPILER_STATE_SUFFIX,
  STATE_SUFFIX,
  undoStepId,
} from '../../lambdas/contracts.ts';
import type { CompileOptions } from './compile.ts';
import { type Plan, planSteps } from './plan.ts';
import { addRetriers, taskPayload } from './task-parts.ts';
import type { StepSpec, WorkflowSpec } from './types.ts';

/** Every state name the chain may use, reserved before any Parallel is named. */
export function compensationStateNames(spec: WorkflowSpec): string[] {
  if (!spec.steps.some((s) => s.compensate !== undefined)) return [];
  return [
    COMPENSATED_FAIL_STATE,
    ...spec.steps.flatMap((s) =>
      s.compensate === undefined
        ? []
        : [
            `${s.name}${COMPILER_STATE_SUFFIX.undoChoice}`,
            `${s.name}${STATE_SUFFIX.undo}`,
            `${s.name}${STATE_SUFFIX.undoFailed}`,
          ],
    ),
  ];
}

/** The chain's states, built once per workflow; `start` is where every compensating failure goes. */
export class CompensationChain {
  readonly start: sfn.State;

  constructor(scope: Construct, spec: WorkflowSpec, plan: Plan, options: CompileOptions) {
    const failure = `$.steps.${COMPENSATION_FAILURE_KEY}.error`;
    let next: sfn.State = new sfn.Fail(scope, COMPENSATED_FAIL_STATE, {
      stateName: COMPENSATED_FAIL_STATE,
      errorPath: `${failure}.Error`,
      causePath: `${failure}.Cause`,
    });
    const byName = new Map(spec.steps.map((s) => [s.name, s]));
    // Built from the end: the chain's first Choice is the step that ran last.
    for (const name of planSteps(plan)) {
      const step = byName.get(name);
      if (step?.compensate === undefined) continue;
      next = undoStates(scope, spec, step, options, next);
    }
    this.start = next;
  }
}

function undoStates(
  scope: Construct,
  spec: WorkflowSpec,
  step: StepSpec,
  options: CompileOptions,
  next: sfn.State,
): sfn.State {
  const fn = options.compensationFunctionFor?.(step);
  if (fn === undefined) {
    throw new Error(
      `compileWorkflow: step '${step.name}' has compensate:, but CompileOptions.compensationFunctionFor is not set`,
    );
  }
  const undoName = `${step.name}${STATE_SUFFIX.undo}`;
  const undo = new tasks.LambdaInvoke(scope, undoName, {
    stateName: undoName,
    comment: `Undo ${step.name}`,
    lambdaFunction: fn,
    payload: sfn.TaskInput.fromObject(
      taskPayload(
        spec.name,
        undoStepId(step.name),
        step.compensate?.request,
        step.compensate?.handlerOrigin === 'http' ? options.stepConfigFor?.(step) : undefined,
      ),
    ),
    payloadResponseOnly: true,
    resultPath: `$.undo.${step.name}`,
    taskTimeout: sfn.Timeout.duration(Duration.seconds(step.timeoutSeconds)),
    retryOnServiceExceptions: false,
  });
  addRetriers(undo, step);
  const failedName = `${step.name}${STATE_SUFFIX.undoFailed}`;
  const failed = new sfn.Pass(scope, failedName, { stateName: failedName });
  undo.addCatch(failed, { errors: [sfn.Errors.ALL], resultPath: `$.undo_failed.${step.name}` });
  undo.next(next);
  failed.next(next);
  const result = `$.steps.${step.name}`;
  // A fallback result (on_failure: continue) means the step did not happen: nothing to undo.
  const ran =
    step.onFailure === 'continue'
      ? sfn.Condition.and(
          sfn.Condition.isPresent(result),
          sfn.Condition.not(sfn.Condition.isPresent(`${result}.fallback_used`)),
        )
      : sfn.Condition.isPresent(result);
  const choiceName = `${step.name}${COMPILER_STATE_SUFFIX.undoChoice}`;
  return new sfn.Choice(scope, choiceName, { stateName: choiceName }).when(ran, undo).otherwise(next);
}
