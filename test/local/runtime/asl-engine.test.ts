import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { loadAslEngine, patchLibrarySource } from '../../../local/runtime/asl-engine.ts';
import { createExecutor } from '../../../local/runtime/executor.ts';
import { localStateMachineArn } from '../../../local/runtime/template.ts';

const buildDir = dirname(createRequire(import.meta.url).resolve('aws-local-stepfunctions'));
const source = readFileSync(join(buildDir, 'main.node.esm.js'), 'utf8');

describe('patched aws-local-stepfunctions', () => {
  test('applies every patch to the installed library', () => {
    const patched = patchLibrarySource(source, 'installed');
    assert.ok(patched.includes('context.State = { Name: this.stateName'));
    assert.ok(patched.includes('this.hook?.(event, this);'));
  });

  test('fails loudly, naming the patch, when the library text changed', () => {
    const drifted = source.replace('var DEFAULT_TIMEOUT_SECONDS = 60;', 'var DEFAULT_TIMEOUT_SECONDS = 90;');
    assert.throws(() => patchLibrarySource(drifted, '9.9.9'), {
      message:
        "aws-local-stepfunctions 9.9.9: patch 'task-default-timeout' expected 1 match(es), found 0. " +
        'The library changed; review local/runtime/asl-engine.ts against the new build.',
    });
  });

  test('loads one engine per process', async () => {
    assert.equal(await loadAslEngine(), await loadAslEngine());
  });

  test('a Wait state runs scaled while history shows the full wait', async () => {
    const machine = {
      logicalId: 'Waiter',
      name: 'Waiter',
      arn: localStateMachineArn('Waiter'),
      workflow: 'waiter',
      type: 'STANDARD' as const,
      definition: {
        StartAt: 'pause',
        States: {
          pause: { Type: 'Wait', Seconds: 3, Next: 'entered' },
          entered: { Type: 'Pass', Parameters: { 'at.$': '$$.State.EnteredTime' }, End: true },
        },
      },
    };
    const executor = await createExecutor({ machine, invoke: async () => null, timeScale: 100 });
    const started = Date.now();
    const record = executor.start('w1', '{}');
    await record.done;
    assert.equal(record.status, 'SUCCEEDED');
    assert.ok(Date.now() - started < 2000, 'the wait ran 100x faster');
    const entered = record.events.find((event) => event.type === 'WaitStateEntered')!;
    const exited = record.events.find((event) => event.type === 'WaitStateExited')!;
    assert.ok(exited.timestamp.getTime() - entered.timestamp.getTime() >= 3000);
    const at = Date.parse((JSON.parse(record.output ?? '{}') as { at: string }).at);
    assert.ok(at - record.startDate.getTime() >= 3000, '$$.State.EnteredTime is on the virtual clock');
    assert.deepEqual(record.waits, [{ kind: 'wait', stateName: 'pause', askedMs: 3000 }]);
  });
});
