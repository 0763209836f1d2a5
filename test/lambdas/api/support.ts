import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { parse } from 'yaml';
import { type CorrelationRecord, ExecutionStore } from '../../../lambdas/api/execution-store.ts';
import {
  createWorkflowTable,
  LOCAL_AWS_CLIENT_CONFIG,
  type LocalDynamo,
  startDynalite,
} from '../../../local/dynamo.ts';

/** The registration schema exactly as the workflow file declares it. */
export function registrationSchema(): Record<string, unknown> {
  const doc = parse(
    readFileSync(new URL('../../../config/user_registration.yaml', import.meta.url), 'utf8'),
  ) as {
    schema: Record<string, unknown>;
  };
  return doc.schema;
}

/** dynalite with the workflow table, a store on it, and a way to count what was written. */
export async function startTable(tableName = 'registrations'): Promise<{
  dynamo: LocalDynamo;
  store: ExecutionStore;
  itemCount(): Promise<number>;
  close(): Promise<void>;
}> {
  const dynamo = await startDynalite();
  await createWorkflowTable(dynamo.client, tableName);
  const doc = DynamoDBDocumentClient.from(dynamo.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    dynamo,
    store: new ExecutionStore(doc, tableName),
    async itemCount() {
      const result = await dynamo.client.send(new ScanCommand({ TableName: tableName, Select: 'COUNT' }));
      return result.Count ?? 0;
    },
    close: () => dynamo.close(),
  };
}

/**
 * A Step Functions endpoint that must never be called: it counts requests and fails them. Used
 * where a test proves that rejected input starts nothing.
 */
export async function startTripwireSfn(): Promise<{
  client: SFNClient;
  calls(): number;
  close(): Promise<void>;
}> {
  let calls = 0;
  const server = createServer((req, res) => {
    calls++;
    req.resume();
    res.writeHead(500, { 'Content-Type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify({ __type: 'InternalFailure', message: 'tripwire: no execution may start' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new SFNClient({
    ...LOCAL_AWS_CLIENT_CONFIG,
    endpoint: `http://127.0.0.1:${port}`,
    maxAttempts: 1,
  });
  return {
    client,
    calls: () => calls,
    close: () =>
      new Promise<void>((resolve) => {
        client.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The IAM principal the test events are signed by unless they say otherwise. */
export const CALLER_ARN = 'arn:aws:iam::000000000000:user/tester';

/** A correlation record owned by {@link CALLER_ARN} (or `owner`), without a status token. */
export function ownedRecord(
  correlationId: string,
  executionArn: string,
  owner: string | null = CALLER_ARN,
): CorrelationRecord {
  return { correlationId, executionArn, requestHash: 'h', owner, statusTokenHash: '', statusTokenKey: '' };
}

/** A minimal API Gateway proxy event for `POST /registrations`. */
export function postEvent(
  body: string | null,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
  opts: { isBase64Encoded?: boolean; userArn?: string | null } = {},
): APIGatewayProxyEvent {
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) multiValueHeaders[name] = [value];
  return {
    resource: '/registrations',
    path: '/registrations',
    httpMethod: 'POST',
    headers: { Host: 'api.test', 'X-Forwarded-Proto': 'https', ...headers },
    multiValueHeaders,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded: opts.isBase64Encoded ?? false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: 'POST',
      identity: {
        userArn: opts.userArn === undefined ? CALLER_ARN : opts.userArn,
      } as APIGatewayProxyEvent['requestContext']['identity'],
      domainName: 'api.test',
      path: '/v1/registrations',
      stage: 'v1',
      requestId: 'req-1',
      requestTimeEpoch: Date.now(),
      resourceId: 'r',
      resourcePath: '/registrations',
    },
  };
}

/**
 * A GET /registrations/{correlation_id} event, signed by {@link CALLER_ARN} unless `userArn` says
 * otherwise (null: no IAM), with `query` (e.g. `{token}`) when given.
 */
export function getEvent(
  correlationId: string,
  opts: { userArn?: string | null; query?: Record<string, string> } = {},
): APIGatewayProxyEvent {
  return {
    ...postEvent(null, {}, opts.userArn === undefined ? {} : { userArn: opts.userArn }),
    resource: '/registrations/{correlation_id}',
    path: `/registrations/${correlationId}`,
    httpMethod: 'GET',
    pathParameters: { correlation_id: correlationId },
    queryStringParameters: opts.query ?? null,
  };
}

/** A valid registration body. */
export function validBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    user_info: { email: 'ada@example.com', name: 'Ada Lovelace', plan: 'pro' },
    billing_info: { payment_method: 'card_visa' },
    ...overrides,
  };
}
