/** The client side of a chaos run: bounded concurrency and a careful POST. */

/** Runs `work` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** The 202 of `POST /<resource>`. */
export interface Accepted {
  readonly correlation_id: string;
  readonly execution_arn: string;
}

/**
 * POSTs an execution as a careful client does: a 5xx or a lost connection is retried with the
 * same Idempotency-Key (at most 5 times), which is what the key is for. Anything else must be 202.
 *
 * @param onRetry called before each repeated POST
 */
export async function submit(
  resourceUrl: string,
  body: unknown,
  key: string,
  onRetry: () => void = () => {},
  correlationId?: string,
): Promise<Accepted> {
  let last = '';
  for (let attempt = 0; attempt < 5; attempt += 1) {
    if (attempt > 0) {
      onRetry();
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
    try {
      const response = await fetch(resourceUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': key,
          ...(correlationId ? { 'x-correlation-id': correlationId } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(45_000),
      });
      const text = await response.text();
      if (response.status === 202) return JSON.parse(text) as Accepted;
      last = `${response.status} ${text}`;
      if (response.status < 500) break;
    } catch (error) {
      last = String(error);
    }
  }
  throw new Error(`execution ${key} not accepted: ${last}`);
}
