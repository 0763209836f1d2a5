/**
 * The benchmarks' client: registrations through the local API (POST /registrations), each waited
 * for to its end. It imports nothing of the project (types only), so the same client can drive
 * an older commit's runtime in a child process (bench/against.ts) without loading this tree.
 */
import { randomBytes, randomUUID } from 'node:crypto';

/** What the client needs of a runtime: its API and its execution records. */
export interface RegistrationTarget {
  readonly apiUrl: string;
  getExecution(
    executionArn: string,
  ): { readonly done: Promise<unknown>; readonly status: string } | undefined;
}

/** A registration body: every schema field explicit, so in-process runs see what the API would pass. */
export function registrationBody(plan: 'free' | 'pro' = 'pro'): Record<string, unknown> {
  const suffix = randomBytes(4).toString('hex');
  return {
    user_info: { email: `bench.${suffix}@example.com`, name: `Bench ${suffix}`, plan, source: 'api' },
    billing_info: { payment_method: 'card' },
    preferences: { marketing_emails: false, product_updates: true, newsletter: false },
  };
}

/** One registration started through the local API. */
export interface StartedExecution {
  readonly correlationId: string;
  readonly executionArn: string;
  /** performance.now() before the POST. */
  readonly postedAt: number;
}

/** POST /registrations; throws with the API's answer unless it is 202. */
export async function postRegistration(rt: RegistrationTarget, body: unknown): Promise<StartedExecution> {
  const postedAt = performance.now();
  const res = await fetch(`${rt.apiUrl}/registrations`, {
    method: 'POST',
    // Clients send an Idempotency-Key (the API's exactly-once path), so its writes are counted too.
    headers: { 'content-type': 'application/json', 'idempotency-key': `bench-${randomUUID()}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 202)
    throw new Error(`POST /registrations answered ${res.status}: ${text.slice(0, 300)}`);
  const json = JSON.parse(text) as { correlation_id: string; execution_arn: string };
  return { correlationId: json.correlation_id, executionArn: json.execution_arn, postedAt };
}

/**
 * Resolves when the execution reaches a terminal status, with the client-side time since the POST.
 * Uses the runtime's in-process completion signal, so no polling interval is added.
 */
export async function awaitTerminal(
  rt: RegistrationTarget,
  started: StartedExecution,
): Promise<{ status: string; clientMs: number }> {
  const record = rt.getExecution(started.executionArn);
  if (record === undefined) throw new Error(`execution ${started.executionArn} unknown to the runtime`);
  await record.done;
  return { status: record.status, clientMs: performance.now() - started.postedAt };
}

/** What {@link driveRegistrations} saw. */
export interface DriveResult {
  /** Wall time of the whole batch, s. */
  readonly seconds: number;
  /** Executions that SUCCEEDED. */
  readonly succeeded: string[];
  readonly failed: number;
  /** Distinct failure messages. */
  readonly errors: string[];
}

/**
 * `count` executions with `concurrency` in flight: each slot starts one with `start(n)` (which
 * returns its execution ARN), waits for its end, then starts the next. A start that throws (e.g.
 * a refused POST, the start function timing out) is a failure.
 */
export async function driveExecutions(
  rt: Pick<RegistrationTarget, 'getExecution'>,
  concurrency: number,
  count: number,
  start: (n: number) => Promise<string>,
): Promise<DriveResult> {
  let next = 0;
  let failed = 0;
  const succeeded: string[] = [];
  const errors = new Set<string>();
  const slot = async (): Promise<void> => {
    while (next < count) {
      const n = next++;
      try {
        const arn = await start(n);
        const record = rt.getExecution(arn);
        if (record === undefined) throw new Error(`execution ${arn} unknown to the runtime`);
        await record.done;
        if (record.status === 'SUCCEEDED') succeeded.push(arn);
        else failed++;
      } catch (error) {
        failed++;
        errors.add((error as Error).message.slice(0, 160));
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, slot));
  return { seconds: (performance.now() - started) / 1000, succeeded, failed, errors: [...errors] };
}

/** `count` registrations (plan `pro`, through POST /registrations) with `concurrency` in flight. */
export function driveRegistrations(
  rt: RegistrationTarget,
  concurrency: number,
  count: number,
): Promise<DriveResult> {
  return driveExecutions(
    rt,
    concurrency,
    count,
    async () => (await postRegistration(rt, registrationBody('pro'))).executionArn,
  );
}
