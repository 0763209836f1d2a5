/**
 * Where our engine and aws-local-stepfunctions disagree, ours follows AWS's documentation. Each
 * test shows the documented behaviour on our engine and the oracle's differing answer, so a
 * future oracle that changes makes its test fail (and the list in docs/engine.md is revisited).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runOracle, runOurs } from './engines.ts';
import { FUNCTION_PREFIX } from './generated-definitions.ts';

const pass = (fields: Record<string, unknown>) => ({
  StartAt: 'p',
  States: { p: { Type: 'Pass', End: true, ...fields } },
});
const INPUT = { a: 1, s: 'x,y;z', obj: { k: 1 }, quoted: 'say "hi"' };

describe('documented differences from aws-local-stepfunctions', () => {
  test('"ResultPath": "$" replaces the input with the result (AWS: ResultPath "$" is the default)', async () => {
    const definition = pass({ Result: { r: 1 }, ResultPath: '$' });
    assert.deepEqual(await runOurs(definition, INPUT), { status: 'SUCCEEDED', output: { r: 1 } });
    const oracle = await runOracle(definition, INPUT, true);
    assert.notDeepEqual(oracle.output, { r: 1 }, 'the oracle writes a literal "$" key');
  });

  test('a Parameters path that selects nothing fails the execution with States.Runtime, which no Catch matches (as the live service does)', async () => {
    const definition = {
      StartAt: 't',
      States: {
        t: {
          Type: 'Task',
          Resource: `${FUNCTION_PREFIX}ok`,
          Parameters: { 'x.$': '$.missing' },
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.err', Next: 'done' }],
          End: true,
        },
        done: { Type: 'Succeed' },
      },
    };
    const ours = await runOurs(definition, INPUT);
    assert.equal(ours.status, 'FAILED');
    assert.equal(ours.error, 'States.Runtime');
    assert.deepEqual(await runOracle(definition, INPUT).then((o) => o.error), 'States.Runtime');
  });

  test('a failing intrinsic function is States.IntrinsicFailure', async () => {
    const definition = pass({ Parameters: { 'x.$': 'States.ArrayGetItem(States.Array(1), 5)' } });
    assert.equal((await runOurs(definition, INPUT)).error, 'States.IntrinsicFailure');
    assert.equal(
      (await runOracle(definition, INPUT)).status,
      'SUCCEEDED',
      'the oracle returns no item instead',
    );
  });

  test('States.TaskFailed matches a Parallel branch error too (AWS: any error but States.Timeout)', async () => {
    const definition = {
      StartAt: 'par',
      States: {
        par: {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 't',
              States: { t: { Type: 'Task', Resource: `${FUNCTION_PREFIX}fail-Boom`, End: true } },
            },
          ],
          Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.err', Next: 'done' }],
          End: true,
        },
        done: { Type: 'Succeed' },
      },
    };
    assert.equal((await runOurs(definition, INPUT)).status, 'SUCCEEDED');
    assert.equal((await runOracle(definition, INPUT)).error, 'Boom');
  });

  test('States.StringSplit splits at every character of the delimiter (the AWS docs example)', async () => {
    const definition = pass({ Parameters: { 'x.$': "States.StringSplit($.s, ',;')" } });
    assert.deepEqual((await runOurs(definition, INPUT)).output, { x: ['x', 'y', 'z'] });
    assert.deepEqual((await runOracle(definition, INPUT)).output, { x: ['x,y;z'] });
  });

  test('States.JsonToString keeps backslashes (the oracle strips them from string results)', async () => {
    const definition = pass({ Parameters: { 'x.$': 'States.JsonToString($.quoted)' } });
    assert.deepEqual((await runOurs(definition, INPUT)).output, { x: JSON.stringify(INPUT.quoted) });
    assert.notDeepEqual((await runOracle(definition, INPUT)).output, { x: JSON.stringify(INPUT.quoted) });
  });

  test('States.JsonMerge returns a new object and leaves the state input as it was', async () => {
    const definition = pass({
      Parameters: {
        'm.$': 'States.JsonMerge($.obj, States.StringToJson(\'{"k":2}\'), false)',
        'obj.$': '$.obj',
      },
    });
    assert.deepEqual((await runOurs(definition, INPUT)).output, { m: { k: 2 }, obj: { k: 1 } });
    assert.deepEqual((await runOracle(definition, INPUT)).output, { m: { k: 2 }, obj: { k: 2 } });
  });

  test('$$.Execution.Input in a Parallel branch is the execution input; $$.State is set', async () => {
    const definition = {
      StartAt: 'par',
      States: {
        par: {
          Type: 'Parallel',
          Parameters: { inner: true },
          Branches: [
            {
              StartAt: 'p',
              States: {
                p: {
                  Type: 'Pass',
                  Parameters: { 'input.$': '$$.Execution.Input', 'state.$': '$$.State.Name' },
                  End: true,
                },
              },
            },
          ],
          End: true,
        },
      },
    };
    assert.deepEqual((await runOurs(definition, INPUT)).output, [{ input: INPUT, state: 'p' }]);
    assert.equal((await runOracle(definition, INPUT)).status, 'FAILED', 'the oracle has no $$.State');
  });
});
