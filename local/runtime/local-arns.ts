/** The account, region and partition of every local ARN, and the ARNs built from them. */

/** Account, region and partition every local ARN uses. */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_PARTITION = 'aws';

/** Local function name → ARN. */
export function localFunctionArn(functionName: string): string {
  return `arn:${LOCAL_PARTITION}:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`;
}

/** Local state machine name → ARN. */
export function localStateMachineArn(name: string): string {
  return `arn:${LOCAL_PARTITION}:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
}
