/**
 * A local endpoint speaking Step Functions' own JSON 1.0 protocol (`X-Amz-Target:
 * AWSStepFunctions.<Operation>`) over the local executor, so `@aws-sdk/client-sfn` code runs
 * unchanged locally and in AWS. Covers the operations the project uses: StartExecution (with
 * Standard's name rules), DescribeExecution, GetExecutionHistory, ListExecutions, StopExecution,
 * plus DescribeStateMachine and ListStateMachines for tooling.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionRecord, StateMachineExecutor } from './executor.ts';
import { toWireEvent } from './history.ts';

/** Step Functions' StartExecution input limit (UTF-8 bytes). */
export const MAX_INPUT_BYTES = 262_144;
const MAX_BODY_BYTES = 1_048_576;

/** Options for {@link startSfnEndpoint}. */
export interface SfnEndpointOptions {
  readonly executors: readonly StateMachineExecutor[];
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
}

/** The running endpoint; `getExecution` gives tests and tools the in-process record. */
export interface SfnEndpoint {
  readonly url: string;
  getExecution(executionArn: string): ExecutionRecord | undefined;
  /** Every execution started so far, oldest first. */
  executions(): readonly ExecutionRecord[];
  close(): Promise<void>;
}

/** A protocol error: `__type` and HTTP 400, as AWS answers. */
class SfnError extends Error {
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = type;
    this.status = status;
  }
}

type Body = Record<string, unknown>;

const EXECUTION_ARN = /^arn:aws:states:[a-z0-9-]+:\d{12}:execution:([^:]+):([^:]+)$/;
const MACHINE_ARN = /^arn:aws:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;
// Names: 1-80 chars, no whitespace, brackets, wildcards, special characters or control characters.
const INVALID_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;

function isValidName(name: string): boolean {
  if (name.length < 1 || name.length > 80 || INVALID_NAME_CHARS.test(name)) return false;
  for (const char of name) {
    const code = char.codePointAt(0)!;
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return false;
  }
  return true;
}

const seconds = (date: Date | undefined): number | undefined => (date ? date.getTime() / 1000 : undefined);

function encodeToken(value: number): string {
  return Buffer.from(JSON.stringify({ v: value })).toString('base64');
}

function decodeToken(token: unknown): number | undefined {
  if (token === undefined || token === null) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(String(token), 'base64').toString('utf8')) as { v?: unknown };
    if (typeof parsed.v === 'number') return parsed.v;
  } catch {
    // fall through to the error below
  }
  throw new SfnError('InvalidToken', `Invalid Token: '${String(token)}'`);
}

function pageSize(value: unknown): number {
  if (value === undefined || value === 0) return 100;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1000) {
    throw new SfnError(
      'ValidationException',
      "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
  }
  return value;
}

function str(body: Body, field: string, required = true): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (required) {
      throw new SfnError(
        'ValidationException',
        `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
      );
    }
    return undefined;
  }
  if (typeof value !== 'string') throw new SfnError('SerializationException', `${field} must be a string`);
  return value;
}

/**
 * Starts the endpoint.
 *
 * @example
 * const sfn = await startSfnEndpoint({ executors });
 * const client = new SFNClient({ endpoint: sfn.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
 */
export async function startSfnEndpoint(opts: SfnEndpointOptions): Promise<SfnEndpoint> {
  const machines = new Map(opts.executors.map((executor) => [executor.machine.arn, executor]));
  const byArn = new Map<string, ExecutionRecord>();
  const ordered: ExecutionRecord[] = [];
  const started = new Date();

  const execution = (body: Body): ExecutionRecord => {
    const arn = str(body, 'executionArn')!;
    if (!EXECUTION_ARN.test(arn))
      throw new SfnError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    const record = byArn.get(arn);
    if (!record) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return record;
  };
  const machineOf = (body: Body): StateMachineExecutor => {
    const arn = str(body, 'stateMachineArn')!;
    if (!MACHINE_ARN.test(arn))
      throw new SfnError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    const executor = machines.get(arn);
    if (!executor) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return executor;
  };

  const operations: Record<string, (body: Body) => Body> = {
    StartExecution(body) {
      const executor = machineOf(body);
      const name = str(body, 'name', false) ?? randomUUID();
      if (!isValidName(name)) {
        throw new SfnError('InvalidName', `Invalid Name: '${name}'`);
      }
      const input = str(body, 'input', false) ?? '{}';
      if (Buffer.byteLength(input, 'utf8') > MAX_INPUT_BYTES) {
        throw new SfnError(
          'ValidationException',
          `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${MAX_INPUT_BYTES}`,
        );
      }
      try {
        JSON.parse(input);
      } catch {
        throw new SfnError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not valid JSON');
      }
      const arn = `${executor.machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
      const existing = byArn.get(arn);
      if (existing) {
        // Standard: same name + same input while running is idempotent; anything else conflicts.
        if (existing.status === 'RUNNING' && existing.input === input) {
          return { executionArn: existing.executionArn, startDate: seconds(existing.startDate) };
        }
        throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
      }
      const record = executor.start(name, input);
      byArn.set(record.executionArn, record);
      ordered.push(record);
      return { executionArn: record.executionArn, startDate: seconds(record.startDate) };
    },
    DescribeExecution(body) {
      const record = execution(body);
      return {
        executionArn: record.executionArn,
        stateMachineArn: record.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: seconds(record.startDate),
        stopDate: seconds(record.stopDate),
        input: record.input,
        inputDetails: { included: true },
        output: record.output,
        outputDetails: record.output === undefined ? undefined : { included: true },
        error: record.error,
        cause: record.cause,
        redriveCount: 0,
        redriveStatus: 'NOT_REDRIVABLE',
      };
    },
    GetExecutionHistory(body) {
      const record = execution(body);
      const size = pageSize(body.maxResults);
      const reverse = body.reverseOrder === true;
      const includeData = body.includeExecutionData !== false;
      const events = record.events;
      // Tokens hold the next event id, which stays valid while the history grows.
      const from = decodeToken(body.nextToken) ?? (reverse ? events.length : 1);
      const page = reverse
        ? events.slice(Math.max(0, from - size), from).reverse()
        : events.slice(from - 1, from - 1 + size);
      const next = reverse ? from - size : from + size;
      const more = reverse ? next >= 1 : next <= events.length;
      return {
        events: page.map((event) => toWireEvent(event, includeData)),
        nextToken: more && page.length > 0 ? encodeToken(next) : undefined,
      };
    },
    ListExecutions(body) {
      const executor = machineOf(body);
      const size = pageSize(body.maxResults);
      const status = str(body, 'statusFilter', false);
      const before = decodeToken(body.nextToken) ?? ordered.length;
      const matches: Body[] = [];
      let index = before - 1;
      // Newest first, as AWS lists them.
      for (; index >= 0 && matches.length < size; index--) {
        const record = ordered[index]!;
        if (record.stateMachineArn !== executor.machine.arn) continue;
        if (status && record.status !== status) continue;
        matches.push({
          executionArn: record.executionArn,
          stateMachineArn: record.stateMachineArn,
          name: record.name,
          status: record.status,
          startDate: seconds(record.startDate),
          stopDate: seconds(record.stopDate),
        });
      }
      return { executions: matches, nextToken: index >= 0 ? encodeToken(index + 1) : undefined };
    },
    StopExecution(body) {
      const record = execution(body);
      record.stop(str(body, 'error', false), str(body, 'cause', false));
      return { stopDate: seconds(record.stopDate) };
    },
    DescribeStateMachine(body) {
      const { machine } = machineOf(body);
      return {
        stateMachineArn: machine.arn,
        name: machine.name,
        status: 'ACTIVE',
        definition: JSON.stringify(machine.definition),
        roleArn: `arn:aws:iam::000000000000:role/${machine.name}-role`,
        type: machine.type,
        creationDate: seconds(started),
      };
    },
    ListStateMachines() {
      return {
        stateMachines: opts.executors.map(({ machine }) => ({
          stateMachineArn: machine.arn,
          name: machine.name,
          type: machine.type,
          creationDate: seconds(started),
        })),
      };
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const send = (status: number, payload: Body, errorType?: string): void => {
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': requestId,
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      res.end(JSON.stringify(payload));
    };
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('AWSStepFunctions.') ? operations[target.slice(17)] : undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) throw new SfnError('RequestEntityTooLarge', 'Request body too large', 413);
        chunks.push(chunk as Buffer);
      }
      if (req.method !== 'POST' || !operation) {
        throw new SfnError('UnknownOperationException', `Operation not supported locally: '${target}'`);
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
      send(200, operation(body as Body));
    } catch (error) {
      if (error instanceof SfnError)
        send(error.status, { __type: error.name, message: error.message }, error.name);
      else
        send(500, {
          __type: 'InternalFailure',
          message: 'internal error in the local Step Functions endpoint',
        });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    getExecution: (arn) => byArn.get(arn),
    executions: () => ordered,
    close: () =>
      new Promise<void>((resolve) => {
        // Running executions would keep waiting on timers; stop them as a shutdown would.
        for (const record of ordered)
          if (record.status === 'RUNNING') record.stop('Local.Shutdown', 'runtime closed');
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
