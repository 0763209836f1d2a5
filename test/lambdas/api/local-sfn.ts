import { SFNClient } from '@aws-sdk/client-sfn';
import { LOCAL_AWS_CLIENT_CONFIG } from '../../../local/dynamo.ts';
import { createExecutor, type InvokeFunction } from '../../../local/runtime/executor.ts';
import { type SfnEndpoint, startSfnEndpoint } from '../../../local/runtime/sfn-endpoint.ts';

/** A state machine for {@link startLocalSfn}: its name, definition and what its Tasks do. */
export interface TestMachine {
  readonly name: string;
  readonly definition: Record<string, unknown>;
  readonly invoke: InvokeFunction;
  /** @default 1 */
  readonly timeScale?: number;
}

/** `arn:aws:states:us-east-1:000000000000:stateMachine:<name>`. */
export function machineArn(name: string): string {
  return `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;
}

/** The execution ARN of `execution` on machine `name`. */
export function executionArnOf(name: string, execution: string): string {
  return `arn:aws:states:us-east-1:000000000000:execution:${name}:${execution}`;
}

/** The real local Step Functions endpoint (local engine, AWS JSON protocol) on loopback, port 0. */
export async function startLocalSfn(
  machines: readonly TestMachine[],
): Promise<{ endpoint: SfnEndpoint; sfn: SFNClient; close(): Promise<void> }> {
  const executors = await Promise.all(
    machines.map((machine) =>
      createExecutor({
        machine: {
          logicalId: machine.name,
          name: machine.name,
          arn: machineArn(machine.name),
          workflow: machine.name,
          type: 'STANDARD',
          definition: machine.definition,
        },
        invoke: machine.invoke,
        ...(machine.timeScale === undefined ? {} : { timeScale: machine.timeScale }),
      }),
    ),
  );
  const endpoint = await startSfnEndpoint({ executors });
  const sfn = new SFNClient({ ...LOCAL_AWS_CLIENT_CONFIG, endpoint: endpoint.url });
  return {
    endpoint,
    sfn,
    async close() {
      sfn.destroy();
      await endpoint.close();
    },
  };
}
