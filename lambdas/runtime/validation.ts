import type { z } from 'zod';
import { PermanentError } from './errors.ts';

/**
 * Parses `value` with `schema`; on failure a PermanentError `INVALID_INPUT` naming every invalid
 * field by its path (`state.user_info.email: Invalid email address`). Values are never echoed:
 * they may be personal data.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${path === '' ? '(payload)' : path}: ${issue.message}`;
  });
  throw new PermanentError('INVALID_INPUT', problems.join('; '));
}
