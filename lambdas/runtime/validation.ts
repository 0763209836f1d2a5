import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { PermanentError, RUNTIME_ERROR_CODES } from './errors.ts';

// zod/mini ships without messages (so bundles stay small); English ones name what was expected.
z.config(en());

/**
 * Problems a message lists before it only counts the rest: a hostile payload with 20,000 bad
 * items must not become a 1 MB error (the Cause Step Functions keeps, and the log line).
 */
export const MAX_LISTED_PROBLEMS = 20;

/**
 * Parses `value` with `schema`; on failure a PermanentError `INVALID_INPUT` naming every invalid
 * field by its path (`state.user_info.email: Invalid email address`), under `root` when given
 * (`request.method: ...`). Values are never echoed: they may be personal data.
 */
export function parseInput<S extends z.ZodMiniType>(
  schema: S,
  value: unknown,
  errorCode: string = RUNTIME_ERROR_CODES.invalidInput,
  root = '',
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const problems = issues.slice(0, MAX_LISTED_PROBLEMS).map((issue) => {
    const path = [root, ...issue.path.map(String)].filter((part) => part !== '').join('.');
    return `${path === '' ? '(payload)' : path}: ${issue.message}`;
  });
  if (issues.length > MAX_LISTED_PROBLEMS) {
    problems.push(`and ${issues.length - MAX_LISTED_PROBLEMS} more problems`);
  }
  throw new PermanentError(errorCode, problems.join('; '));
}
