import type { APIGatewayProxyEvent } from 'aws-lambda';
import { STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES } from '../contracts.ts';
import { ApiError, header } from './http.ts';

/** Deeper than any workflow input needs; keeps recursive walks and validation cheap. */
export const MAX_JSON_DEPTH = 32;

/** Keys that pollute prototypes when a body is later merged into an object. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads the request body as a JSON value, refusing — with a 4xx that names the problem — anything
 * that is not a modest, UTF-8, `application/json` document free of prototype-polluting keys.
 * The checks run cheapest first and all before any write, so rejected input has no effect.
 *
 * @param maxBytes largest body accepted @default 262144 (the Step Functions input limit)
 */
export function readJsonBody(
  event: APIGatewayProxyEvent,
  maxBytes = STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES,
): unknown {
  checkContentType(header(event, 'Content-Type'));
  if (event.body === null || event.body === undefined || event.body.length === 0) {
    throw new ApiError(400, 'Request body is empty: send a JSON object');
  }
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.length > maxBytes) {
    throw new ApiError(
      413,
      `Request body is ${bytes.length} bytes; the limit is ${maxBytes} bytes (the Step Functions execution input limit)`,
    );
  }
  let text: string;
  try {
    text = event.isBase64Encoded ? strictUtf8.decode(bytes) : event.body;
  } catch {
    throw new ApiError(400, 'Request body is not valid UTF-8');
  }
  const depth = maxNestingDepth(text);
  if (depth > MAX_JSON_DEPTH) {
    throw new ApiError(400, `Request body is nested ${depth} levels deep; the limit is ${MAX_JSON_DEPTH}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, `Request body is not valid JSON: ${(error as Error).message}`);
  }
  const forbidden = findForbiddenKey(value, '');
  if (forbidden !== undefined) {
    throw new ApiError(400, `Request body contains the forbidden key '${forbidden.key}'`, [
      { field: forbidden.pointer, problem: `key '${forbidden.key}' is not allowed` },
    ]);
  }
  return value;
}

function checkContentType(contentType: string | undefined): void {
  if (contentType === undefined) {
    throw new ApiError(415, 'Content-Type header is missing: send application/json');
  }
  const [mediaType = '', ...params] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (mediaType !== 'application/json') {
    throw new ApiError(
      415,
      `Content-Type '${contentType.slice(0, 100)}' is not supported: send application/json`,
    );
  }
  for (const param of params) {
    const [name, value] = param.split('=').map((part) => part.trim().replace(/^"|"$/g, ''));
    if (name === 'charset' && value !== 'utf-8' && value !== 'utf8') {
      throw new ApiError(415, `charset '${value?.slice(0, 40)}' is not supported: send UTF-8 JSON`);
    }
  }
}

/** The deepest `[`/`{` nesting outside strings, found in one linear pass before parsing. */
export function maxNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c)
        i++; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x7b || char === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (char === 0x7d || char === 0x5d) {
      depth--;
    }
  }
  return deepest;
}

function findForbiddenKey(value: unknown, pointer: string): { key: string; pointer: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const key of Object.keys(value)) {
    const childPointer = `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (FORBIDDEN_KEYS.has(key)) return { key, pointer: childPointer };
    const found = findForbiddenKey((value as Record<string, unknown>)[key], childPointer);
    if (found) return found;
  }
  return undefined;
}
