import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import {
  createApiClient,
  type ExecutionApiClient,
  type ExecutionStatusDocument,
  type StartedExecution,
} from '../../local/cli/api-client.ts';
import { followExecution } from '../../local/cli/step-lines.ts';

/** One registration run through the API to its end. */
export interface Completed {
  readonly started: StartedExecution;
  readonly status: ExecutionStatusDocument;
}

/** POSTs `body` and polls GET until the execution is terminal (bounded). */
export async function register(
  client: ExecutionApiClient,
  body: unknown,
  opts: { correlationId?: string; idempotencyKey?: string; timeoutMs?: number } = {},
): Promise<Completed> {
  const { correlationId, idempotencyKey } = opts;
  const { body: started } = await client.start(body, {
    ...(correlationId ? { correlationId } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });
  const status = await followExecution(
    () => client.status(started.correlation_id),
    () => {},
    { pollMs: 50, timeoutMs: opts.timeoutMs ?? 60_000 },
  );
  return { started, status };
}

/** A client for the flagship's resource on the runtime's local API. */
export function apiClient(apiUrl: string, resource = 'registrations'): ExecutionApiClient {
  return createApiClient(`${apiUrl}/${resource}`);
}

/** A registration body with a unique email. */
export function registrationBody(
  plan: 'free' | 'pro' | 'enterprise',
  tag: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    user_info: { email: `${tag}@example.com`, name: `User ${tag}`, plan, phone: '+1-555-0100' },
    ...(plan === 'free' ? {} : { billing_info: { payment_method: 'card_visa' } }),
    ...extra,
  };
}

/** The whole history of an execution, through the Step Functions API. */
export async function historyOf(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < 50; page++) {
    const result = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
    );
    events.push(...(result.events ?? []));
    nextToken = result.nextToken;
    if (!nextToken) break;
  }
  return events;
}
