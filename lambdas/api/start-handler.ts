/**
 * The start function's logic without a validator of its own: the source entry
 * (start-execution.ts) adds the one the configuration asks for (ajv compiled, or a generated
 * module), the entry generated at synth (standalone-validator.ts `writeStartEntry`) adds the
 * validator it imports statically. Nothing here imports ajv, so that bundle carries no compiler.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { STATUS_TOKEN_PARAM, STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES } from '../contracts.ts';
import {
  type ApiConfig,
  type ApiLog,
  createApiLog,
  createClients,
  executionArnFor,
  readApiConfig,
} from './api-config.ts';
import { type AjvValidateLike, type BodyValidator, validatorFrom } from './body-validator.ts';
import { canonicalJson } from './canonical-json.ts';
import type { CorrelationRecord, ExecutionStore, StoredResponse } from './execution-store.ts';
import {
  ApiError,
  apiBaseUrl,
  CORRELATION_ID_PATTERN,
  errorResponse,
  header,
  IDEMPOTENCY_KEY_PATTERN,
  listedProblems,
} from './http.ts';
import { readJsonBody } from './request-body.ts';
import { startExactlyOnce } from './start-protocol.ts';
import { callerArn, statusTokenFor } from './status-access.ts';
import { maskPersonalText } from './status-privacy.ts';

/** What the start handler needs; the Lambda builds it from its environment. */
export interface StartExecutionDeps {
  readonly store: ExecutionStore;
  readonly sfn: SFNClient;
  readonly stateMachineArn: string;
  /** The API resource (`api.resource`): status URLs are `<base>/<resource>/<correlation_id>`. */
  readonly resource: string;
  readonly validate: BodyValidator;
  readonly idempotencyTtlSeconds: number;
  /** After this long an IN_PROGRESS key is presumed abandoned and may be taken over. @default 10000 */
  readonly leaseMs?: number;
  /** How long a duplicate waits for the first request's stored response. @default 5000 */
  readonly waitForWinnerMs?: number;
  /** Where the handler reports outcomes (never bodies: they carry personal data). @default no logging */
  readonly log?: ApiLog;
}

/** A request that passed validation, reduced to what the idempotent start needs. */
interface AcceptedRequest {
  readonly idempotencyKey: string | undefined;
  /** Set when the client chose the correlation ID (header or body), otherwise generated later. */
  readonly clientCorrelationId: string | undefined;
  /** The body with schema defaults applied, without a generated correlation ID. */
  readonly body: Record<string, unknown>;
  /** sha256 of the canonical body (+ the client's correlation ID): "the same request" for a key. */
  readonly requestHash: string;
  readonly baseUrl: string;
  /** The caller's IAM principal, kept as the execution's owner (null without IAM). */
  readonly owner: string | null;
  /** {@link inputFor}'s answers by correlation ID: the protocol asks for one input several times. */
  readonly inputs: Map<string, string>;
}

/**
 * `POST /<resource>`: validates the body against the workflow schema, records
 * Idempotency-Key -> correlation ID -> execution with conditional writes and starts the execution
 * named after the correlation ID. Answers 202 `{ correlation_id, execution_arn, status_url }`.
 *
 * Exactly-once start: the protocol in start-protocol.ts (claim, lease, wait for the winner,
 * takeover, release); StartExecution with the same name and input is itself idempotent in a
 * Standard workflow.
 */
export function createStartExecutionHandler(
  deps: StartExecutionDeps,
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  const log = deps.log ?? (() => {});
  return async (event) => {
    try {
      const result = await startExecution(deps, accept(event, deps.validate));
      const { correlation_id, execution_arn } = JSON.parse(result.body) as Record<string, string>;
      log('info', 'execution accepted', { status: result.statusCode, correlation_id, execution_arn });
      return result;
    } catch (error) {
      if (error instanceof ApiError) {
        // Field pointers only (messages can quote the body: JSON.parse errors do), at most 20 of
        // them, cut and masked: a key can be a phone number or 200 KB long.
        const listed = error.errors === undefined ? undefined : listedProblems(error.errors);
        log('warn', 'execution rejected', {
          status: error.statusCode,
          ...(listed === undefined
            ? {}
            : {
                fields: listed.errors.map((e) => maskPersonalText(e.field)),
                problem_count: listed.problem_count,
              }),
        });
        return errorResponse(error);
      }
      log('error', 'execution start failed', { error: (error as Error).name });
      throw error;
    }
  };
}

function accept(event: APIGatewayProxyEvent, validate: BodyValidator): AcceptedRequest {
  const idempotencyKey = header(event, 'Idempotency-Key');
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
    throw new ApiError(400, 'Idempotency-Key header is invalid', [
      { field: 'header Idempotency-Key', problem: 'must be 1-128 characters of A-Z a-z 0-9 _ . : -' },
    ]);
  }
  const headerCorrelationId = header(event, 'X-Correlation-ID');
  if (headerCorrelationId !== undefined && !CORRELATION_ID_PATTERN.test(headerCorrelationId)) {
    throw new ApiError(400, 'X-Correlation-ID header is invalid', [
      { field: 'header X-Correlation-ID', problem: correlationIdRule },
    ]);
  }
  const body = readJsonBody(event);
  const problems = validate(body);
  if (problems.length > 0) {
    throw new ApiError(400, `Request body is invalid: ${problems.length} problem(s)`, problems);
  }
  const record = body as Record<string, unknown>;
  const bodyCorrelationId = typeof record.correlation_id === 'string' ? record.correlation_id : undefined;
  if (bodyCorrelationId !== undefined && !CORRELATION_ID_PATTERN.test(bodyCorrelationId)) {
    throw new ApiError(400, 'Request body is invalid: 1 problem(s)', [
      { field: '/correlation_id', problem: correlationIdRule },
    ]);
  }
  if (headerCorrelationId && bodyCorrelationId && headerCorrelationId !== bodyCorrelationId) {
    throw new ApiError(400, 'X-Correlation-ID header and body correlation_id disagree', [
      { field: '/correlation_id', problem: 'must equal the X-Correlation-ID header when both are sent' },
    ]);
  }
  const clientCorrelationId = headerCorrelationId ?? bodyCorrelationId;
  const hashed =
    clientCorrelationId === undefined ? record : { ...record, correlation_id: clientCorrelationId };
  return {
    idempotencyKey,
    clientCorrelationId,
    body: record,
    requestHash: sha256(canonicalJson(hashed)),
    baseUrl: apiBaseUrl(event),
    owner: callerArn(event),
    inputs: new Map(),
  };
}

const correlationIdRule =
  'must be 1-80 characters of A-Z a-z 0-9 _ . - (it names the Step Functions execution)';

async function startExecution(
  deps: StartExecutionDeps,
  request: AcceptedRequest,
): Promise<APIGatewayProxyResult> {
  const correlationId = request.clientCorrelationId ?? generateCorrelationId();
  // Checked before any write: an input Step Functions would refuse must leave no trace.
  inputFor(request, correlationId);
  // The correlation record this request bound, when it started (or finished starting) the execution.
  let bound: CorrelationRecord | undefined;
  const outcome = await startExactlyOnce(
    {
      store: deps.store,
      idempotencyTtlSeconds: deps.idempotencyTtlSeconds,
      ...(deps.leaseMs === undefined ? {} : { leaseMs: deps.leaseMs }),
      ...(deps.waitForWinnerMs === undefined ? {} : { waitForWinnerMs: deps.waitForWinnerMs }),
    },
    {
      idempotencyKey: request.idempotencyKey,
      correlationId,
      requestHash: request.requestHash,
      correlationHashOf: (id) => sha256(inputFor(request, id)),
      statusTokenOf: (id, tokenKey) => statusTokenFor(tokenKey, inputFor(request, id)),
      owner: request.owner,
      executionArnOf: (id) => executionArnFor(deps.stateMachineArn, id),
    },
    (id, binding) => {
      bound = binding;
      return startAndAnswer(deps, request, id);
    },
  );
  switch (outcome.kind) {
    case 'answered':
      return answer(await withStatusToken(deps.store, request, outcome.response, bound));
    case 'key-reused':
      throw new ApiError(422, 'Idempotency-Key was already used with a different request body', [
        { field: 'header Idempotency-Key', problem: 'reuse it only to retry the identical request' },
      ]);
    case 'correlation-taken':
      throw new ApiError(
        409,
        `Correlation ID '${outcome.correlationId}' already belongs to a different request`,
        [{ field: 'header X-Correlation-ID', problem: 'use a new correlation ID for a different request' }],
      );
  }
}

/**
 * StartExecution under `correlationId`, and the 202 the client (and every duplicate) gets, as
 * stored for the Idempotency-Key: without the status token, which {@link withStatusToken} adds to
 * each answer, so the token is never written to the table.
 */
async function startAndAnswer(
  deps: StartExecutionDeps,
  request: AcceptedRequest,
  correlationId: string,
): Promise<StoredResponse> {
  const input = inputFor(request, correlationId);
  try {
    await startExecutionOnce(deps.sfn, deps.stateMachineArn, correlationId, input);
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ThrottlingException' || name === 'ExecutionLimitExceeded') {
      throw new ApiError(503, 'Step Functions is throttling new executions; retry shortly', undefined, {
        'Retry-After': '1',
      });
    }
    throw error;
  }
  return {
    statusCode: 202,
    body: JSON.stringify({
      correlation_id: correlationId,
      execution_arn: executionArnFor(deps.stateMachineArn, correlationId),
      status_url: `${request.baseUrl}/${deps.resource}/${correlationId}`,
    }),
  };
}

/**
 * The execution input: body with defaults plus correlation ID, canonical so retries match byte for
 * byte. Computed once per correlation ID of a request (the check, the hashes, the token and the
 * start all ask for it).
 */
function inputFor(request: AcceptedRequest, correlationId: string): string {
  const known = request.inputs.get(correlationId);
  if (known !== undefined) return known;
  const input = canonicalJson({ ...request.body, correlation_id: correlationId });
  const size = Buffer.byteLength(input);
  if (size > STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES) {
    throw new ApiError(
      413,
      `Execution input would be ${size} bytes; Step Functions accepts at most ${STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES}`,
    );
  }
  request.inputs.set(correlationId, input);
  return input;
}

/**
 * Starts the execution named `name`. Step Functions answers a repeat with the same name and input
 * with the same execution while it runs, and ExecutionAlreadyExists once it has closed. The caller
 * has already matched the correlation record's request hash, and the input is a pure function of
 * that request, so an existing execution of this name is this request's: no DescribeExecution
 * (and no extra IAM permission) is needed to confirm it.
 */
async function startExecutionOnce(
  sfn: SFNClient,
  stateMachineArn: string,
  name: string,
  input: string,
): Promise<void> {
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists) && (error as Error).name !== 'ExecutionAlreadyExists')
      throw error;
  }
}

/**
 * The stored answer with the status token in its `status_url`, recomputed from the correlation
 * record's key and this request's input (identical to the first request's, or the protocol would
 * not have answered it). `bound` saves the read when this request bound the record itself.
 */
async function withStatusToken(
  store: ExecutionStore,
  request: AcceptedRequest,
  stored: StoredResponse,
  bound: CorrelationRecord | undefined,
): Promise<StoredResponse> {
  const body = JSON.parse(stored.body) as Record<string, unknown>;
  const id = body.correlation_id;
  if (typeof id !== 'string' || typeof body.status_url !== 'string' || body.status_url.includes('?')) {
    return stored;
  }
  const record = bound?.correlationId === id ? bound : await store.getCorrelation(id);
  if (!record?.statusTokenKey) return stored;
  const token = statusTokenFor(record.statusTokenKey, inputFor(request, id));
  body.status_url = `${body.status_url}?${STATUS_TOKEN_PARAM}=${token}`;
  return { statusCode: stored.statusCode, body: JSON.stringify(body) };
}

function answer(stored: StoredResponse): APIGatewayProxyResult {
  const { correlation_id = '', status_url = '' } = JSON.parse(stored.body) as Record<string, string>;
  return {
    statusCode: stored.statusCode,
    headers: {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'X-Correlation-ID': correlation_id,
      Location: status_url,
    },
    body: stored.body,
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `exec_<unix seconds>_<8 hex>`, the contract's shape for generated correlation IDs. */
export function generateCorrelationId(now = Date.now()): string {
  return `exec_${Math.floor(now / 1000)}_${randomBytes(4).toString('hex')}`;
}

/** How the Lambda entry gets its body validator from the configuration, once per cold start. */
export type ValidatorSource = (
  config: Pick<ApiConfig, 'schema' | 'validatorModule'>,
) => BodyValidator | Promise<BodyValidator>;

/** The validator source of a generated ajv standalone function (statically imported by the entry). */
export function standaloneValidator(validate: AjvValidateLike): ValidatorSource {
  return (config) => validatorFrom(validate, config.schema);
}

/**
 * The Lambda entry point around {@link createStartExecutionHandler}: configuration, clients and
 * the validator are built on the first invocation; a failure is retried on the next one.
 *
 * @example
 * export const handler = createStartLambda(standaloneValidator(validate));
 */
export function createStartLambda(
  validatorOf: ValidatorSource,
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  let cached: Promise<(event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>> | undefined;
  return async (event) => {
    cached ??= (async () => {
      const config = readApiConfig();
      const { sfn, store } = createClients(config.tableName);
      return createStartExecutionHandler({
        log: createApiLog('start-execution', config.logLevel),
        store,
        sfn,
        stateMachineArn: config.stateMachineArn,
        resource: config.resource,
        validate: await validatorOf(config),
        idempotencyTtlSeconds: config.idempotencyTtlSeconds,
      });
    })().catch((error: unknown) => {
      // A broken configuration is retried on the next invocation, as before the first success.
      cached = undefined;
      throw error;
    });
    return (await cached)(event);
  };
}
