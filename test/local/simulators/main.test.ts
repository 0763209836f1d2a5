import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';

test("npm run simulators starts a workflow's offline services alone, prints their URLs and stops on SIGINT", async () => {
  const child = spawn(
    process.execPath,
    ['local/simulators/main.ts', '--workflow', 'user_registration', '--seed', '3'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.setEncoding('utf8');
  try {
    for await (const chunk of child.stdout) {
      out += chunk;
      if (out.includes('Ctrl-C')) break;
    }
    const urls = Object.fromEntries(
      [...out.matchAll(/^ {2}(\w+)\s+(http:\/\/127\.0\.0\.1:\d+)$/gm)].map((m) => [m[1], m[2]]),
    );
    assert.deepEqual(Object.keys(urls).sort(), ['billing', 'notification', 'preferences', 'user']);
    assert.match(out, /^user_registration \(config\/user_registration\.mocks\.yaml\)$/m);
    const services = await fetch(`${urls.billing}/_services`, { signal: AbortSignal.timeout(2000) });
    assert.equal(services.status, 200);
    const listed = (await services.json()) as { services: Record<string, string[]> };
    assert.deepEqual(listed.services.billing, [
      'POST /profiles',
      'GET /profiles',
      'GET /profiles/{id}',
      'POST /profiles/{id}/cancel',
      'DELETE /billing-profiles/{id}',
    ]);
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('a bad flag value is refused with the flag named', async () => {
  const child = spawn(process.execPath, ['local/simulators/main.ts', '--seed', 'x'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    err += chunk;
  });
  const [code] = await once(child, 'exit');
  assert.equal(code, 1);
  assert.match(err, /--seed must be a non-negative integer, got 'x'/);
});
