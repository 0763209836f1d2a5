/** What every step Task and undo Task shares: its payload and its Retriers (retry.ts) on a CDK Task. */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { STEP_CONFIG_PAYLOAD_KEY, stepPayloadTemplate } from '../../lambdas/contracts.ts';
import { aslRetrierFields, retriersFor } from './retry.ts';
import type { StepSpec } from './types.ts';

/** The step's Retriers (retry.ts) on a Task: the step's own Task and its undo Task alike. */
export function addRetriers(task: tasks.LambdaInvoke, step: StepSpec): void {
  // CDK leaves out each field given as undefined, so the defaults aslRetrierFields drops stay out.
  for (const r of retriersFor(step).map(aslRetrierFields)) {
    task.addRetry({
      errors: r.ErrorEquals,
      ...(r.IntervalSeconds === undefined ? {} : { interval: Duration.seconds(r.IntervalSeconds) }),
      ...(r.BackoffRate === undefined ? {} : { backoffRate: r.BackoffRate }),
      ...(r.MaxAttempts === undefined ? {} : { maxAttempts: r.MaxAttempts }),
      ...(r.MaxDelaySeconds === undefined ? {} : { maxDelay: Duration.seconds(r.MaxDelaySeconds) }),
      ...(r.JitterStrategy === undefined
        ? {}
        : { jitterStrategy: r.JitterStrategy === 'FULL' ? sfn.JitterType.FULL : sfn.JitterType.NONE }),
    });
  }
}

/** The payload of a step's Task (or its undo's): the contract template, plus its shared-function variables. */
export function taskPayload(
  workflow: string,
  step: string,
  request: Readonly<Record<string, unknown>> | undefined,
  config: Readonly<Record<string, string>> | undefined,
): Record<string, unknown> {
  const template = stepPayloadTemplate(workflow, step, request);
  return config === undefined ? template : { ...template, [STEP_CONFIG_PAYLOAD_KEY]: { ...config } };
}
