/**
 * Benchmark 6: the local engine's own cost per state transition, with no-op task handlers,
 * measured side by side with aws-local-stepfunctions (the test oracle) in the same run. A machine
 * of Pass, Task (Parameters, ResultSelector, ResultPath, Retry), Choice and a two-branch Parallel
 * runs repeatedly on each engine, alternating; the figures are ratios to the oracle.
 */
import { StateMachine as OracleMachine } from 'aws-local-stepfunctions';
import { createStateMachine, type MachineDefinition } from '../local/engine/index.ts';
import type { Section } from './report.ts';
import { formatSummary, pairedRatios, round, summarize } from './stats.ts';

/** Options of {@link runEngineBench}. */
export interface EngineBenchOptions {
  /** Alternating rounds (each times `executions` runs per engine). @default 15 */
  readonly rounds?: number;
  /** @default 200 */
  readonly executions?: number;
  readonly log?: (line: string) => void;
}

const FN = 'arn:aws:lambda:us-east-1:123456789012:function:noop';
const task = (next: string) => ({
  Type: 'Task',
  Resource: FN,
  Parameters: { 'n.$': '$.n', fixed: 1 },
  ResultSelector: { 'ok.$': '$.ok' },
  ResultPath: '$.r',
  Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2 }],
  Next: next,
});
const DEFINITION = {
  StartAt: 'p1',
  States: {
    p1: { Type: 'Pass', Result: { a: 1 }, ResultPath: '$.p1', Next: 't1' },
    t1: task('c1'),
    c1: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericGreaterThan: 0, Next: 'par' }], Default: 't2' },
    par: {
      Type: 'Parallel',
      Branches: [
        { StartAt: 'b1', States: { b1: { ...task('b1x'), Next: undefined, End: true } } },
        { StartAt: 'b2', States: { b2: { Type: 'Pass', End: true } } },
      ],
      ResultPath: '$.par',
      Next: 't2',
    },
    t2: { ...task('done'), Next: 'done' },
    done: { Type: 'Succeed' },
  },
};
/** States entered per execution (p1, t1, c1, par, b1, b2, t2, done). */
const TRANSITIONS = 8;
const noop = async () => ({ ok: true });

async function timeOurs(executions: number): Promise<number> {
  const machine = createStateMachine({
    arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Bench',
    name: 'Bench',
    definition: DEFINITION as unknown as MachineDefinition,
    invoke: noop,
  });
  const started = performance.now();
  for (let i = 0; i < executions; i++) {
    const execution = machine.start(
      `arn:aws:states:us-east-1:123456789012:execution:Bench:${i}`,
      `${i}`,
      '{"n":1}',
    );
    await execution.done;
    if (execution.status !== 'SUCCEEDED') throw new Error(`engine run failed: ${execution.cause}`);
  }
  return (performance.now() - started) / (executions * TRANSITIONS);
}

async function timeOracle(executions: number): Promise<number> {
  const machine = new OracleMachine(structuredClone(DEFINITION) as never, {
    validationOptions: { noValidate: true },
  });
  const handlers = { taskResourceLocalHandlers: { t1: noop, b1: noop, t2: noop } as never };
  const started = performance.now();
  for (let i = 0; i < executions; i++) await machine.run({ n: 1 } as never, { overrides: handlers }).result;
  return (performance.now() - started) / (executions * TRANSITIONS);
}

/** Runs the engine benchmark. */
export async function runEngineBench(opts: EngineBenchOptions = {}): Promise<Section> {
  const rounds = opts.rounds ?? 15;
  const executions = opts.executions ?? 200;
  opts.log?.(`engine: ${rounds} rounds x ${executions} executions per engine, alternating`);
  await timeOurs(executions); // warm both
  await timeOracle(executions);
  const ours: number[] = [];
  const oracle: number[] = [];
  for (let round = 0; round < rounds; round++) {
    ours.push(await timeOurs(executions));
    oracle.push(await timeOracle(executions));
  }
  const ratio = summarize(pairedRatios(ours, oracle));
  const oursMs = summarize(ours);
  const ratioMet = ratio.median <= 1.5;
  const absoluteMet = oursMs.median < 0.2;
  return {
    title: 'Engine cost per state transition',
    method: [
      `${TRANSITIONS} state transitions per execution (Pass, Task with Parameters/ResultSelector/ResultPath/Retry, Choice, a two-branch Parallel, Succeed), no-op task handlers, no waits`,
      `${rounds} alternating rounds of ${executions} executions on local/engine and on aws-local-stepfunctions 3 (validation off), in one process`,
    ],
    tables: [
      {
        header: ['engine', 'ms per transition', 'ratio to aws-local-stepfunctions'],
        rows: [
          ['local/engine', formatSummary(oursMs, 4), formatSummary(ratio, 2)],
          ['aws-local-stepfunctions (anchor)', formatSummary(summarize(oracle), 4), '1'],
        ],
      },
    ],
    notes: [
      `Target within 1.5x the library: ${ratioMet ? 'met' : 'missed'} (median ratio ${round(ratio.median, 2)}).`,
      `Target under 0.2 ms per transition: ${absoluteMet ? 'met' : 'missed'} (median ${round(oursMs.median, 4)} ms).`,
    ],
  };
}
