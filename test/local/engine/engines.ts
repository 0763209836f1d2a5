/**
 * Runs one definition on our engine and on aws-local-stepfunctions (the unpatched oracle) with
 * the same deterministic task behaviours, and reports each outcome the same way.
 */
import { StateMachine as OracleMachine } from 'aws-local-stepfunctions';
import { createStateMachine, type Json, type MachineDefinition } from '../../../local/engine/index.ts';
import { FUNCTION_PREFIX, taskBehaviours } from './generated-definitions.ts';

export interface Outcome {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: Json;
  readonly error?: string;
  readonly cause?: string;
}

type Obj = Record<string, unknown>;

/** States of every list in the definition, with their names. */
function allStates(list: Obj): Array<[string, Obj]> {
  return Object.entries(list.States as Record<string, Obj>).flatMap(([name, state]) => [
    [name, state] as [string, Obj],
    ...((state.Branches as Obj[] | undefined) ?? []).flatMap(allStates),
    ...(state.ItemProcessor ? allStates(state.ItemProcessor as Obj) : []),
  ]);
}

export async function runOurs(definition: Obj, input: Json): Promise<Outcome> {
  const behave = taskBehaviours();
  const machine = createStateMachine({
    arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Diff',
    name: 'Diff',
    definition: definition as unknown as MachineDefinition,
    invoke: async (arn, payload) => behave(arn.slice(FUNCTION_PREFIX.length), arn, payload),
    timeScale: 1e6,
  });
  const execution = machine.start(
    'arn:aws:states:us-east-1:123456789012:execution:Diff:x',
    'x',
    JSON.stringify(input),
  );
  await execution.done;
  if (execution.status === 'SUCCEEDED')
    return { status: 'SUCCEEDED', output: JSON.parse(execution.output!) as Json };
  return { status: 'FAILED', error: execution.error ?? '', cause: execution.cause ?? '' };
}

/**
 * The oracle gets a copy (its validator adds QueryLanguage in place) without explicit
 * `"ResultPath": "$"`, which AWS documents as the default it equals (the oracle would write a
 * literal "$" key instead; see documented-differences.test.ts).
 */
export function oracleCopy(definition: Obj): Obj {
  const copy = structuredClone(definition);
  for (const [, state] of allStates(copy)) if (state.ResultPath === '$') delete state.ResultPath;
  return copy;
}

/** @param asWritten hand the oracle the definition unchanged (a clone) @default false */
export async function runOracle(definition: Obj, input: Json, asWritten = false): Promise<Outcome> {
  const behave = taskBehaviours();
  const copy = asWritten ? structuredClone(definition) : oracleCopy(definition);
  const states = allStates(copy);
  const tasks = states.filter(([, s]) => s.Type === 'Task');
  // Its schema validator costs ~0.3 s per machine; our validateDefinition checks the definitions.
  const machine = new OracleMachine(copy as never, { validationOptions: { noValidate: true } });
  const run = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: Object.fromEntries(
        tasks.map(([name, s]) => {
          const arn = String(s.Resource);
          return [name, async (payload: unknown) => behave(arn.slice(FUNCTION_PREFIX.length), arn, payload)];
        }),
      ) as never,
      waitTimeOverrides: Object.fromEntries(
        states.filter(([, s]) => s.Type === 'Wait').map(([name]) => [name, 0]),
      ),
      retryIntervalOverrides: Object.fromEntries(
        states.filter(([, s]) => s.Retry).map(([name]) => [name, 0]),
      ),
    },
  });
  try {
    return { status: 'SUCCEEDED', output: (await run.result) as Json };
  } catch (error) {
    const cause = (error as { cause?: Error }).cause ?? (error as Error);
    return { status: 'FAILED', error: cause.name, cause: cause.message };
  }
}
