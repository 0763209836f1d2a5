import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { numbered } from '../../../local/cli/chaos-command.ts';
import { main } from '../../../local/cli/stepflow.ts';

test('{{n}} in any string of a chaos input becomes the execution number', () => {
  const input = {
    user_info: { email: 'u{{n}}@example.com', tags: ['t{{n}}', 3] },
    plan: 'pro',
    n: '{{n}}{{n}}',
  };
  assert.deepEqual(numbered(input, 7), {
    user_info: { email: 'u7@example.com', tags: ['t7', 3] },
    plan: 'pro',
    n: '77',
  });
  assert.deepEqual(input.user_info.email, 'u{{n}}@example.com', 'the template is left as it was');
});

test('chaos refuses a command line it cannot run, before starting a runtime', async () => {
  const run = async (...args: string[]) => {
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const code = await main(args, { stdout: new PassThrough(), stderr });
    return { code, err };
  };
  const remote = await run('chaos', '--workflow', 'orders', '--api', 'http://127.0.0.1:3000');
  assert.equal(remote.code, 2);
  assert.match(remote.err, /chaos runs its own offline runtime: --api, --stack and --region do not apply/);
  const both = await run('chaos', '--workflow', 'orders', '--input', '{}', '--file', 'x.json');
  assert.equal(both.code, 2);
  assert.match(both.err, /give exactly one of --file body\.json and --input JSON/);
  const count = await run('chaos', '--count', '0');
  assert.equal(count.code, 2);
  assert.match(count.err, /--count must be an integer 1-100000, got '0'/);
});
