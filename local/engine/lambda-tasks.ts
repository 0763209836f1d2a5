/**
 * The Lambda integrations. A function ARN as Resource writes `LambdaFunction*` events and returns
 * the function's result; `lambda:invoke` writes `Task*` events and returns the SDK-shaped
 * `{ExecutedVersion, Payload, StatusCode}`; `lambda:invoke.waitForTaskToken` invokes, writes
 * TaskSubmitted, then waits for SendTaskSuccess/Failure, with TimeoutSeconds and HeartbeatSeconds.
 */
import { realDelay } from './clock.ts';
import { RunCancelled, StatesHeartbeatTimeout, StatesTimeout, toStatesError } from './errors.ts';
import { payloadDetails } from './history.ts';
import type { InvokeFunction, TaskCall, TaskIntegration } from './integrations.ts';
import { isJsonObject, type Json, jsonText } from './json.ts';
import { untilCancelled } from './scope.ts';

const FUNCTION_ARN = /^arn:[^:]+:lambda:[^:]+:\d{12}:function:[^:]+(:[^:]+)?$/;
const INVOKE = /^arn:[^:]+:states:::lambda:invoke$/;
const INVOKE_WAIT = /^arn:[^:]+:states:::lambda:invoke\.waitForTaskToken$/;

const timeoutCause = (what: string): string => `The task timed out (${what} elapsed).`;

/** Runs work (a Lambda call) in real time, bounded by TimeoutSeconds and cancellation. */
async function work<T>(promise: Promise<T>, call: TaskCall, budgetMs = call.timeoutMs): Promise<T> {
  if (budgetMs === undefined) return untilCancelled(promise, call.signal);
  const stop = new AbortController();
  const timedOut = realDelay(budgetMs, stop.signal, false).then(() => {
    if (!stop.signal.aborted) throw new StatesTimeout(timeoutCause('TimeoutSeconds'));
  });
  try {
    return await untilCancelled(Promise.race([promise, timedOut as Promise<never>]), call.signal);
  } finally {
    stop.abort();
  }
}

function timing(call: TaskCall): Record<string, number> {
  return {
    ...(call.timeoutMs === undefined ? {} : { timeoutInSeconds: call.timeoutMs / 1000 }),
    ...(call.heartbeatMs === undefined ? {} : { heartbeatInSeconds: call.heartbeatMs / 1000 }),
  };
}

/** Records a failed attempt with `failed`/`timedOut` event types and rethrows it as a StatesError. */
function recordFailure(call: TaskCall, thrown: unknown, failed: string, timedOut: string, extra = {}): never {
  if (thrown instanceof RunCancelled || call.signal.aborted) throw new RunCancelled();
  const error = toStatesError(thrown);
  const isTimeout = error instanceof StatesTimeout || error instanceof StatesHeartbeatTimeout;
  call.chain.add(isTimeout ? timedOut : failed, { ...extra, error: error.name, cause: error.causeText });
  throw error;
}

export const lambdaFunctionIntegration: TaskIntegration = {
  name: 'lambda-function',
  matches: (resource) => FUNCTION_ARN.test(resource),
  usesToken: false,
  async run(call, invoke) {
    call.chain.add('LambdaFunctionScheduled', {
      resource: call.resource,
      input: jsonText(call.parameters),
      inputDetails: payloadDetails(),
      ...timing(call),
    });
    call.chain.add('LambdaFunctionStarted');
    let result: Json;
    try {
      result = ((await work(invoke(call.resource, call.parameters), call)) ?? null) as Json;
    } catch (thrown) {
      return recordFailure(call, thrown, 'LambdaFunctionFailed', 'LambdaFunctionTimedOut');
    }
    call.chain.add('LambdaFunctionSucceeded', { output: jsonText(result), outputDetails: payloadDetails() });
    return result;
  },
};

/** Schedules an `arn:aws:states:::lambda:invoke*` call and invokes the function named in Parameters. */
async function scheduleAndInvoke(call: TaskCall, invoke: InvokeFunction, resource: string): Promise<Json> {
  const ids = { resourceType: 'lambda', resource };
  call.chain.add('TaskScheduled', {
    ...ids,
    region: call.resource.split(':')[3] || 'us-east-1',
    parameters: jsonText(call.parameters),
    ...timing(call),
  });
  call.chain.add('TaskStarted', ids);
  const params = isJsonObject(call.parameters) ? call.parameters : {};
  const payload = (await work(invoke(String(params.FunctionName), params.Payload ?? {}), call)) ?? null;
  return { ExecutedVersion: '$LATEST', Payload: payload as Json, StatusCode: 200 };
}

export const lambdaInvokeIntegration: TaskIntegration = {
  name: 'lambda-invoke',
  matches: (resource) => INVOKE.test(resource),
  usesToken: false,
  async run(call, invoke) {
    const ids = { resourceType: 'lambda', resource: 'invoke' };
    let result: Json;
    try {
      result = await scheduleAndInvoke(call, invoke, 'invoke');
    } catch (thrown) {
      return recordFailure(call, thrown, 'TaskFailed', 'TaskTimedOut', ids);
    }
    call.chain.add('TaskSucceeded', { ...ids, output: jsonText(result), outputDetails: payloadDetails() });
    return result;
  },
};

/** Waits idly for the task token's outcome, within TimeoutSeconds and HeartbeatSeconds. */
async function awaitToken(call: TaskCall, startedAtMs: number): Promise<Json> {
  const { clock, tokens } = call;
  const token = call.token!;
  const deadline = call.timeoutMs === undefined ? Number.POSITIVE_INFINITY : startedAtMs + call.timeoutMs;
  let lastBeat = startedAtMs;
  for (;;) {
    const beatDeadline =
      call.heartbeatMs === undefined ? Number.POSITIVE_INFINITY : lastBeat + call.heartbeatMs;
    const until = Math.min(deadline, beatDeadline);
    const signal = tokens.nextSignal(token);
    const woken = await clock.idle(until - clock.nowMs(), signal, call.signal);
    if (call.signal.aborted) throw new RunCancelled();
    if (!woken) {
      if (beatDeadline < deadline) throw new StatesHeartbeatTimeout(timeoutCause('HeartbeatSeconds'));
      throw new StatesTimeout(timeoutCause('TimeoutSeconds'));
    }
    const outcome = await signal;
    if (outcome.kind === 'success') return outcome.output;
    if (outcome.kind === 'failure') throw outcome.error;
    lastBeat = clock.nowMs();
  }
}

export const lambdaWaitForTokenIntegration: TaskIntegration = {
  name: 'lambda-invoke-wait-for-task-token',
  matches: (resource) => INVOKE_WAIT.test(resource),
  usesToken: true,
  async run(call, invoke) {
    const ids = { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' };
    const startedAtMs = call.clock.nowMs();
    let output: Json;
    try {
      const submitted = await scheduleAndInvoke(call, invoke, 'invoke.waitForTaskToken');
      call.chain.add('TaskSubmitted', {
        ...ids,
        output: jsonText(submitted),
        outputDetails: payloadDetails(),
      });
      output = await awaitToken(call, startedAtMs);
    } catch (thrown) {
      return recordFailure(call, thrown, 'TaskFailed', 'TaskTimedOut', ids);
    } finally {
      call.tokens.close(call.token!);
    }
    call.chain.add('TaskSucceeded', { ...ids, output: jsonText(output), outputDetails: payloadDetails() });
    return output;
  },
};
