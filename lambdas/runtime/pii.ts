/**
 * Masking of personal data (emails, names, phone numbers) in log lines. Applied as the Logger's
 * JSON replacer, so it covers every field of every line, including nested objects and errors.
 */

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

// Deliberately broad: a false positive costs a masked log value, a miss leaks an address.
const EMAIL_PATTERN = /[^\s"'<>()[\]{},;:@]+@[^\s"'<>()[\]{},;:@]+\.[A-Za-z]{2,}/g;
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

/** Masks one value by the key it sits under. */
export function maskValue(key: string, value: string): string {
  const lower = key.toLowerCase();
  if (lower === 'email') return maskEmail(value);
  if (lower.includes('phone')) return maskPhone(value);
  if (PII_KEYS.has(lower)) return maskName(value);
  return maskEmailsInText(value);
}

// Error class names (`RetryableError`, `RetryAfter.5s`) share the `name` key with people's names.
const ERROR_NAME_PATTERN =
  /^([A-Za-z.]*(Error|Exception)|RetryAfter\.\d+s|RetriesExhausted|RetryAfterTooLong)$/;

/**
 * A `JSON.stringify` replacer that masks personal data. Powertools calls it without the holder
 * object, so an error's `name` is told apart from a person's by its shape.
 */
export function piiReplacer(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (key === 'name' && ERROR_NAME_PATTERN.test(value)) return value;
  return maskValue(key, value);
}
