/** The Retriers of retry.ts on a CDK Task. */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { retriersFor } from './retry.ts';
import type { StepSpec } from './types.ts';

/** The step's Retriers (retry.ts) on a Task: the step's own Task and its undo Task alike. */
export function addRetriers(task: tasks.LambdaInvoke, step: StepSpec): void {
  for (const r of retriersFor(step)) {
    task.addRetry({
      errors: r.ErrorEquals,
      interval: Duration.seconds(r.IntervalSeconds),
      backoffRate: r.BackoffRate,
      maxAttempts: r.MaxAttempts,
      ...(r.MaxDelaySeconds === undefined ? {} : { maxDelay: Duration.seconds(r.MaxDelaySeconds) }),
      jitterStrategy: r.JitterStrategy === 'FULL' ? sfn.JitterType.FULL : sfn.JitterType.NONE,
    });
  }
}
