/**
 * A real HTTP server on loopback speaking the operator routes of the shared design (list, status,
 * stop, redrive, resolve, fail) for a few workflows, plus Step Functions' ListExecutions (JSON
 * protocol), and the runtime file `npm start` publishes, so the CLI finds it like a local runtime.
 * It records every request, so tests assert the CLI's wire behaviour.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { PassThrough } from 'node:stream';
import { removeRuntimeInfo, runtimeInfoPath } from '../../../local/cli/local-target.ts';
import { main } from '../../../local/cli/stepflow.ts';

/** One request the server saw. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

/** A scripted answer: status and JSON body. */
export interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/** Answers by `METHOD /path` (query excluded); unknown routes get API Gateway's 403. */
export type Routes = Record<string, Answer | ((request: SeenRequest) => Answer)>;

export interface FakeApi {
  readonly url: string;
  readonly seen: SeenRequest[];
  /** Routes per workflow resource, e.g. `{ orders: { 'GET /orders/x': {...} } }`; replaceable. */
  routes: Routes;
  close(): Promise<void>;
}

const MISSING_ROUTE: Answer = { status: 403, body: { message: 'Missing Authentication Token' } };

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function send(res: ServerResponse, answer: Answer, contentType = 'application/json'): void {
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Starts the server and publishes it as the local runtime at its URL, serving `workflows`
 * (name -> resource). The Step Functions endpoint is the same server (`POST /` with X-Amz-Target).
 */
export async function startFakeApi(
  workflows: Readonly<Record<string, string>>,
  routes: Routes = {},
  sfnExecutions: readonly Record<string, unknown>[] = [],
): Promise<FakeApi> {
  const seen: SeenRequest[] = [];
  const api: { routes: Routes } = { routes };
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const request: SeenRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: await bodyOf(req),
    };
    seen.push(request);
    const target = req.headers['x-amz-target'];
    if (url.pathname === '/' && typeof target === 'string') {
      const json = 'application/x-amz-json-1.0';
      const arn = String((request.body as { executionArn?: unknown } | undefined)?.executionArn ?? '');
      switch (target) {
        case 'AWSStepFunctions.ListExecutions':
          return send(res, { status: 200, body: { executions: sfnExecutions } }, json);
        case 'AWSStepFunctions.DescribeExecution':
          // What the console reads besides the status document: the input (the history is empty).
          return send(
            res,
            {
              status: 200,
              body: {
                executionArn: arn,
                stateMachineArn: arn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, ''),
                name: arn.slice(arn.lastIndexOf(':') + 1),
                status: 'RUNNING',
                startDate: 1764583200,
                input: '{"order_id":"o-1"}',
              },
            },
            json,
          );
        case 'AWSStepFunctions.GetExecutionHistory':
          return send(res, { status: 200, body: { events: [] } }, json);
        default:
          return send(res, { status: 400, body: { __type: 'UnknownOperationException' } }, json);
      }
    }
    const route = api.routes[`${request.method} ${request.path}`];
    const answer = route === undefined ? MISSING_ROUTE : typeof route === 'function' ? route(request) : route;
    send(res, answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const path = runtimeInfoPath(url);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    JSON.stringify({
      apiUrl: url,
      sfnEndpoint: url,
      dynamoEndpoint: 'http://127.0.0.1:9',
      tableName: 'fake',
      environment: 'local',
      workflows: Object.entries(workflows).map(([name, resource]) => ({
        name,
        file: `config/${name}.yaml`,
        resource,
        resourceUrl: `${url}/${resource}`,
        stateMachineArn: `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`,
        services: {},
      })),
      pid: process.pid,
    }),
  );
  return {
    url,
    seen,
    get routes() {
      return api.routes;
    },
    set routes(next: Routes) {
      api.routes = next;
    },
    async close() {
      removeRuntimeInfo(url);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Runs the CLI in-process, output captured (not a TTY). */
export async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const code = await main(args, { stdout, stderr });
  return { code, stdout: out, stderr: err };
}
