/**
 * Masking of personal data (emails, names, phone numbers) in log lines. Applied as the Logger's
 * JSON replacer, so it covers every field of every line, including nested objects and errors.
 */
import {
  LAMBDA_CRASH_ERRORS,
  LAMBDA_SERVICE_ERRORS,
  LAMBDA_TIMEOUT_ERROR,
  retryAfterSecondsOf,
  STEP_ERROR_NAMES,
} from '../contracts.ts';

/** Keys whose string values are personal data wherever they appear. */
const PII_KEYS: ReadonlySet<string> = new Set([
  'email',
  'name',
  'full_name',
  'first_name',
  'last_name',
  'phone',
  'phone_number',
  'street',
]);

// Deliberately broad: a false positive costs a masked log value, a miss leaks an address. The
// local part stops at '/', '?', '&' and '=' so that in a logged path (`/customers/<email>/orders`)
// only the address is masked, not the segments before it.
const EMAIL_PATTERN = /[^\s"'<>()[\]{},;:@/?&=]+@[^\s"'<>()[\]{},;:@/?&=]+\.[A-Za-z]{2,}/g;
// Encoded form, as in a logged query string (`?email=jane%40example.com`).
const ENCODED_EMAIL_PATTERN = /[^\s"'&=?/]+%40[^\s"'&=?/]+/gi;

/** `jane@example.com` → `j***@***`. */
export function maskEmail(email: string): string {
  return `${email.slice(0, 1)}***@***`;
}

/** `Jane Doe` → `J***`. */
export function maskName(name: string): string {
  return name.length === 0 ? name : `${name.slice(0, 1)}***`;
}

/** `+1 555 123 4567` → `***67`: the last two digits help support match a call without exposing it. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return `***${digits.slice(-2)}`;
}

/** Masks email addresses inside free text (error messages, paths). */
export function maskEmailsInText(text: string): string {
  // Most log strings hold no address; skip the regexes (quadratic on long strings without '@').
  if (!text.includes('@') && !text.includes('%40')) return text;
  return text.replace(EMAIL_PATTERN, (match) => maskEmail(match)).replace(ENCODED_EMAIL_PATTERN, '***');
}

// A phone number written as text: an optional '+', then 7 to 15 digits with the usual separators.
const PHONE_PATTERN = /^\+?[\d\s().-]+$/;

function looksLikePhone(text: string): boolean {
  if (!PHONE_PATTERN.test(text)) return false;
  const digits = text.replace(/\D/g, '').length;
  return digits >= 7 && digits <= 15;
}

/**
 * Masks a field name by the rules the values follow: a name is no place for personal data, but a
 * hostile body can put an email address or a phone number there (`{"+1 555 010 4477": true}`).
 */
export function maskKey(key: string): string {
  if (looksLikePhone(key.trim())) return maskPhone(key);
  return maskEmailsInText(key);
}

/** Masks one value by the key it sits under. */
export function maskValue(key: string, value: string): string {
  const lower = key.toLowerCase();
  if (lower === 'email') return maskEmail(value);
  if (lower.includes('phone')) return maskPhone(value);
  if (PII_KEYS.has(lower)) return maskName(value);
  return maskEmailsInText(value);
}

// Error names share the `name` key with people's names: a class name (`TypeError`,
// `ConditionalCheckFailedException`), a `States.*` name, or a name of the contract
// (`RetriesExhausted`, `CircuitOpen`, `RetryAfter.5s`, `Sandbox.Timedout`, `Lambda.Unknown`).
const ERROR_CLASS_PATTERN = /^([A-Za-z.]*(Error|Exception)|States\.[A-Za-z]+)$/;
const CONTRACT_ERROR_NAMES: ReadonlySet<string> = new Set([
  ...STEP_ERROR_NAMES,
  ...LAMBDA_SERVICE_ERRORS,
  ...LAMBDA_CRASH_ERRORS,
  LAMBDA_TIMEOUT_ERROR,
]);

function isErrorName(value: string): boolean {
  return (
    CONTRACT_ERROR_NAMES.has(value) ||
    retryAfterSecondsOf(value) !== undefined ||
    ERROR_CLASS_PATTERN.test(value)
  );
}

/**
 * A `JSON.stringify` replacer that masks personal data. Powertools calls it without the holder
 * object, so an error's `name` is told apart from a person's by its shape.
 */
export function piiReplacer(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return isPlainObject(value) ? withMaskedKeys(value) : value;
  if (key === 'name' && isErrorName(value)) return value;
  return maskValue(key, value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * The object itself when no key needs masking (the common case: no copy), else a copy with masked
 * keys; masked keys that collide get `#2`, `#3` ... so no value disappears. The copy has no
 * prototype, so a key such as `__proto__` stays a plain field.
 */
function withMaskedKeys(value: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(value);
  if (!keys.some((key) => maskKey(key) !== key)) return value;
  const copy: Record<string, unknown> = Object.create(null);
  for (const key of keys) {
    const masked = maskKey(key);
    let name = masked;
    for (let n = 2; Object.hasOwn(copy, name); n++) name = `${masked}#${n}`;
    copy[name] = value[key];
  }
  return copy;
}
