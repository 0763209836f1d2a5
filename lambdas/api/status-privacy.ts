/**
 * What the status document may show of an execution's data (docs/status-privacy.md): error
 * causes with personal data masked and bounded, and only the output paths the workflow
 * allow-lists (`api.status_output`, env `STATUS_OUTPUT`). Inputs and outputs are never copied.
 */
import { ENV } from '../contracts.ts';
import { maskEmailsInText, maskPhone } from '../runtime/pii.ts';

/** Longest cause shown; a longer one is cut with a marker (causes can be 32 KB). */
export const MAX_CAUSE_CHARS = 1000;

// A run of 7+ digits with the separators phone numbers are written with (`+1 (555) 123-4567`).
// Error messages carry IDs too, but the IDs of this project are letters and hex; a masked ID
// costs less than a leaked number.
const PHONE_PATTERN = /\+?\d[\d\s().-]{5,}\d/g;

/**
 * A cause fit for a status reader: the Lambda runtime's JSON reduced to its message (never the
 * stack trace), email addresses and phone-like numbers masked, at most {@link MAX_CAUSE_CHARS}.
 * Personal names in free text cannot be recognized: handlers must not put them in messages
 * (docs/handlers.md), and the status shows no input or output that would carry them.
 */
export function publicCause(cause: string | undefined): string {
  const masked = maskPersonalText(readableCause(cause));
  return masked.length > MAX_CAUSE_CHARS ? `${masked.slice(0, MAX_CAUSE_CHARS)}… (truncated)` : masked;
}

/** Email addresses and phone-like numbers (7-15 digits) masked in free text or a field pointer. */
export function maskPersonalText(text: string): string {
  return maskEmailsInText(text).replace(PHONE_PATTERN, (match) =>
    looksLikePhone(match) ? maskPhone(match) : match,
  );
}

/** 7-15 digits (E.164 allows at most 15), and not an ISO date such as `2026-12-02`. */
function looksLikePhone(match: string): boolean {
  const digits = match.replace(/\D/g, '').length;
  return digits >= 7 && digits <= 15 && !/^\d{4}-\d\d-\d\d$/.test(match.trim());
}

/**
 * A Lambda error's cause is the runtime's JSON `{errorType, errorMessage, trace}`: clients get the
 * message, never the stack trace.
 */
export function readableCause(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: a Step Functions cause such as States.Timeout's plain text.
  }
  return cause;
}

/** `USER_CONFLICT: ...` → `USER_CONFLICT`: the code a PermanentError's message starts with. */
export function errorCodeOf(message: string): string | undefined {
  return /^([A-Z][A-Z0-9_]{1,63}):/.exec(message)?.[1];
}

/**
 * `STATUS_OUTPUT`: a JSON list of dotted paths (`steps.create_user_account.user_id`).
 * @throws Error naming the variable when it is malformed (a deployment bug)
 */
export function readStatusOutputPaths(raw: string | undefined): string[] {
  if (!raw) return [];
  let paths: unknown;
  try {
    paths = JSON.parse(raw);
  } catch {
    throw new Error(`${ENV.statusOutput} is not valid JSON`);
  }
  if (!Array.isArray(paths) || !paths.every((path) => typeof path === 'string' && isDottedPath(path))) {
    throw new Error(`${ENV.statusOutput} must be a JSON list of dotted paths such as "steps.<step>.<field>"`);
  }
  return paths as string[];
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function isDottedPath(path: string): boolean {
  const segments = path.split('.');
  return segments.every((segment) => SEGMENT.test(segment) && !FORBIDDEN.has(segment));
}

/**
 * The allow-listed paths found in `state`, rebuilt as nested objects (`{steps: {create_user_account:
 * {user_id}}}`); undefined when none is present. Only own properties are followed.
 */
export function pickAllowedOutput(
  state: unknown,
  paths: readonly string[],
): Record<string, unknown> | undefined {
  let picked: Record<string, unknown> | undefined;
  for (const path of paths) {
    const segments = path.split('.');
    let value: unknown = state;
    let found = true;
    for (const segment of segments) {
      if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) {
        found = false;
        break;
      }
      value = (value as Record<string, unknown>)[segment];
    }
    if (!found) continue;
    picked ??= {};
    let target = picked;
    for (const segment of segments.slice(0, -1)) {
      const next = target[segment];
      if (typeof next === 'object' && next !== null) {
        target = next as Record<string, unknown>;
      } else {
        const created: Record<string, unknown> = {};
        target[segment] = created;
        target = created;
      }
    }
    target[segments.at(-1) as string] = value;
  }
  return picked;
}
