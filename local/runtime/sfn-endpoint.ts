/**
 * A local endpoint speaking Step Functions' own JSON 1.0 protocol (`X-Amz-Target:
 * AWSStepFunctions.<Operation>`) over the local executors, so `@aws-sdk/client-sfn` code and the
 * AWS CLI run unchanged locally and in AWS. The operations are in sfn-operations.ts, their
 * request checks in sfn-validation.ts; this file is the HTTP part.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionRecord, StateMachineExecutor } from './executor.ts';
import { type EndpointState, OPERATIONS, pruneFinished, type StartedVia } from './sfn-operations.ts';
import { type Body, SfnError } from './sfn-validation.ts';

export { MAX_INPUT_BYTES } from './sfn-operations.ts';

const MAX_BODY_BYTES = 1_048_576;

/** Options for {@link startSfnEndpoint}. */
export interface SfnEndpointOptions {
  readonly executors: readonly StateMachineExecutor[];
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /**
   * Finished executions kept in memory; beyond it the oldest are dropped (DescribeExecution then
   * answers ExecutionDoesNotExist, as AWS does once it dropped a history). @default 1000
   */
  readonly maxFinishedExecutions?: number;
  /** Called for each execution the bound drops. @default none */
  readonly onDropped?: (record: ExecutionRecord) => void;
}

/** The running endpoint; `getExecution` gives tests and tools the in-process record. */
export interface SfnEndpoint {
  readonly url: string;
  getExecution(executionArn: string): ExecutionRecord | undefined;
  /** Every execution started so far, oldest first. */
  executions(): readonly ExecutionRecord[];
  /** The version and alias ARNs an execution was started through, if any. */
  startedVia(executionArn: string): StartedVia | undefined;
  /** Serves an execution restored from disk (oldest first), as if it had been started here. */
  adopt(record: ExecutionRecord, startedVia?: StartedVia): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new SfnError('RequestEntityTooLarge', 'Request body too large', 413);
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
  } catch {
    throw new SfnError('SerializationException', 'Request body is not valid JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new SfnError('SerializationException', 'Request body must be a JSON object');
  }
  return body as Body;
}

function send(res: ServerResponse, status: number, payload: Body, errorType?: string): void {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(JSON.stringify(payload));
}

async function handle(req: IncomingMessage, res: ServerResponse, state: EndpointState): Promise<void> {
  try {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AWSStepFunctions.') ? OPERATIONS[target.slice(17)] : undefined;
    const body = await readBody(req);
    if (req.method !== 'POST' || !operation) {
      throw new SfnError('UnknownOperationException', `Operation not supported locally: '${target}'`);
    }
    send(res, 200, operation(body, state));
  } catch (error) {
    if (error instanceof SfnError)
      send(res, error.status, { __type: error.name, message: error.message }, error.name);
    else
      send(res, 500, {
        __type: 'InternalFailure',
        message: 'internal error in the local Step Functions endpoint',
      });
  }
}

/**
 * Starts the endpoint.
 *
 * @example
 * const sfn = await startSfnEndpoint({ executors });
 * const client = new SFNClient({ endpoint: sfn.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
 */
export async function startSfnEndpoint(opts: SfnEndpointOptions): Promise<SfnEndpoint> {
  const state: EndpointState = {
    executors: opts.executors,
    // Each machine answers to its own ARN and to its versions' and aliases'.
    machines: new Map(
      opts.executors.flatMap((executor) =>
        [executor.machine.arn, ...(executor.machine.qualifiedArns ?? [])].map(
          (arn) => [arn, executor] as const,
        ),
      ),
    ),
    byArn: new Map(),
    ordered: [],
    started: new Date(),
    redriveTokens: new Map(),
    startedVia: new Map(),
    maxFinishedExecutions: opts.maxFinishedExecutions ?? 1000,
    onDropped: opts.onDropped ?? (() => undefined),
  };
  const server = createServer((req, res) => void handle(req, res, state));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    getExecution: (executionArn) => state.byArn.get(executionArn),
    executions: () => state.ordered,
    startedVia: (executionArn) => state.startedVia.get(executionArn),
    adopt(record, startedVia) {
      if (state.byArn.has(record.executionArn)) return;
      state.byArn.set(record.executionArn, record);
      state.ordered.push(record);
      if (startedVia) state.startedVia.set(record.executionArn, startedVia);
      pruneFinished(state);
    },
    close: () =>
      new Promise<void>((resolve) => {
        // Running executions would keep waiting on timers; stop them as a shutdown would.
        for (const record of state.ordered) {
          if (record.status === 'RUNNING') record.stop('Local.Shutdown', 'runtime closed');
        }
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
