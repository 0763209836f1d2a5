/**
 * Runs a state machine definition taken from the template on the local engine (local/engine)
 * and keeps each execution's record: status, AWS-shaped history, the delays the definition asked
 * for. Task states call the local Lambda adapter. Waits run `timeScale` times faster on each
 * execution's virtual clock, so history still shows the full delays.
 */
import {
  createStateMachine,
  type Execution,
  type ExecutionSnapshot,
  type ExecutionStatus,
  type InvokeFunction,
  type MachineDefinition,
  type RecordedWait,
  type TaskTokens,
} from '../engine/index.ts';
import { LOCAL_ACCOUNT, LOCAL_PARTITION, type LocalStateMachine } from './template.ts';

export type { ExecutionSnapshot, ExecutionStatus, InvokeFunction, RecordedWait };

/** One execution: what DescribeExecution and GetExecutionHistory read. */
export type ExecutionRecord = Execution;

/** Options for {@link createExecutor}. */
export interface ExecutorOptions {
  readonly machine: LocalStateMachine;
  readonly invoke: InvokeFunction;
  /** Waits run this many times faster than asked. @default 1 */
  readonly timeScale?: number;
  /** Retry jitter source (seed it for replayable delays). @default Math.random */
  readonly random?: () => number;
  /** Every status change of an execution (RUNNING at start and redrive, then terminal). @default none */
  readonly onStatusChange?: (execution: ExecutionRecord) => void;
}

/** How a Task state calls its function. */
export interface TaskInfo {
  readonly type: 'lambda' | 'sdk-invoke' | 'sdk-invoke-wait';
  /** The function ARN of a `lambda` task (the others name it in Parameters). */
  readonly functionArn?: string;
  readonly timeoutSeconds?: number;
}

const TASK_KINDS: ReadonlyArray<readonly [RegExp, TaskInfo['type']]> = [
  [/^arn:[^:]+:states:::lambda:invoke$/, 'sdk-invoke'],
  [/^arn:[^:]+:states:::lambda:invoke\.waitForTaskToken$/, 'sdk-invoke-wait'],
  [/^arn:[^:]+:lambda:/, 'lambda'],
];

/**
 * Every Task state (also inside Parallel branches and Map item processors) by state name.
 * @throws Error naming the state when its resource has no local integration
 */
export function collectTaskStates(definition: Record<string, unknown>): Map<string, TaskInfo> {
  const tasks = new Map<string, TaskInfo>();
  const visit = (list: unknown): void => {
    const states = (list as { States?: Record<string, Record<string, unknown>> } | undefined)?.States ?? {};
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') {
        const resource = String(state.Resource);
        const type = TASK_KINDS.find(([pattern]) => pattern.test(resource))?.[1];
        if (!type)
          throw new Error(
            `state '${name}': Task resource ${resource} is not supported by the offline runtime`,
          );
        tasks.set(name, {
          type,
          ...(type === 'lambda' ? { functionArn: resource } : {}),
          ...(typeof state.TimeoutSeconds === 'number' ? { timeoutSeconds: state.TimeoutSeconds } : {}),
        });
      }
      for (const branch of (state.Branches as unknown[] | undefined) ?? []) visit(branch);
      visit(state.ItemProcessor ?? state.Iterator);
    }
  };
  visit(definition);
  return tasks;
}

/** Starts executions of one state machine. */
export interface StateMachineExecutor {
  readonly machine: LocalStateMachine;
  /** Task tokens of this machine's `.waitForTaskToken` tasks (SendTask* look them up here). */
  readonly tokens: TaskTokens;
  start(name: string, input: string): ExecutionRecord;
  /** Brings back an execution saved with `record.snapshot()` (one that was RUNNING comes back ABORTED). */
  restore(snapshot: ExecutionSnapshot): ExecutionRecord;
}

/**
 * Prepares one state machine (checks the definition once) for repeated executions.
 *
 * @example
 * const executor = await createExecutor({ machine, invoke: lambdas.invoke, timeScale: 20 });
 * const record = executor.start('reg_1', '{"user_info":{}}');
 * await record.done;
 */
export async function createExecutor(opts: ExecutorOptions): Promise<StateMachineExecutor> {
  const { machine } = opts;
  const engine = createStateMachine({
    arn: machine.arn,
    name: machine.name,
    type: machine.type,
    definition: machine.definition as unknown as MachineDefinition,
    roleArn: `arn:${LOCAL_PARTITION}:iam::${LOCAL_ACCOUNT}:role/${machine.name}-role`,
    invoke: opts.invoke,
    ...(opts.timeScale === undefined ? {} : { timeScale: opts.timeScale }),
    ...(opts.random === undefined ? {} : { random: opts.random }),
    ...(opts.onStatusChange === undefined ? {} : { onStatusChange: opts.onStatusChange }),
  });
  const executionPrefix = machine.arn.replace(':stateMachine:', ':execution:');
  return {
    machine,
    tokens: engine.tokens,
    start: (name, input) => engine.start(`${executionPrefix}:${name}`, name, input),
    restore: (snapshot) => engine.restore(snapshot),
  };
}
