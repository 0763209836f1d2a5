/**
 * Which error names a step may list in `retry_on`. Error names are the contract between handlers
 * and the state machine (lambdas/contracts.ts), so a name outside it must at least look
 * like an application error class and not be a near-miss of a known name.
 */
import {
  LAMBDA_CRASH_ERRORS,
  LAMBDA_SERVICE_ERRORS,
  LAMBDA_TIMEOUT_ERROR,
  PERMANENT_ERROR,
  RETRY_AFTER_BUCKETS_SECONDS,
  STEP_ERROR_NAMES,
} from '../../lambdas/contracts.ts';
import { didYouMean, editDistance } from './diagnostics.ts';

/** Error names Step Functions itself raises (ASL spec, "Error names"). */
export const STATES_ERRORS = [
  'States.ALL',
  'States.HeartbeatTimeout',
  'States.Timeout',
  'States.TaskFailed',
  'States.Permissions',
  'States.ResultPathMatchFailure',
  'States.ParameterPathFailure',
  'States.BranchFailed',
  'States.NoChoiceMatched',
  'States.IntrinsicFailure',
  'States.ExceedToleratedFailureThreshold',
  'States.ItemReaderFailed',
  'States.ResultWriterFailed',
  'States.Runtime',
] as const;

/** A custom error name a handler may throw: an error class name such as `QuotaExceededError`. */
const APP_ERROR_PATTERN = /^[A-Z][A-Za-z0-9]*(Error|Exception)$/;
const KNOWN_ERRORS: readonly string[] = [
  ...STATES_ERRORS,
  ...LAMBDA_SERVICE_ERRORS,
  ...LAMBDA_CRASH_ERRORS,
  LAMBDA_TIMEOUT_ERROR,
  ...STEP_ERROR_NAMES,
];

/**
 * Why an error name cannot be in `retry_on`, or undefined when it can: a real States.* error, a
 * contract name from lambdas/contracts.ts, a Lambda service error, or an application error class name
 * (`...Error` / `...Exception`) that is not a near-miss of a known name.
 */
export function retryOnProblem(errorName: string): string | undefined {
  if (errorName === PERMANENT_ERROR) return `'${PERMANENT_ERROR}' is never retried (remove it)`;
  if (errorName === 'States.ALL' || errorName === 'States.TaskFailed') {
    return `'${errorName}' would also retry ${PERMANENT_ERROR} (name the errors to retry instead)`;
  }
  if (/^RetryAfter\.\d+s$/.test(errorName)) {
    return `'${errorName}' is emitted by honor_retry_after (set honor_retry_after: true instead; buckets: ${RETRY_AFTER_BUCKETS_SECONDS.join(', ')} s)`;
  }
  if (KNOWN_ERRORS.includes(errorName)) return undefined;
  const nearMiss = KNOWN_ERRORS.find(
    (known) => editDistance(known.toLowerCase(), errorName.toLowerCase()) <= 2,
  );
  if (nearMiss || errorName.startsWith('States.') || errorName.startsWith('Lambda.')) {
    return `unknown error name '${errorName}'${didYouMean(errorName, KNOWN_ERRORS)}`;
  }
  if (!APP_ERROR_PATTERN.test(errorName)) {
    return `unknown error name '${errorName}' (use a States.* or Lambda.* error, one of ${STEP_ERROR_NAMES.join(', ')}, or an error class name ending in Error or Exception)`;
  }
  return undefined;
}
