/**
 * Errors an execution can fail with. Every predefined `States.*` error has its own class whose
 * `name` is the ASL error name, so `ErrorEquals` matches on `error.name` (as aws-local-stepfunctions
 * does). Errors a task reports (a Lambda's errorType) are {@link TaskError}s with that name.
 */

/** An error with an ASL error name (`Error`) and a cause (`Cause`). */
export class StatesError extends Error {
  /** `Cause` as the state machine sees it (`$.Cause` after a Catch). */
  readonly causeText: string;
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
    this.causeText = cause;
  }
}

/** An error a task reported: a Lambda's errorType, or SendTaskFailure's error. */
export class TaskError extends StatesError {}

const defineStatesError = (name: string) =>
  class extends StatesError {
    constructor(cause: string) {
      super(name, cause);
    }
  };

/** `States.Timeout`: a Task ran longer than TimeoutSeconds, or the execution its TimeoutSeconds. */
export class StatesTimeout extends defineStatesError('States.Timeout') {}
/** `States.HeartbeatTimeout`: no heartbeat within HeartbeatSeconds. */
export class StatesHeartbeatTimeout extends defineStatesError('States.HeartbeatTimeout') {}
/** `States.TaskFailed`: a task failed without a more specific name. */
export class StatesTaskFailed extends defineStatesError('States.TaskFailed') {}
/** `States.Permissions`: insufficient privileges (never raised locally: there is no IAM). */
export class StatesPermissions extends defineStatesError('States.Permissions') {}
/** `States.ResultPathMatchFailure`: ResultPath cannot be applied to the state's input. */
export class StatesResultPathMatchFailure extends defineStatesError('States.ResultPathMatchFailure') {}
/** `States.ParameterPathFailure`: a `.$` field of Parameters/ResultSelector/ItemSelector found no value. */
export class StatesParameterPathFailure extends defineStatesError('States.ParameterPathFailure') {}
/** `States.BranchFailed`: defined by ASL; AWS (and this engine) report the failing branch's own error. */
export class StatesBranchFailed extends defineStatesError('States.BranchFailed') {}
/** `States.NoChoiceMatched`: no Choice rule matched and there is no Default. */
export class StatesNoChoiceMatched extends defineStatesError('States.NoChoiceMatched') {}
/** `States.IntrinsicFailure`: an intrinsic function call failed. */
export class StatesIntrinsicFailure extends defineStatesError('States.IntrinsicFailure') {}
/** `States.DataLimitExceeded`: a payload over 256 KB (not enforced inside executions locally). */
export class StatesDataLimitExceeded extends defineStatesError('States.DataLimitExceeded') {}
/** `States.Runtime`: an error the execution cannot handle; never retried or caught (AWS's rule). */
export class StatesRuntime extends defineStatesError('States.Runtime') {}

/** Error names no Retrier or Catcher matches, not even `States.ALL`. */
const TERMINAL = new Set(['States.Runtime']);

/** Whether an error can be matched by Retry/Catch at all. */
export function isTerminal(error: StatesError): boolean {
  return TERMINAL.has(error.name);
}

/**
 * Thrown inside a run that was cancelled (StopExecution, a sibling branch failed, the execution
 * timed out): unwinds the run without being retried, caught or recorded as a state failure.
 */
export class RunCancelled extends Error {
  constructor() {
    super('run cancelled');
    this.name = 'RunCancelled';
  }
}

/** Whatever a task threw, as a StatesError: Error name = its name, Cause = its message. */
export function toStatesError(error: unknown): StatesError {
  if (error instanceof StatesError) return error;
  if (error instanceof Error) return new TaskError(error.name || 'Error', error.message);
  return new TaskError('Error', typeof error === 'string' ? error : JSON.stringify(error ?? null));
}
