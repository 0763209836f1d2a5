import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

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
 * new table CREATING for 500 ms).
 *
 * @example
 * const dynamo = await startDynalite();
 * await createWorkflowTable(dynamo.client, 'workflow');
 * // ... process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint
 * await dynamo.close();
 */
export async function startDynalite(opts: StartDynaliteOptions = {}): Promise<LocalDynamo> {
  const host = opts.host ?? '127.0.0.1';
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
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
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Creates the project's one table with the stack's key schema (`pk` S HASH, `sk` S RANGE).
 * dynalite lacks UpdateTimeToLive, so TTL on `expires_at` is not enabled here; expired step
 * idempotency records are still ignored because Powertools checks `expires_at` itself.
 */
export async function createWorkflowTable(client: DynamoDBClient, tableName: string): Promise<void> {
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
