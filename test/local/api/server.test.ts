import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type LocalApi, startLocalApi } from '../../../local/api/server.ts';

const routes = [
  { method: 'POST', path: '/registrations', functionId: 'Start' },
  { method: 'GET', path: '/registrations/{correlation_id}', functionId: 'Status' },
  { method: 'GET', path: '/boom', functionId: 'Boom' },
  { method: 'GET', path: '/malformed', functionId: 'Malformed' },
  { method: 'GET', path: '/slow', functionId: 'Slow' },
];

describe('local API server', () => {
  let api: LocalApi;
  const events: APIGatewayProxyEvent[] = [];
  const integrationErrors: string[] = [];

  before(async () => {
    api = await startLocalApi({
      host: '127.0.0.1',
      port: 0,
      routes,
      integrationTimeoutMs: 300,
      maxBodyBytes: 64 * 1024,
      onIntegrationError: (functionId) => integrationErrors.push(functionId),
      async invoke(functionId, event): Promise<APIGatewayProxyResult> {
        events.push(event);
        if (functionId === 'Boom') throw new Error('handler exploded');
        if (functionId === 'Malformed') return { body: 'no status' } as unknown as APIGatewayProxyResult;
        if (functionId === 'Slow') await new Promise((resolve) => setTimeout(resolve, 1000));
        return {
          statusCode: 200,
          headers: { 'X-Function': functionId },
          body: JSON.stringify({ functionId }),
        };
      },
    });
  });
  after(() => api.close());

  test('builds an API Gateway proxy event with headers, path parameters and request context', async () => {
    events.length = 0;
    const res = await fetch(`${api.url}/registrations/reg_1_abc%2Ddef?verbose=1&verbose=2`, {
      headers: { 'X-Correlation-ID': 'corr-1' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-function'), 'Status');
    assert.ok(res.headers.get('x-amzn-requestid'));
    const event = events[0]!;
    assert.equal(event.resource, '/registrations/{correlation_id}');
    assert.equal(event.path, '/registrations/reg_1_abc%2Ddef');
    assert.equal(event.httpMethod, 'GET');
    assert.deepEqual(event.pathParameters, { correlation_id: 'reg_1_abc-def' });
    assert.equal(event.headers['X-Correlation-ID'], 'corr-1');
    assert.deepEqual(event.multiValueHeaders['X-Correlation-ID'], ['corr-1']);
    assert.deepEqual(event.queryStringParameters, { verbose: '2' });
    assert.deepEqual(event.multiValueQueryStringParameters, { verbose: ['1', '2'] });
    assert.equal(event.body, null);
    assert.equal(event.isBase64Encoded, false);
    assert.equal(event.requestContext.stage, 'local');
    assert.equal(event.requestContext.resourcePath, '/registrations/{correlation_id}');
    assert.match(event.requestContext.requestId, /^[0-9a-f-]{36}$/);
    assert.equal(event.requestContext.identity.sourceIp, '127.0.0.1');
  });

  test('passes a UTF-8 body as text and an invalid UTF-8 body base64-encoded', async () => {
    events.length = 0;
    await fetch(`${api.url}/registrations`, { method: 'POST', body: '{"name":"Zoë"}' });
    await fetch(`${api.url}/registrations`, { method: 'POST', body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) });
    assert.equal(events[0]!.body, '{"name":"Zoë"}');
    assert.equal(events[0]!.isBase64Encoded, false);
    assert.equal(events[1]!.isBase64Encoded, true);
    assert.deepEqual(Buffer.from(events[1]!.body!, 'base64'), Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
  });

  test('answers an unknown route or method like API Gateway: 403 Missing Authentication Token', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['DELETE', '/registrations'],
      ['GET', '/registrations/a/b'],
    ] as const) {
      const res = await fetch(`${api.url}${path}`, { method });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.deepEqual(await res.json(), { message: 'Missing Authentication Token' });
    }
  });

  test('turns a function error or a malformed proxy result into 502 Internal server error', async () => {
    for (const path of ['/boom', '/malformed']) {
      const res = await fetch(`${api.url}${path}`);
      assert.equal(res.status, 502);
      assert.deepEqual(await res.json(), { message: 'Internal server error' });
    }
    assert.deepEqual(integrationErrors.slice(-2), ['Boom', 'Malformed']);
  });

  test('answers 504 when the integration outlives its timeout', async () => {
    const res = await fetch(`${api.url}/slow`);
    assert.equal(res.status, 504);
    assert.deepEqual(await res.json(), { message: 'Endpoint request timed out' });
  });

  test('rejects a body over the payload limit with 413 without buffering it', async () => {
    const res = await fetch(`${api.url}/registrations`, { method: 'POST', body: 'x'.repeat(65 * 1024) });
    assert.equal(res.status, 413);
    assert.match(((await res.json()) as { message: string }).message, /exceeds the 65536-byte limit/);
  });

  test('rejects oversized headers with 431', async () => {
    const status = await rawStatus(
      api.url,
      `GET /registrations/x HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    assert.equal(status, 431);
  });

  test('survives malformed HTTP, bad percent-encoding and aborted uploads, and keeps serving', async () => {
    assert.equal(await rawStatus(api.url, 'NOT HTTP AT ALL\r\n\r\n'), 400);
    assert.equal(await rawStatus(api.url, 'GET /registrations/%E0%A4%A HTTP/1.1\r\nHost: a\r\n\r\n'), 400);
    await abortedUpload(api.url);
    const res = await fetch(`${api.url}/registrations/still-alive`);
    assert.equal(res.status, 200);
  });
});

/** Sends raw bytes and returns the status code of the first response line. */
function rawStatus(baseUrl: string, raw: string): Promise<number> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(raw));
    let text = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer')));
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (match) {
        resolve(Number(match[1]));
        socket.destroy();
      }
    });
    socket.on('error', reject);
  });
}

/** Starts a POST that promises 1000 bytes, sends 10 and hangs up. */
function abortedUpload(baseUrl: string): Promise<void> {
  return new Promise((resolve) => {
    const req = httpRequest(`${baseUrl}/registrations`, {
      method: 'POST',
      headers: { 'Content-Length': '1000' },
    });
    req.on('error', () => resolve());
    req.write('0123456789', () => {
      req.destroy();
      resolve();
    });
  });
}
