/**
 * Test helpers: render a workflow with every CompileOptions function (step, operator, undo) as a
 * placeholder ARN, and run the definition on our local engine (local/engine) with scripted
 * Lambda behaviour keyed by the payload's `step` (`x`, or `x:undo` for its compensation).
 */
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { analyzeWorkflow, compileWorkflow, type WorkflowSpec } from '../../../infra/workflow/index.ts';
import {
  createStateMachine,
  type Execution,
  type Json,
  type MachineDefinition,
  TaskError,
} from '../../../local/engine/index.ts';

type Obj = Record<string, unknown>;
const PREFIX = 'arn:aws:lambda:us-east-1:123456789012:function:';

/** The definition as `npm run asl` would render it, with an operator and undo functions too. */
export function renderFull(spec: WorkflowSpec): Obj {
  const stack = new Stack(new App(), 'Render');
  const fn = (id: string, name: string): lambda.IFunction =>
    lambda.Function.fromFunctionArn(stack, id, `${PREFIX}${name}`);
  const compiled = compileWorkflow(stack, analyzeWorkflow(spec), {
    functionFor: (step) => fn(`F-${step.name}`, `${spec.name}-${step.name}`),
    operatorFunction: fn('Operator', `${spec.name}-operator`),
    compensationFunctionFor: (step) => fn(`U-${step.name}`, `${spec.name}-${step.name}-undo`),
  });
  const graph = new sfn.StateGraph(compiled.chain.startState, 'test');
  return withPartition(stack.resolve(graph.toGraphJson())) as Obj;
}

/**
 * Resolves the `Fn::Join` CDK writes for service integration ARNs
 * (`arn:${AWS::Partition}:states:::lambda:invoke.waitForTaskToken`) with the `aws` partition, as
 * CloudFormation would in a commercial region.
 */
function withPartition(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withPartition);
  if (typeof value !== 'object' || value === null) return value;
  const join = (value as Obj)['Fn::Join'] as [string, unknown[]] | undefined;
  if (join && Object.keys(value).length === 1) {
    const [separator, parts] = join;
    return parts
      .map((p) =>
        typeof p === 'object' && p !== null && (p as Obj).Ref === 'AWS::Partition' ? 'aws' : String(p),
      )
      .join(separator);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withPartition(v)]));
}

/** One Lambda call the engine made. */
export interface Call {
  /** The function name (after `function:`). */
  fn: string;
  /** The payload's `step` (`x:undo` for compensations), or `operator` for the operator function. */
  step: string;
  payload: Obj;
}

export interface EngineRun {
  execution: Execution;
  calls: Call[];
  /** Sends the task token the operator function received for `step` a success or a failure. */
  operator(step: string, signal: { output: Json } | { error: string; cause: string }): Promise<void>;
  /** Names of the states entered, in order (all nesting levels). */
  entered(): string[];
}

/**
 * Starts `definition` on the local engine. `failures[step]` lists error names the Lambda throws
 * on its successive calls before succeeding; `results[step]` is what it returns (default
 * `{ step, correlation_id }`). The virtual clock runs 1000 times faster than real time (a 30 s Task timeout is 30 ms), so a loaded machine does not time out a stub that answers at once.
 */
export function runOnEngine(
  definition: Obj,
  options: { failures?: Record<string, string[]>; results?: Record<string, Json>; input?: Obj } = {},
): EngineRun {
  const calls: Call[] = [];
  const tokens = new Map<string, string>();
  // Maps, not objects: a step may be called `constructor` or `toString`.
  const failures = new Map(Object.entries(structuredClone(options.failures ?? {})));
  const results = new Map(Object.entries(options.results ?? {}));
  const machine = createStateMachine({
    arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Test',
    name: 'Test',
    definition: definition as unknown as MachineDefinition,
    timeScale: 1000,
    invoke: async (arn, raw) => {
      const payload = raw as Obj;
      const fn = arn.replace(PREFIX, '');
      if (typeof payload.task_token === 'string') {
        calls.push({ fn, step: 'operator', payload });
        tokens.set(String(payload.step), payload.task_token);
        return { stored: true };
      }
      const step = String(payload.step);
      calls.push({ fn, step, payload });
      const failure = failures.get(step)?.shift();
      if (failure !== undefined) {
        const error = new Error(
          JSON.stringify({ errorType: failure, errorMessage: `${step} failed on purpose` }),
        );
        error.name = failure;
        throw error;
      }
      return results.get(step) ?? { step, correlation_id: 'corr-1' };
    },
  });
  const execution = machine.start(
    'arn:aws:states:us-east-1:123456789012:execution:Test:run-1',
    'run-1',
    JSON.stringify(options.input ?? { correlation_id: 'corr-1' }),
  );
  return {
    execution,
    calls,
    async operator(step, signal) {
      while (!tokens.has(step)) {
        if (execution.status !== 'RUNNING')
          throw new Error(`execution ended ${execution.status} before ${step} awaited an operator`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const token = tokens.get(step) ?? '';
      const refusal =
        'output' in signal
          ? machine.tokens.send(token, { kind: 'success', output: signal.output })
          : machine.tokens.send(token, { kind: 'failure', error: new TaskError(signal.error, signal.cause) });
      if (refusal !== undefined) throw new Error(`token refused: ${refusal}`);
    },
    entered: () =>
      execution.events
        .filter((e) => e.type.endsWith('StateEntered'))
        .map((e) => String(e.stateEnteredEventDetails?.name)),
  };
}
