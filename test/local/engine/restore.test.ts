import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createStateMachine,
  type InvokeFunction,
  type MachineDefinition,
  RESTART_CAUSE,
  RESTART_ERROR,
} from '../../../local/engine/index.ts';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:';
const ARN = 'arn:aws:states:us-east-1:000000000000:execution:T:e';

/** prepare → Parallel(fast, slow) → finish. */
const definition = {
  StartAt: 'prepare',
  States: {
    prepare: { Type: 'Task', Resource: `${FN}prepare`, ResultPath: '$.prepared', Next: 'both' },
    both: {
      Type: 'Parallel',
      Branches: [
        { StartAt: 'fast', States: { fast: { Type: 'Task', Resource: `${FN}fast`, End: true } } },
        { StartAt: 'slow', States: { slow: { Type: 'Task', Resource: `${FN}slow`, End: true } } },
      ],
      ResultPath: '$.both',
      Next: 'finish',
    },
    finish: { Type: 'Task', Resource: `${FN}finish`, ResultPath: '$.finished', End: true },
  },
};

function machine(invoke: InvokeFunction) {
  return createStateMachine({
    arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:T',
    name: 'T',
    definition: definition as unknown as MachineDefinition,
    invoke,
  });
}

describe('local engine: snapshot and restore (npm start --data-dir)', () => {
  test('a RUNNING execution restores ABORTED with Local.RuntimeRestarted; a redrive goes on where it was, finished branches kept', async () => {
    const calls: string[] = [];
    let slowStarted: () => void = () => undefined;
    const slowReached = new Promise<void>((resolve) => {
      slowStarted = resolve;
    });
    // The first runtime: `slow` never answers, as if the process stopped in the middle of it.
    const before = machine(async (arn) => {
      const fn = arn.slice(FN.length);
      calls.push(fn);
      if (fn === 'slow') {
        slowStarted();
        return new Promise(() => undefined);
      }
      return { from: fn };
    });
    const running = before.start(ARN, 'e', '{"n":1}');
    await slowReached;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const saved = JSON.parse(JSON.stringify(running.snapshot())) as ReturnType<typeof running.snapshot>;
    assert.equal(saved.status, 'RUNNING');
    assert.equal(saved.checkpoint?.stateName, 'both');
    running.stop('test', 'the first runtime is done with');

    // The second runtime: the same definition, every function answers.
    const after = machine(async (arn) => {
      const fn = arn.slice(FN.length);
      calls.push(`again:${fn}`);
      return { from: fn };
    });
    const restored = after.restore(saved);
    assert.equal(restored.status, 'ABORTED');
    assert.equal(restored.error, RESTART_ERROR);
    assert.equal(restored.cause, RESTART_CAUSE);
    assert.equal(restored.events.at(-1)?.type, 'ExecutionAborted');
    assert.deepEqual(restored.events.at(-1)?.executionAbortedEventDetails, {
      error: RESTART_ERROR,
      cause: RESTART_CAUSE,
    });
    assert.deepEqual(
      restored.events.slice(0, -1).map((event) => event.type),
      saved.events.map((event) => event.type),
      'the saved history comes back as it was, then the abort',
    );
    assert.ok(restored.events.every((event) => event.timestamp instanceof Date));
    assert.deepEqual(restored.redriveStatus, { status: 'REDRIVABLE' });
    await restored.done;

    restored.redrive();
    await restored.done;
    assert.equal(restored.status, 'SUCCEEDED', restored.cause);
    assert.deepEqual(calls, ['prepare', 'fast', 'slow', 'again:slow', 'again:finish']);
    assert.deepEqual(JSON.parse(restored.output ?? 'null'), {
      n: 1,
      prepared: { from: 'prepare' },
      both: [{ from: 'fast' }, { from: 'slow' }],
      finished: { from: 'finish' },
    });
    assert.equal(restored.redriveCount, 1);
  });

  test('a finished execution restores as it was; SUCCEEDED stays not redrivable', async () => {
    const m = machine(async (arn) => ({ from: arn.slice(FN.length) }));
    const done = m.start(ARN, 'e', '{}');
    await done.done;
    const restored = m.restore(JSON.parse(JSON.stringify(done.snapshot())));
    assert.deepEqual(
      [restored.status, restored.output, restored.events.length, restored.startDate.getTime()],
      [done.status, done.output, done.events.length, done.startDate.getTime()],
    );
    assert.equal(restored.redriveStatus.status, 'NOT_REDRIVABLE');
  });
});
