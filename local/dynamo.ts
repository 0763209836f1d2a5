import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { memoizeDynaliteParsers } from './dynamo-parse-memo.ts';

/** A running in-memory dynalite server and a client pointed at it. */
export interface LocalDynamo {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  close(): Promise<void>;
}

/** Options for {@link startDynalite}. */
export interface StartDynaliteOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /**
   * Folder of an on-disk LevelDB store (dynalite's `path`), so tables and items survive a restart.
   * @default in memory (a clean slate on every start)
   */
  readonly path?: string;
}

/**
 * Dummy credentials and region: dynalite ignores them, and setting them keeps the SDK from looking
 * up real ones (IMDS, ~/.aws) which would be slow or fail on machines without an AWS account.
 */
export const LOCAL_AWS_CLIENT_CONFIG = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/**
 * Starts dynalite in memory on loopback, with tables ACTIVE at once (dynalite's default keeps a
 * new table CREATING for 500 ms), and its expression parses memoized for the process
 * (local/dynamo-parse-memo.ts).
 *
 * @example
 * const dynamo = await startDynalite();
 * await createWorkflowTable(dynamo.client, 'workflow');
 * // ... process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint
 * await dynamo.close();
 */
export async function startDynalite(opts: StartDynaliteOptions = {}): Promise<LocalDynamo> {
  const host = opts.host ?? '127.0.0.1';
  memoizeDynaliteParsers();
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(opts.path === undefined ? {} : { path: opts.path }),
  });
  const inFlight = answerTimeToLive(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${host}:${port}`;
  const client = new DynamoDBClient({ ...LOCAL_AWS_CLIENT_CONFIG, endpoint });
  let closed = false;
  return {
    endpoint,
    client,
    async close() {
      if (closed) return;
      closed = true;
      client.destroy();
      // A request already read still runs against the store; closing the store under it makes
      // dynalite throw out of its callback ("Database is closed"), so let those finish first.
      for (let waited = 0; inFlight.count > 0 && waited < 5000; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The TTL attribute of the workflow table (the stack sets `timeToLiveAttribute: 'expires_at'`). */
export const TTL_ATTRIBUTE = 'expires_at';

const TTL_TARGET = /^DynamoDB_20120810\.(DescribeTimeToLive|UpdateTimeToLive)$/;

/**
 * dynalite has no DescribeTimeToLive/UpdateTimeToLive: answer them in front of it, per table, in
 * DynamoDB's JSON protocol. Items are not deleted on expiry (readers check `expires_at` themselves,
 * as Powertools does). Every other request goes to dynalite untouched.
 */
function answerTimeToLive(server: Server): { readonly count: number } {
  const inFlight = { count: 0 };
  const ttl = new Map<string, { AttributeName: string; Enabled: boolean }>();
  const dynaliteHandlers = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  const reply = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'local' });
    res.end(JSON.stringify(body));
  };
  const answer = async (req: IncomingMessage, res: ServerResponse, operation: string): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
      TableName?: string;
      TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
    };
    const table = String(body.TableName);
    if (operation === 'UpdateTimeToLive' && body.TimeToLiveSpecification) {
      ttl.set(table, body.TimeToLiveSpecification);
      reply(res, 200, { TimeToLiveSpecification: body.TimeToLiveSpecification });
      return;
    }
    const spec = ttl.get(table);
    reply(res, 200, {
      TimeToLiveDescription: spec?.Enabled
        ? { TimeToLiveStatus: 'ENABLED', AttributeName: spec.AttributeName }
        : { TimeToLiveStatus: 'DISABLED' },
    });
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const match = TTL_TARGET.exec(String(req.headers['x-amz-target'] ?? ''));
    if (match) {
      answer(req, res, match[1]!).catch(() =>
        reply(res, 400, { __type: 'com.amazon.coral.validate#ValidationException', message: 'bad request' }),
      );
      return;
    }
    // Counted until dynalite answers (its store work is done by then), even on a closed socket.
    inFlight.count += 1;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    let settled = false;
    res.end = ((...args: unknown[]) => {
      if (!settled) {
        settled = true;
        inFlight.count -= 1;
      }
      return end(...args);
    }) as ServerResponse['end'];
    for (const handler of dynaliteHandlers) handler.call(server, req, res);
  });
  return inFlight;
}

/** How long {@link createWorkflowTable} waits for a new table to become ACTIVE. */
const TABLE_ACTIVE_TIMEOUT_MS = 10_000;

/**
 * Waits until the table is ACTIVE. As on DynamoDB, a table answers CreateTable while still
 * CREATING, and refuses items (ResourceNotFoundException) until then; dynalite flips it on a
 * timer and, with an on-disk store, after a write, so a request right behind CreateTable can
 * still find it CREATING. (The SDK's `waitUntilTableExists` polls in whole seconds.)
 */
async function untilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  const deadline = Date.now() + TABLE_ACTIVE_TIMEOUT_MS;
  for (let delayMs = 2; ; delayMs = Math.min(delayMs * 2, 100)) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline)
      throw new Error(`table ${tableName} still ${Table?.TableStatus} after ${TABLE_ACTIVE_TIMEOUT_MS} ms`);
    await sleep(delayMs);
  }
}

/**
 * Creates the project's one table with the stack's key schema (`pk` S HASH, `sk` S RANGE) and its
 * TTL on {@link TTL_ATTRIBUTE} enabled, as the template declares it, and returns once it is
 * ACTIVE. A table that already exists (an on-disk store from an earlier run) is kept as it is,
 * with its items.
 */
export async function createWorkflowTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await createTable(client, tableName).catch((error: unknown) => {
    if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
  });
  await untilActive(client, tableName);
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
}

async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
}
