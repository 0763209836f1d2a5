/**
 * A state machine prepared for repeated executions: its definition checked once, its task
 * integrations and task tokens shared by every execution it starts.
 */
import { type MachineDefinition, validateDefinition } from './definition.ts';
import { Execution, type ExecutionSnapshot, type MachineInfo } from './execution.ts';
import { type InvokeFunction, type TaskIntegration, TaskIntegrations } from './integrations.ts';
import { TaskTokens } from './task-tokens.ts';

/** Options for {@link createStateMachine}. */
export interface StateMachineOptions {
  readonly arn: string;
  readonly name: string;
  /** @default 'STANDARD' */
  readonly type?: 'STANDARD' | 'EXPRESS';
  readonly definition: MachineDefinition;
  /** @default `arn:aws:iam::000000000000:role/<name>-role` */
  readonly roleArn?: string;
  /** Calls Lambda functions for the Lambda integrations. */
  readonly invoke: InvokeFunction;
  /** Waits pass this many times faster (see clock.ts). @default 1 */
  readonly timeScale?: number;
  /** Replaces the Task integrations (first match by resource wins). @default Lambda's three */
  readonly integrations?: readonly TaskIntegration[];
  /** Retry jitter source. @default Math.random */
  readonly random?: () => number;
  /** Every status change of every execution (see ExecutionOptions.onStatusChange). @default none */
  readonly onStatusChange?: (execution: Execution) => void;
}

/** Starts executions of one state machine. */
export interface StateMachine {
  readonly info: MachineInfo;
  readonly tokens: TaskTokens;
  start(executionArn: string, name: string, input: string): Execution;
  /** Brings back a saved execution (see ExecutionOptions.restore); nothing runs until a redrive. */
  restore(snapshot: ExecutionSnapshot): Execution;
}

/**
 * Checks the definition and returns a starter for its executions.
 *
 * @example
 * const machine = createStateMachine({ arn, name: 'Demo', definition, invoke: lambdas.invoke });
 * const execution = machine.start(`${executionPrefix}:run-1`, 'run-1', '{}');
 * await execution.done;
 */
export function createStateMachine(opts: StateMachineOptions): StateMachine {
  const integrations = new TaskIntegrations(opts.invoke, opts.integrations);
  validateDefinition(opts.definition, (resource) => integrations.find(resource) !== undefined);
  if (!(opts.timeScale === undefined || (opts.timeScale > 0 && Number.isFinite(opts.timeScale)))) {
    throw new Error(`timeScale must be a positive number, got ${String(opts.timeScale)}`);
  }
  const info: MachineInfo = {
    arn: opts.arn,
    name: opts.name,
    type: opts.type ?? 'STANDARD',
    definition: opts.definition,
    roleArn: opts.roleArn ?? `arn:aws:iam::000000000000:role/${opts.name}-role`,
  };
  const tokens = new TaskTokens();
  const shared = {
    machine: info,
    integrations,
    tokens,
    ...(opts.timeScale === undefined ? {} : { timeScale: opts.timeScale }),
    ...(opts.random === undefined ? {} : { random: opts.random }),
    ...(opts.onStatusChange === undefined ? {} : { onStatusChange: opts.onStatusChange }),
  };
  return {
    info,
    tokens,
    start: (executionArn, name, input) => new Execution({ ...shared, executionArn, name, input }),
    restore: (snapshot) =>
      new Execution({
        ...shared,
        executionArn: snapshot.executionArn,
        name: snapshot.name,
        input: snapshot.input,
        restore: snapshot,
      }),
  };
}
