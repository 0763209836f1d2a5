import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';

/**
 * An execution's output, read from Step Functions (DescribeExecution): the status document no
 * longer carries input or output (only `api.status_output` paths), so tests that check step
 * results read them where an operator with Step Functions access would.
 */
export async function executionOutput<T = { steps: Record<string, Record<string, unknown>> }>(
  sfn: SFNClient,
  executionArn: string,
): Promise<T> {
  const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  if (described.output === undefined) throw new Error(`${executionArn} has no output (${described.status})`);
  return JSON.parse(described.output) as T;
}
