/**
 * Shared helpers of the reliability and chaos suites: registration bodies with recognisable
 * personal data, a log scan for that data, and bounded waits on executions.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeExecutionCommand, paginateListExecutions, type SFNClient } from '@aws-sdk/client-sfn';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../infra/build-app.ts';

/** The personal data a registration carries; none of it may appear in a log line. */
export interface PersonalData {
  readonly email: string;
  readonly name: string;
  readonly phone: string;
}

const PLANS = ['free', 'pro', 'enterprise'] as const;

/**
 * A valid registration body for person `n`. Names and phones are distinctive (no word a log line
 * would otherwise contain), so a leak is a real leak and not a coincidence.
 */
export function registrationBody(
  n: number,
  tag: string,
  plan: (typeof PLANS)[number] = PLANS[n % PLANS.length]!,
): { body: Record<string, unknown>; pii: PersonalData } {
  const pii: PersonalData = {
    email: `${tag}.person${n}@reliability.example.org`,
    name: `Quillonia ${tag.toUpperCase()}${n} Vexbright`,
    phone: `+1 555 01${String(n % 100).padStart(2, '0')} ${String(4000 + (n % 1000)).padStart(4, '0')}`,
  };
  const body: Record<string, unknown> = {
    user_info: { email: pii.email, name: pii.name, phone: pii.phone, plan, source: 'api' },
    preferences: { marketing_emails: n % 2 === 0, newsletter: n % 3 === 0 },
  };
  if (plan !== 'free') {
    body.billing_info = {
      payment_method: 'card',
      billing_address: { street: `${n} Quarry Lane`, city: 'Springfield', state: 'IL', zip: '62701' },
    };
  }
  return { body, pii };
}

/**
 * Log lines that contain any of the personal data in clear: the email (also URL-encoded), the
 * full name, and the phone as sent or as bare digits.
 */
export function findPiiLeaks(lines: readonly string[], people: readonly PersonalData[]): string[] {
  const needles = new Set<string>();
  for (const person of people) {
    needles.add(person.email.toLowerCase());
    needles.add(encodeURIComponent(person.email).toLowerCase());
    needles.add(person.name.toLowerCase());
    needles.add(person.phone.toLowerCase());
    needles.add(person.phone.replace(/\D/g, ''));
  }
  const list = [...needles];
  return lines.filter((line) => {
    const lower = line.toLowerCase();
    return list.some((needle) => lower.includes(needle));
  });
}

/** Statuses after which an execution never changes again. */
export const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * Polls DescribeExecution until the execution is terminal or `deadline` (epoch ms) passes.
 * @returns the last status seen
 */
export async function waitForTerminal(
  sfn: SFNClient,
  executionArn: string,
  deadline: number,
  intervalMs = 100,
): Promise<string> {
  let status = 'UNKNOWN';
  while (Date.now() < deadline) {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    status = out.status ?? 'UNKNOWN';
    if (TERMINAL.has(status)) return status;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return status;
}

/** Every execution of the state machine (all pages, through the SDK's paginator). */
export async function countExecutions(sfn: SFNClient, stateMachineArn: string): Promise<number> {
  let count = 0;
  for await (const page of paginateListExecutions({ client: sfn }, { stateMachineArn })) {
    count += page.executions?.length ?? 0;
  }
  return count;
}

/** Retry limit (retries after the first attempt) of every step of the registration workflow. */
export function registrationRetryLimits(): Record<string, number> {
  const spec = parse(readFileSync(join(REPO_ROOT, 'config', 'user_registration.yaml'), 'utf8')) as {
    step_templates: Array<{ name: string; default_retry_limit: number }>;
  };
  return Object.fromEntries(spec.step_templates.map((step) => [step.name, step.default_retry_limit]));
}

export { mapLimit } from '../../local/chaos/careful-client.ts';
