/**
 * Who may read or operate an execution: the IAM principal that started it, or whoever holds the
 * unguessable status token of its `status_url`. Anyone else gets exactly the 404 of an unknown
 * ID, so the API is no existence oracle (docs/status-privacy.md).
 *
 * The token is an HMAC of the execution input under a random per-record key. Only its sha256 and
 * the key are stored: someone who can read the table but does not know the input cannot compute
 * it, while a replay of the identical request (same Idempotency-Key, or the same correlation ID
 * with the same body) recomputes the token the first answer carried, so replays stay verbatim.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { STATUS_TOKEN_PARAM } from '../contracts.ts';
import type { CorrelationRecord } from './execution-store.ts';
import { ApiError } from './http.ts';

/** A fresh random key (32 bytes, base64url) for a new correlation record's token. */
export function newStatusTokenKey(): string {
  return randomBytes(32).toString('base64url');
}

/** The status token of an execution: HMAC-SHA256(key, canonical input), 43 base64url characters. */
export function statusTokenFor(key: string, canonicalInput: string): string {
  return createHmac('sha256', Buffer.from(key, 'base64url')).update(canonicalInput).digest('base64url');
}

/** What the correlation record keeps of a token. */
export function hashStatusToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The caller's IAM principal (`requestContext.identity.userArn`), or null without IAM. */
export function callerArn(event: APIGatewayProxyEvent): string | null {
  const arn = event.requestContext?.identity?.userArn;
  return typeof arn === 'string' && arn.length > 0 ? arn : null;
}

/** The token a request presents in `?token=`, if any. */
export function presentedToken(event: APIGatewayProxyEvent): string | undefined {
  const token = event.queryStringParameters?.[STATUS_TOKEN_PARAM];
  return typeof token === 'string' && token.length > 0 ? token : undefined;
}

/**
 * True when the caller started the execution (a non-null owner equal to the caller's ARN) or
 * presents its token. Records without a token (written before tokens existed) match only by owner.
 */
export function mayAccess(record: CorrelationRecord, event: APIGatewayProxyEvent): boolean {
  const caller = callerArn(event);
  if (record.owner !== null && caller !== null && caller === record.owner) return true;
  const token = presentedToken(event);
  if (token === undefined || record.statusTokenHash.length !== 64) return false;
  const presented = Buffer.from(hashStatusToken(token), 'hex');
  return timingSafeEqual(presented, Buffer.from(record.statusTokenHash, 'hex'));
}

/**
 * The one 404 for an unknown ID, a foreign one and one whose execution is gone: same status, same
 * body, same headers, whatever the reason.
 */
export function executionNotFound(correlationId: string): ApiError {
  return new ApiError(404, `No execution with correlation ID '${correlationId}'`);
}
