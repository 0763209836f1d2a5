/** Messages between the Lambda adapter and its worker threads (types only). */

/** What the Node.js Lambda runtime returns for a failed invocation (`FunctionError: Unhandled`). */
export interface LambdaErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  /** Stack lines; absent when the platform, not the handler, failed the invocation (timeouts). */
  readonly trace?: readonly string[];
}

/** `workerData` of a sandbox worker. */
export interface WorkerInit {
  readonly modulePath: string;
  readonly handler: string;
  readonly functionName: string;
  readonly arn: string;
  readonly memoryMb: number;
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** Directory for Node's module compile cache; '' disables it. */
  readonly compileCacheDir: string;
  /**
   * Bundled asset directory. Bare imports from it may only be `@aws-sdk/*` (the Lambda runtime
   * provides the SDK), resolved from `sdkRoot`; anything else a bundle failed to include fails.
   */
  readonly assetDir?: string;
  readonly sdkRoot?: string;
  /**
   * Nobody reads this function's log lines: the worker drops its stdout/stderr writes itself
   * instead of carrying every line to the main thread only for it to be dropped there.
   */
  readonly discardOutput?: boolean;
}

/** One invocation sent to a worker. */
export interface WorkerRequest {
  readonly id: number;
  readonly requestId: string;
  /** Epoch ms at which the function times out (for getRemainingTimeInMillis). */
  readonly deadline: number;
  readonly event: unknown;
  /** The ARN the caller invoked when it was qualified (`...:function:Name:1`). @default the function's ARN */
  readonly invokedFunctionArn?: string;
}

/** Worker → adapter. */
export type WorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'init-error'; readonly error: LambdaErrorPayload }
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly body: string }
  | { readonly type: 'result'; readonly id: number; readonly ok: false; readonly error: LambdaErrorPayload }
  /** The sandbox is about to die (an unhandled rejection): the running invocation fails with this. */
  | { readonly type: 'fatal'; readonly error: LambdaErrorPayload };
