import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const clients = new Map<string, DynamoDBClient>();

/**
 * The DynamoDB client every step record (idempotency, circuit breaker) of this process shares, per
 * region. It honours `AWS_ENDPOINT_URL_DYNAMODB`, which the offline runtime points at dynalite.
 */
export function sharedDynamoClient(region: string): DynamoDBClient {
  let client = clients.get(region);
  if (client === undefined) {
    client = new DynamoDBClient({ region });
    clients.set(region, client);
  }
  return client;
}
