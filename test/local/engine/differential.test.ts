/**
 * Differential property test: generated definitions run on our engine and on aws-local-stepfunctions
 * (the unpatched oracle), comparing status, output, error name and (for task and Fail errors)
 * cause. Deliberate differences are not generated here; each is a named test in
 * documented-differences.test.ts. Replay a run with ENGINE_DIFF_SEED=<seed> (printed first).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Json } from '../../../local/engine/index.ts';
import { jsonEquals } from '../../../local/engine/json.ts';
import { runOracle, runOurs } from './engines.ts';
import { buildDefinition, INPUT, SPECS } from './generated-definitions.ts';

const RUNS = Number(process.env.ENGINE_DIFF_RUNS ?? 500);
const SEED = Number(process.env.ENGINE_DIFF_SEED ?? Math.floor(Math.random() * 2 ** 31));

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
