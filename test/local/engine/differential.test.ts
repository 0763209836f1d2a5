/**
 * Differential property test: generated definitions run on our engine and on aws-local-stepfunctions
 * (the unpatched oracle), comparing status, output, error name and (for task and Fail errors)
 * cause. Deliberate differences are not generated here; each is a named test in
 * documented-differences.test.ts. Replay a run with ENGINE_DIFF_SEED=<seed> (printed first).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StateMachine as OracleMachine } from 'aws-local-stepfunctions';
import fc from 'fast-check';
import { createStateMachine, type Json, type MachineDefinition } from '../../../local/engine/index.ts';
import { jsonEquals } from '../../../local/engine/json.ts';
import { buildDefinition, FUNCTION_PREFIX, INPUT, SPECS, taskBehaviours } from './generated-definitions.ts';

const RUNS = Number(process.env.ENGINE_DIFF_RUNS ?? 500);
const SEED = Number(process.env.ENGINE_DIFF_SEED ?? Math.floor(Math.random() * 2 ** 31));

interface Outcome {
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

async function runOurs(definition: Obj, input: Json): Promise<Outcome> {
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
function oracleCopy(definition: Obj): Obj {
  const copy = structuredClone(definition);
  for (const [, state] of allStates(copy)) if (state.ResultPath === '$') delete state.ResultPath;
  return copy;
}

async function runOracle(definition: Obj, input: Json): Promise<Outcome> {
  const behave = taskBehaviours();
  const copy = oracleCopy(definition);
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

/** Engine-worded causes (States.* errors raised by either engine) differ in wording only. */
const comparesCause = (error: string | undefined): boolean => !error?.startsWith('States.');

/** Outputs with caught engine-worded causes blanked (`{Error: 'States.*', Cause}` objects). */
function comparable(value: Json): Json {
  if (Array.isArray(value)) return value.map(comparable);
  if (value === null || typeof value !== 'object') return value;
  const out = Object.fromEntries(Object.entries(value).map(([key, item]) => [key, comparable(item)]));
  if (typeof out.Error === 'string' && !comparesCause(out.Error) && 'Cause' in out)
    out.Cause = '(engine wording)';
  return out;
}

test(`our engine agrees with aws-local-stepfunctions on ${RUNS} generated definitions`, async () => {
  console.log(`differential: seed ${SEED}, ${RUNS} definitions (replay: ENGINE_DIFF_SEED=${SEED})`);
  const cpuBefore = process.cpuUsage();
  let failedRuns = 0;
  await fc.assert(
    fc.asyncProperty(SPECS, INPUT, async (specs, input) => {
      const definition = buildDefinition(specs);
      const [ours, oracle] = [await runOurs(definition, input), await runOracle(definition, input)];
      const where = `definition ${JSON.stringify(definition)}\ninput ${JSON.stringify(input)}`;
      assert.equal(
        ours.status,
        oracle.status,
        `status: ours ${JSON.stringify(ours)} oracle ${JSON.stringify(oracle)}\n${where}`,
      );
      if (ours.status === 'SUCCEEDED') {
        assert.ok(
          jsonEquals(comparable(ours.output!), comparable(oracle.output!)),
          `output: ours ${JSON.stringify(ours.output)}\noracle ${JSON.stringify(oracle.output)}\n${where}`,
        );
      } else {
        failedRuns += 1;
        assert.equal(ours.error, oracle.error, `error name\n${where}`);
        if (comparesCause(ours.error)) assert.equal(ours.cause, oracle.cause, `cause\n${where}`);
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
  const cpu = process.cpuUsage(cpuBefore);
  console.log(
    `differential: ${RUNS} definitions agreed (${failedRuns} ended FAILED), ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU`,
  );
  // The generator must reach both outcomes, or the comparison proves less than its name says.
  assert.ok(failedRuns > 0 && failedRuns < RUNS, `${failedRuns} of ${RUNS} runs failed`);
});
