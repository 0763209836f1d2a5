import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';

/** What the local server knows about a request once it has matched a route and read the body. */
export interface MatchedRequest {
  readonly req: IncomingMessage;
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** The route template, e.g. `/orders/{correlation_id}` (API Gateway's `resource`). */
  readonly resource: string;
  readonly pathParameters: Record<string, string> | null;
  readonly body: Buffer;
  readonly stage: string;
  /** The API's configured base URL: `Host`, `X-Forwarded-*` and `domainName` come from it, never from the client. */
  readonly publicUrl: URL;
  /** `requestContext.identity.userArn` (the local API's stand-in for the IAM caller), or null. */
  readonly callerArn: string | null;
}

/**
 * Sets an own, enumerable property even when the key is `__proto__` or another
 * `Object.prototype` member (a header or query name is the client's choice).
 */
function put<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Reads an own property only: `toString` must not find `Object.prototype.toString`. */
function own<T>(target: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(target, key) ? target[key] : undefined;
}

/**
 * Headers API Gateway sets itself in front of an integration: whatever the client sent under
 * these names, in any case, is replaced (X-Forwarded-For is appended to, as API Gateway does).
 */
const GATEWAY_HEADERS = new Set(['host', 'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-for']);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Builds the event API Gateway (REST API, Lambda proxy integration) hands a function.
 *
 * Header names keep the case the client sent (API Gateway does too), `headers` holds the last
 * value of a repeated header and `multiValueHeaders` all of them. A body that is not valid UTF-8
 * is passed base64-encoded with `isBase64Encoded: true` — what API Gateway does for binary media —
 * so the function can still tell it apart from text and reject it by name.
 */
export function buildProxyEvent(request: MatchedRequest): APIGatewayProxyEvent {
  const { req, publicUrl } = request;
  const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const forwardedFor: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const value = req.rawHeaders[i + 1] as string;
    const lower = name.toLowerCase();
    if (lower === 'x-forwarded-for') forwardedFor.push(value);
    if (GATEWAY_HEADERS.has(lower)) continue;
    put(headers, name, value);
    put(multiValueHeaders, name, [...(own(multiValueHeaders, name) ?? []), value]);
  }
  // API Gateway sets these in front of every integration; functions build absolute URLs from them.
  const proto = publicUrl.protocol.replace(/:$/, '');
  const port = publicUrl.port || (proto === 'https' ? '443' : '80');
  const gateway: Array<[string, string]> = [
    ['Host', publicUrl.host],
    ['X-Forwarded-For', [...forwardedFor, sourceIp].join(', ')],
    ['X-Forwarded-Port', port],
    ['X-Forwarded-Proto', proto],
  ];
  for (const [name, value] of gateway) {
    put(headers, name, value);
    put(multiValueHeaders, name, [value]);
  }

  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [key, value] of request.query) {
    put(queryStringParameters, key, value);
    put(multiValueQueryStringParameters, key, [...(own(multiValueQueryStringParameters, key) ?? []), value]);
  }
  const hasQuery = Object.keys(queryStringParameters).length > 0;

  let body: string | null = null;
  let isBase64Encoded = false;
  if (request.body.length > 0) {
    try {
      body = strictUtf8.decode(request.body);
    } catch {
      body = request.body.toString('base64');
      isBase64Encoded = true;
    }
  }

  const now = new Date();
  const requestId = randomUUID();
  const host = publicUrl.host;
  return {
    resource: request.resource,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? queryStringParameters : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQueryStringParameters : null,
    pathParameters: request.pathParameters,
    stageVariables: null,
    body,
    isBase64Encoded,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: request.callerArn,
      },
      domainName: host,
      domainPrefix: publicUrl.hostname.split('.')[0] ?? publicUrl.hostname,
      // With a custom domain (no stage prefix in the URL) API Gateway reports the path as served.
      path: request.path,
      stage: request.stage,
      requestId,
      extendedRequestId: requestId,
      requestTimeEpoch: now.getTime(),
      requestTime: formatRequestTime(now),
      resourceId: 'local',
      resourcePath: request.resource,
    },
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's `requestTime` format: `09/Apr/2015:12:34:56 +0000`. */
function formatRequestTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
