/**
 * A loopback Step Functions endpoint that answers StartExecution and nothing else, for the
 * in-process anchor of benchmark 2: the start function runs in the bench's own process and its
 * StartExecution must not start a real execution in the runtime (the engine's work would then be
 * charged to the anchor). It speaks the AWS JSON 1.0 protocol the SDK sends (`X-Amz-Target:
 * AWSStepFunctions.StartExecution`), answers with the execution ARN Step Functions would give,
 * and hands the input to the anchor, which runs the steps on it itself.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One StartExecution the stub answered. */
export interface StubbedStart {
  readonly executionArn: string;
  /** The execution input, as the start function sent it (a JSON string). */
  readonly input: string;
}

/** A running stub. */
export interface StartExecutionStub {
  /** e.g. `http://127.0.0.1:41234`: the start function's `AWS_ENDPOINT_URL_SFN`. */
  readonly url: string;
  /** The start answered for execution `name` since the last take, removed from the stub. */
  take(name: string): StubbedStart | undefined;
  close(): Promise<void>;
}

/** `arn:...:stateMachine:<name>[:qualifier]` + name -> `arn:...:execution:<name>:<execution>`. */
function executionArnOf(stateMachineArn: string, name: string): string {
  const unqualified = stateMachineArn.split(':').slice(0, 7).join(':');
  return `${unqualified.replace(':stateMachine:', ':execution:')}:${name}`;
}

function send(res: ServerResponse, status: number, payload: Record<string, unknown>): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    ...(status === 200 ? {} : { 'x-amzn-errortype': String(payload.__type) }),
  });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
}

/**
 * Starts the stub on 127.0.0.1 (a free port). Any other operation is refused with
 * `UnknownOperationException`, so a start function that called more than StartExecution would
 * fail the anchor instead of being measured doing less.
 *
 * @example
 * const stub = await startExecutionStub();
 * process.env.AWS_ENDPOINT_URL_SFN = stub.url;
 * // ... the start function answers 202 ...
 * const started = stub.take(correlationId);
 */
export async function startExecutionStub(): Promise<StartExecutionStub> {
  const started = new Map<string, StubbedStart>();
  const server = createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    readJson(req).then(
      (body) => {
        if (req.method !== 'POST' || target !== 'AWSStepFunctions.StartExecution') {
          send(res, 400, { __type: 'UnknownOperationException', message: `not stubbed: '${target}'` });
          return;
        }
        const { stateMachineArn, name, input } = body;
        if (typeof stateMachineArn !== 'string' || typeof name !== 'string' || typeof input !== 'string') {
          send(res, 400, { __type: 'ValidationException', message: 'stateMachineArn, name and input' });
          return;
        }
        const executionArn = executionArnOf(stateMachineArn, name);
        started.set(name, { executionArn, input });
        send(res, 200, { executionArn, startDate: Date.now() / 1000 });
      },
      () => send(res, 400, { __type: 'SerializationException', message: 'body is not JSON' }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    take: (name) => {
      const start = started.get(name);
      started.delete(name);
      return start;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
