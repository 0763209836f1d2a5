import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiBaseUrl } from '../../../lambdas/api/http.ts';
import { LOCAL_CALLER_ARN } from '../../../lambdas/contracts.ts';
import { startLocalApi } from '../../../local/api/server.ts';

/** Sends a GET with exactly these header lines (Host included) and returns the status code. */
function rawGet(
  url: string,
  path: string,
  headers: ReadonlyArray<readonly [string, string]>,
): Promise<number> {
  const { hostname, port } = new URL(url);
  const lines = [
    `GET ${path} HTTP/1.1`,
    ...headers.map(([name, value]) => `${name}: ${value}`),
    'Connection: close',
  ];
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(`${lines.join('\r\n')}\r\n\r\n`));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}

async function startEchoApi(opts: { publicUrl?: string; callerArn?: string | null }) {
  const events: APIGatewayProxyEvent[] = [];
  const errors: string[] = [];
  const api = await startLocalApi({
    host: '127.0.0.1',
    port: 0,
    routes: [{ method: 'GET', path: '/items/{id}', functionId: 'Echo' }],
    onIntegrationError: (functionId, error) => errors.push(`${functionId}: ${String(error)}`),
    async invoke(_functionId, event) {
      events.push(event);
      return { statusCode: 200, body: '{}' };
    },
    ...opts,
  });
  return { api, events, errors };
}

describe('local API: gateway headers, caller identity, prototype-named keys', () => {
  let plain: Awaited<ReturnType<typeof startEchoApi>>;
  let proxied: Awaited<ReturnType<typeof startEchoApi>>;
  let anonymous: Awaited<ReturnType<typeof startEchoApi>>;
  before(async () => {
    plain = await startEchoApi({});
    proxied = await startEchoApi({ publicUrl: 'https://api.example.test:8443' });
    anonymous = await startEchoApi({ callerArn: null });
  });
  after(async () => {
    for (const { api } of [plain, proxied, anonymous]) await api.close();
  });

  test('every request carries the local caller ARN, or none when status tokens are required', async () => {
    await fetch(`${plain.api.url}/items/1`);
    assert.equal(plain.events.at(-1)?.requestContext.identity.userArn, LOCAL_CALLER_ARN);
    assert.equal(LOCAL_CALLER_ARN, 'arn:aws:iam::000000000000:user/local');
    await fetch(`${anonymous.api.url}/items/1`);
    assert.equal(anonymous.events.at(-1)?.requestContext.identity.userArn, null);
  });

  test("URLs come from the configured base URL, never from the client's Host or forwarded headers", async () => {
    const status = await rawGet(plain.api.url, '/items/1', [
      ['Host', 'evil.example'],
      ['x-forwarded-proto', 'gopher'],
      ['X-FORWARDED-PORT', '1'],
    ]);
    assert.equal(status, 200);
    const event = plain.events.at(-1)!;
    const { host } = new URL(plain.api.url);
    assert.equal(event.requestContext.domainName, host);
    assert.equal(event.headers.Host, host);
    assert.equal(apiBaseUrl(event), plain.api.url);
    // One value per forwarded header, whatever case the client used.
    const forwarded = Object.keys(event.headers).filter((name) => /^(host|x-forwarded-)/i.test(name));
    assert.deepEqual(forwarded.sort(), ['Host', 'X-Forwarded-For', 'X-Forwarded-Port', 'X-Forwarded-Proto']);
    assert.equal(event.headers['X-Forwarded-Proto'], 'http');
  });

  test('behind a configured public URL, functions see its host, scheme and port', async () => {
    assert.equal(proxied.api.url, 'https://api.example.test:8443');
    assert.match(proxied.api.listenUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await rawGet(proxied.api.listenUrl, '/items/1', [['Host', 'evil.example']]), 200);
    const event = proxied.events.at(-1)!;
    assert.equal(event.requestContext.domainName, 'api.example.test:8443');
    assert.equal(event.requestContext.domainPrefix, 'api');
    assert.equal(event.headers['X-Forwarded-Proto'], 'https');
    assert.equal(event.headers['X-Forwarded-Port'], '8443');
    assert.equal(apiBaseUrl(event), 'https://api.example.test:8443');
  });

  test('a proxy chain in X-Forwarded-For (any case) is kept and the caller appended', async () => {
    await rawGet(plain.api.url, '/items/1', [
      ['Host', 'x'],
      ['x-forwarded-for', '203.0.113.7'],
    ]);
    assert.equal(plain.events.at(-1)?.headers['X-Forwarded-For'], '203.0.113.7, 127.0.0.1');
  });

  test('header and query names equal to Object.prototype members are passed through, never a 500', async () => {
    const names = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
    const query = names.map((name, i) => `${encodeURIComponent(name)}=${i}`).join('&');
    const status = await rawGet(plain.api.url, `/items/1?${query}&toString=again`, [
      ['Host', 'x'],
      ...names.map((name, i) => [name, `h${i}`] as const),
      ['toString', 'twice'],
    ]);
    assert.equal(status, 200);
    assert.deepEqual(plain.errors, []);
    const event = plain.events.at(-1)!;
    for (const [i, name] of names.entries()) {
      assert.ok(Object.hasOwn(event.headers, name), `header ${name} is an own key`);
      assert.ok(Object.hasOwn(event.queryStringParameters ?? {}, name), `query ${name} is an own key`);
      assert.equal(
        Object.getOwnPropertyDescriptor(event.queryStringParameters, name)?.value,
        name === 'toString' ? 'again' : String(i),
      );
    }
    assert.deepEqual(event.multiValueHeaders.toString, ['h0', 'twice']);
    assert.deepEqual(event.multiValueQueryStringParameters?.toString, ['0', 'again']);
    assert.equal(Object.getPrototypeOf(event.headers), Object.prototype, 'the prototype is untouched');
    assert.equal(Object.getOwnPropertyDescriptor(event.headers, '__proto__')?.value, 'h2');
  });
});
