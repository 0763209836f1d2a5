/**
 * AWS service limits the compiler checks before anything is deployed, each with where it is
 * documented, so a workflow that would fail at `cdk deploy` (or at its first execution) fails at
 * `npm run asl` and `npx cdk synth` instead, with a `file:line` diagnostic.
 */

/** ASL: a state name is at most 80 Unicode characters. */
export const MAX_STATE_NAME_LENGTH = 80;

/** Step Functions quota "Maximum state machine definition size": 1 MB (UTF-8 bytes). */
export const MAX_DEFINITION_BYTES = 1_048_576;

/** A definition this share of the limit or larger gets a warning: one more step may not fit. */
export const DEFINITION_WARNING_RATIO = 0.8;

/**
 * Longest Lambda function ARN: `arn:aws-us-gov:lambda:<14-character region>:<12 digits>:function:`
 * plus a 64-character name is 123 characters; 128 leaves room. The deployed names are only known
 * after `cdk deploy`, so the size check counts every Task's ARN at this length.
 */
export const MAX_LAMBDA_ARN_LENGTH = 128;

/** Lambda: a function's description is at most 256 characters. */
export const MAX_LAMBDA_DESCRIPTION_LENGTH = 256;

/** Lambda: memory from 128 MB to 10,240 MB, in 1 MB steps. */
export const LAMBDA_MEMORY_MB = { min: 128, max: 10_240 } as const;

/** CloudFormation: a stack name is 1-128 characters, a letter first, then letters, digits and `-`. */
export const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/** ASL: intrinsic functions nest at most 10 deep in one field. */
export const MAX_INTRINSIC_NESTING = 10;
