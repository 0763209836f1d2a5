/**
 * The chaos run's bookkeeping: which step writes where, how a failure is explained, what must
 * exist exactly once.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { readableCause } from '../../lambdas/api/execution-steps.ts';
import { CIRCUIT_OPEN_ERROR } from '../../lambdas/contracts.ts';
import { causeKind } from '../../local/chaos/chaos-run.ts';
import type { RequestRecord } from '../../local/simulators/types.ts';
import type { ServiceName, SimulatorEntities } from '../../local/simulators/user_registration/types.ts';
import type { PersonalData } from '../reliability/support.ts';

/** The service route each step writes to. */
export const STEP_ROUTES: Record<string, { service: ServiceName; route: string }> = {
  create_user_account: { service: 'user', route: 'POST /users' },
  setup_billing_profile: { service: 'billing', route: 'POST /profiles' },
  initialize_preferences: { service: 'preferences', route: 'POST /users/{id}/preferences' },
  send_welcome_sequence: { service: 'notification', route: 'POST /notifications/welcome' },
  update_user_status: { service: 'user', route: 'PATCH /users/{id}/status' },
};
const STEP_ORDER = Object.keys(STEP_ROUTES);

interface StepDoc {
  name: string;
  status: string;
  attempts: number;
  error?: { error: string; cause: string };
}
export interface StatusDoc {
  status: string;
  steps: StepDoc[];
  failed_steps: string[];
}
export interface Registration {
  n: number;
  plan: string;
  pii: PersonalData;
  correlationId: string;
  executionArn: string;
  terminal: string;
  doc?: StatusDoc;
}

/**
 * How many registrations should fail by chance alone from the base fault mix (without the 429
 * bursts): a step gives up when all its limit + 1 attempts meet a fault, probability
 * p^(limit+1) with p the share of faulted requests; billing runs for paid plans only and
 * preferences falls back instead of failing.
 */
export function expectedExhaustions(
  limits: Record<string, number>,
  registrations: readonly Registration[],
): number {
  const p = 0.2 + 0.05 + 0.02 + 0.02;
  const paid = registrations.filter((r) => r.plan !== 'free').length;
  let expected = 0;
  for (const [step, limit] of Object.entries(limits)) {
    if (step === 'initialize_preferences') continue;
    expected += (step === 'setup_billing_profile' ? paid : registrations.length) * p ** (limit + 1);
  }
  return expected;
}

/**
 * A failure is explained when exactly one step failed after its retry limit + 1 attempts and
 * EVERY attempt failed with an error retries exist for (from the execution history). Anything
 * else — a permanent error, a crash, too few attempts — is a problem. Also counts the step's
 * service calls that met no injected fault: a timeout there is the machine's own load.
 */
export function explainFailure(
  registration: Registration,
  doc: StatusDoc,
  limits: Record<string, number>,
  events: readonly HistoryEvent[],
  log: (filter: { service?: ServiceName; route?: string; correlationId?: string }) => RequestRecord[],
): { key: string; problem?: string; unprovoked: number } {
  if (doc.status !== 'FAILED' || doc.failed_steps.length !== 1) {
    const problem = `ended ${doc.status} with failed_steps ${JSON.stringify(doc.failed_steps)}`;
    return { key: '', problem, unprovoked: 0 };
  }
  const stepName = doc.failed_steps[0]!;
  const step = doc.steps.find((candidate) => candidate.name === stepName);
  if (!step?.error?.error || !step.error.cause) {
    return { key: '', problem: `failed step ${stepName} names no error and cause`, unprovoked: 0 };
  }
  const key = `${stepName}/${step.error.error}(${causeKind(step.error.cause)})`;
  const target = STEP_ROUTES[stepName]!;
  const calls = log({ ...target, correlationId: registration.correlationId });
  const unprovoked = calls.filter((call) => call.fault === undefined).length;
  const limit = limits[stepName] ?? -1;
  const failures = stepFailures(events, stepName);
  // Waits on an open circuit breaker have a Retrier (and budget) of their own: they spend none of
  // the step's retries, so they are not counted against its limit.
  const breakerWaits = failures.filter((failure) => failure.error === CIRCUIT_OPEN_ERROR).length;
  if (step.attempts - breakerWaits !== limit + 1) {
    const problem = `${key}: gave up after ${step.attempts} attempts (${breakerWaits} on an open breaker), limit is ${limit} retries`;
    return { key, problem, unprovoked };
  }
  const unexpected = failures.filter(
    (failure) => failure.error !== CIRCUIT_OPEN_ERROR && !RETRIED_ERRORS.test(failure.error),
  );
  if (failures.length !== step.attempts || unexpected.length > 0) {
    const seen = failures.map((failure) => `${failure.error}: ${failure.message.slice(0, 200)}`).join(' | ');
    return { key, problem: `${key}: attempts failed with ${seen}`, unprovoked };
  }
  return { key, unprovoked };
}

/** Errors the compiled Retry blocks retry (lambdas/contracts.ts); a step may only give up on these. */
const RETRIED_ERRORS =
  /^(RetryableError|RetriesExhausted|States\.Timeout|IdempotencyAlreadyInProgressError|RetryAfter\.\d+s|Lambda\.\w+)$/;

/** The failed Lambda attempts of one step, attributed through the history's event chain. */
function stepFailures(
  events: readonly HistoryEvent[],
  stepName: string,
): Array<{ error: string; message: string }> {
  const byId = new Map(events.map((event) => [event.id, event]));
  const stepOf = (event: HistoryEvent | undefined, hops = 0): string | undefined => {
    if (!event || hops > 10) return undefined;
    const input = event.lambdaFunctionScheduledEventDetails?.input;
    if (input) return (JSON.parse(input) as { step?: string }).step;
    return stepOf(byId.get(event.previousEventId), hops + 1);
  };
  return events.flatMap((event) => {
    const details = event.lambdaFunctionFailedEventDetails ?? event.lambdaFunctionTimedOutEventDetails;
    if (!details || stepOf(event) !== stepName) return [];
    return [{ error: details.error ?? '', message: readableCause(details.cause) }];
  });
}

function userOf(pii: PersonalData, entities: SimulatorEntities) {
  return entities.users.filter((user) => user.email === pii.email);
}

/** Injected faults by what the client saw: `503=…, 429=…, slow=…, drop=…, lost_response=…`. */
export function faultsFired(log: Array<{ fault: string | undefined; status: number | undefined }>): string {
  const names: Record<string, string> = { latency: 'slow', drop: 'drop', apply_then_drop: 'lost_response' };
  const counts = new Map<string, number>();
  for (const record of log) {
    if (record.fault === undefined) continue;
    const name = record.fault === 'status' ? String(record.status) : (names[record.fault] ?? record.fault);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([name, count]) => `${name}=${count}`).join(' ');
}

/** For a succeeded registration: what is missing or not exactly once. */
export function missingEntities(
  registration: Registration,
  doc: StatusDoc,
  entities: SimulatorEntities,
): string[] {
  const users = userOf(registration.pii, entities);
  if (users.length !== 1) return [`${users.length} users`];
  const user = users[0]!;
  const out: string[] = [];
  if (user.status !== 'active' || user.activations !== 1)
    out.push(`user activated ${user.activations} times`);
  const profiles = entities.profiles.filter((p) => p.user_id === user.id).length;
  if (profiles !== (registration.plan === 'free' ? 0 : 1)) out.push(`${profiles} billing profiles`);
  const preferences = entities.preferences.filter((p) => p.user_id === user.id);
  const fellBack = doc.steps.some((s) => s.name === 'initialize_preferences' && s.status === 'fallback');
  // A fallback may follow a write whose answer was lost; one write at most, then.
  const writes = preferences[0]?.writes ?? 0;
  if (fellBack ? writes > 1 : writes !== 1) out.push(`preferences written ${writes} times`);
  const welcomes = entities.welcomeSequences.filter((w) => w.user_id === user.id).length;
  if (welcomes !== 1) out.push(`${welcomes} welcome sequences`);
  return out;
}

/** For a failed registration: entities of steps after the failed one must not exist. */
export function laterEntities(
  registration: Registration,
  doc: StatusDoc,
  entities: SimulatorEntities,
): string[] {
  const failedAt = STEP_ORDER.indexOf(doc.failed_steps[0] ?? '');
  const user = userOf(registration.pii, entities)[0];
  if (user === undefined) return failedAt === 0 ? [] : ['no user although create_user_account succeeded'];
  const out: string[] = [];
  if (
    failedAt < STEP_ORDER.indexOf('send_welcome_sequence') &&
    entities.welcomeSequences.some((w) => w.user_id === user.id)
  ) {
    out.push('a welcome sequence was sent after an earlier step failed');
  }
  if (failedAt < STEP_ORDER.indexOf('update_user_status') && user.activations > 0) {
    out.push('the user was activated after an earlier step failed');
  }
  return out;
}
