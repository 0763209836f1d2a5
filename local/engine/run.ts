/**
 * The interpreter loop: runs a state list from its start (or from a redrive checkpoint), one
 * state at a time. Around every state it writes the `<Type>StateEntered/Exited` events, applies
 * Retry (same state entry, per-Retrier counters) and Catch (ResultPath into the state's input).
 */
import type { StateDefinition, StateList } from './definition.ts';
import { RunCancelled, type StatesError, toStatesError } from './errors.ts';
import { payloadDetails } from './history.ts';
import { placeResult } from './io.ts';
import { type Json, type JsonObject, jsonText } from './json.ts';
import { findCatcher, RetryCounters } from './retry.ts';
import type { Checkpoint, RunScope, StateOutcome, StateScope } from './scope.ts';
import { STATE_HANDLERS } from './states/index.ts';

/**
 * Runs a state list and resolves with its output; rejects with the StatesError that ended it, or
 * with RunCancelled. `run.checkpoint` tells where it stopped.
 */
export async function runStates(
  list: StateList,
  input: Json,
  run: RunScope,
  resume?: Checkpoint,
): Promise<Json> {
  let name = resume?.stateName ?? list.StartAt;
  let raw = resume ? resume.input : input;
  let resumeHere = resume;
  for (;;) {
    run.throwIfCancelled();
    const state = list.States[name];
    if (!state) throw new Error(`state '${name}' is not defined`);
    run.checkpoint = { stateName: name, input: raw };
    const outcome = await runState(name, state, raw, run, resumeHere);
    resumeHere = undefined;
    if (outcome.next === undefined) return outcome.output;
    name = outcome.next;
    raw = outcome.output;
  }
}

/** `$$` for one attempt of a state. */
function contextObject(run: RunScope, name: string, enteredTime: string, retryCount: number): JsonObject {
  const { Execution, StateMachine } = run.execution.context;
  return {
    Execution,
    State: { EnteredTime: enteredTime, Name: name, RetryCount: retryCount },
    StateMachine,
  };
}

async function runState(
  name: string,
  state: StateDefinition,
  raw: Json,
  run: RunScope,
  resume: Checkpoint | undefined,
): Promise<StateOutcome> {
  const { execution, chain } = run;
  const handler = STATE_HANDLERS[state.Type];
  if (!handler) throw new Error(`state '${name}': Type '${state.Type}' is not supported`);
  const enteredTime = execution.clock.now().toISOString();
  chain.add(`${state.Type}StateEntered`, { name, input: jsonText(raw), inputDetails: payloadDetails() });
  const counters = new RetryCounters(state.Retry, execution.random);
  let resumeAttempt = resume;
  for (;;) {
    const scope: StateScope = {
      run,
      name,
      context: contextObject(run, name, enteredTime, counters.total),
      resume: resumeAttempt,
    };
    resumeAttempt = undefined;
    let error: StatesError;
    try {
      const outcome = await handler(state, raw, scope);
      run.throwIfCancelled();
      if (state.Type !== 'Fail') exited(run, state, name, outcome.output);
      return outcome;
    } catch (thrown) {
      if (thrown instanceof RunCancelled || run.signal.aborted) throw new RunCancelled();
      error = toStatesError(thrown);
    }
    const retry = counters.next(error);
    if (retry) {
      execution.onWait({ kind: 'retry', stateName: name, askedMs: retry.delayMs, attempt: retry.attempt });
      await execution.clock.sleep(retry.delayMs, run.signal);
      run.throwIfCancelled();
      continue;
    }
    const caught = findCatcher(state.Catch, error);
    if (!caught) throw error;
    const output = placeResult(caught.catcher.ResultPath, raw, caught.errorOutput, name);
    exited(run, state, name, output);
    return { output, next: caught.catcher.Next };
  }
}

function exited(run: RunScope, state: StateDefinition, name: string, output: Json): void {
  run.chain.add(`${state.Type}StateExited`, {
    name,
    output: jsonText(output),
    outputDetails: payloadDetails(),
  });
}
