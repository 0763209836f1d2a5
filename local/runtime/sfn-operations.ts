/**
 * The operations of the local Step Functions endpoint, one small function each, over the
 * executors and the executions they started. Validation and error wording are AWS's
 * (sfn-validation.ts); RedriveExecution and the SendTask* callbacks go to the engine.
 */
import { randomUUID } from 'node:crypto';
import { callbackFailure, type Json, TaskTokens, type TokenSignal } from '../engine/index.ts';
import type { ExecutionRecord, StateMachineExecutor } from './executor.ts';
import { toWireEvent } from './history.ts';
import {
  arn,
  type Body,
  boundedStr,
  decodeToken,
  encodeToken,
  enumValue,
  isValidName,
  pageSize,
  SfnError,
  seconds,
  str,
} from './sfn-validation.ts';

/** Step Functions' StartExecution input limit (UTF-8 bytes); also SendTaskSuccess's output limit. */
export const MAX_INPUT_BYTES = 262_144;
const STATUS_FILTERS = ['SUCCEEDED', 'TIMED_OUT', 'PENDING_REDRIVE', 'ABORTED', 'FAILED', 'RUNNING'] as const;
const REDRIVE_FILTERS = ['REDRIVEN', 'NOT_REDRIVEN'] as const;

/** Everything the operations read and write. */
export interface EndpointState {
  readonly executors: readonly StateMachineExecutor[];
  readonly machines: ReadonlyMap<string, StateMachineExecutor>;
  readonly byArn: Map<string, ExecutionRecord>;
  /** Every execution, oldest first. */
  readonly ordered: ExecutionRecord[];
  readonly started: Date;
  /** RedriveExecution client tokens already served, per execution ARN. */
  readonly redriveTokens: Map<string, Map<string, Date>>;
  /** The version and alias an execution was started through (StartExecution on a qualified ARN). */
  readonly startedVia: Map<string, StartedVia>;
  /** Finished executions kept at most (the oldest are dropped beyond it, as AWS drops old ones). */
  readonly maxFinishedExecutions: number;
  /** Called for each execution dropped by the bound. */
  readonly onDropped: (record: ExecutionRecord) => void;
}

/**
 * Drops the oldest finished executions beyond the bound. Runs only once the list is a tenth
 * (at least 16) over it, so the cost is spread over many starts.
 */
export function pruneFinished(state: EndpointState): void {
  const slack = Math.max(16, Math.floor(state.maxFinishedExecutions / 10));
  if (state.ordered.length <= state.maxFinishedExecutions + slack) return;
  let excess = state.ordered.length - state.maxFinishedExecutions;
  const kept: ExecutionRecord[] = [];
  for (const record of state.ordered) {
    if (excess > 0 && record.status !== 'RUNNING') {
      excess -= 1;
      state.byArn.delete(record.executionArn);
      state.startedVia.delete(record.executionArn);
      state.redriveTokens.delete(record.executionArn);
      state.onDropped(record);
    } else kept.push(record);
  }
  state.ordered.splice(0, state.ordered.length, ...kept);
}

/** DescribeExecution's `stateMachineVersionArn` and `stateMachineAliasArn`. */
export interface StartedVia {
  readonly stateMachineVersionArn?: string;
  readonly stateMachineAliasArn?: string;
}

/** The machine's newest published version ARN (what an alias routes to locally). */
function newestVersion(executor: StateMachineExecutor): string | undefined {
  const versions = (executor.machine.qualifiedArns ?? []).filter((arn) => /:\d+$/.test(arn));
  return versions
    .sort((a, b) => Number(a.slice(a.lastIndexOf(':') + 1)) - Number(b.slice(b.lastIndexOf(':') + 1)))
    .at(-1);
}

function startedVia(executor: StateMachineExecutor, qualifiedArn: string): StartedVia | undefined {
  if (qualifiedArn === executor.machine.arn) return undefined;
  if (/:\d+$/.test(qualifiedArn)) return { stateMachineVersionArn: qualifiedArn };
  const version = newestVersion(executor);
  return { stateMachineAliasArn: qualifiedArn, ...(version ? { stateMachineVersionArn: version } : {}) };
}

export type Operation = (body: Body, state: EndpointState) => Body;

function execution(body: Body, state: EndpointState): ExecutionRecord {
  const executionArn = arn(body, 'executionArn', 'execution');
  const record = state.byArn.get(executionArn);
  if (!record) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
  return record;
}

function machineOf(body: Body, state: EndpointState): StateMachineExecutor {
  const machineArn = arn(body, 'stateMachineArn', 'stateMachine');
  const executor = state.machines.get(machineArn);
  if (!executor)
    throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${machineArn}'`);
  return executor;
}

function jsonInput(text: string, field: string, errorType: string, label: string): void {
  if (Buffer.byteLength(text, 'utf8') > MAX_INPUT_BYTES) {
    throw new SfnError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_INPUT_BYTES}`,
    );
  }
  try {
    JSON.parse(text);
  } catch {
    throw new SfnError(errorType, `${label}: not valid JSON`);
  }
}

const startExecution: Operation = (body, state) => {
  const executor = machineOf(body, state);
  const name = str(body, 'name', false) ?? randomUUID();
  if (!isValidName(name)) throw new SfnError('InvalidName', `Invalid Name: '${name}'`);
  const input = str(body, 'input', false) ?? '{}';
  jsonInput(input, 'input', 'InvalidExecutionInput', 'Invalid State Machine Execution Input');
  const executionArn = `${executor.machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
  const existing = state.byArn.get(executionArn);
  if (existing) {
    // Standard: same name + same input while running is idempotent; anything else conflicts.
    if (existing.status === 'RUNNING' && existing.input === input) {
      return { executionArn: existing.executionArn, startDate: seconds(existing.startDate) };
    }
    throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
  }
  const record = executor.start(name, input);
  state.byArn.set(record.executionArn, record);
  state.ordered.push(record);
  const via = startedVia(executor, String(body.stateMachineArn));
  if (via) state.startedVia.set(record.executionArn, via);
  pruneFinished(state);
  return { executionArn: record.executionArn, startDate: seconds(record.startDate) };
};

const describeExecution: Operation = (body, state) => {
  const record = execution(body, state);
  const redrive = record.redriveStatus;
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: seconds(record.startDate),
    stopDate: seconds(record.stopDate),
    input: record.input,
    inputDetails: { included: true },
    output: record.output,
    outputDetails: record.output === undefined ? undefined : { included: true },
    error: record.error,
    cause: record.cause,
    redriveCount: record.redriveCount,
    redriveDate: seconds(record.redriveDate),
    redriveStatus: redrive.status,
    redriveStatusReason: redrive.reason,
    ...state.startedVia.get(record.executionArn),
  };
};

const getExecutionHistory: Operation = (body, state) => {
  const record = execution(body, state);
  const size = pageSize(body.maxResults);
  const reverse = body.reverseOrder === true;
  const includeData = body.includeExecutionData !== false;
  const events = record.events;
  // Tokens hold the next event id, which stays valid while the history grows.
  const from = decodeToken(body.nextToken) ?? (reverse ? events.length : 1);
  const page = reverse
    ? events.slice(Math.max(0, from - size), from).reverse()
    : events.slice(from - 1, from - 1 + size);
  const next = reverse ? from - size : from + size;
  const more = reverse ? next >= 1 : next <= events.length;
  return {
    events: page.map((event) => toWireEvent(event, includeData)),
    nextToken: more && page.length > 0 ? encodeToken(next) : undefined,
  };
};

function listed(record: ExecutionRecord): Body {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: seconds(record.startDate),
    stopDate: seconds(record.stopDate),
    redriveCount: record.redriveCount,
    redriveDate: seconds(record.redriveDate),
  };
}

const listExecutions: Operation = (body, state) => {
  const executor = machineOf(body, state);
  // A version or alias ARN lists the executions started through it.
  const via =
    String(body.stateMachineArn) === executor.machine.arn ? undefined : String(body.stateMachineArn);
  const size = pageSize(body.maxResults);
  const status = enumValue(body, 'statusFilter', STATUS_FILTERS);
  const redriven = enumValue(body, 'redriveFilter', REDRIVE_FILTERS);
  const before = decodeToken(body.nextToken) ?? state.ordered.length;
  const matches: Body[] = [];
  let index = before - 1;
  // Newest first, as AWS lists them. PENDING_REDRIVE never matches: a local redrive starts at once.
  for (; index >= 0 && matches.length < size; index--) {
    const record = state.ordered[index]!;
    if (record.stateMachineArn !== executor.machine.arn) continue;
    if (via !== undefined && !Object.values(state.startedVia.get(record.executionArn) ?? {}).includes(via))
      continue;
    if (status && record.status !== status) continue;
    if (redriven && record.redriveCount > 0 !== (redriven === 'REDRIVEN')) continue;
    matches.push(listed(record));
  }
  return { executions: matches, nextToken: index >= 0 ? encodeToken(index + 1) : undefined };
};

const stopExecution: Operation = (body, state) => {
  const record = execution(body, state);
  record.stop(boundedStr(body, 'error', 256, false), boundedStr(body, 'cause', 32_768, false));
  return { stopDate: seconds(record.stopDate) };
};

const redriveExecution: Operation = (body, state) => {
  const record = execution(body, state);
  const clientToken = boundedStr(body, 'clientToken', 64, false);
  const served = state.redriveTokens.get(record.executionArn);
  const previous = clientToken === undefined ? undefined : served?.get(clientToken);
  if (previous) return { redriveDate: seconds(previous) };
  const redrive = record.redriveStatus;
  if (redrive.status !== 'REDRIVABLE') throw new SfnError('ExecutionNotRedrivable', redrive.reason ?? '');
  const redriveDate = record.redrive();
  if (clientToken !== undefined) {
    state.redriveTokens.set(record.executionArn, new Map([...(served ?? []), [clientToken, redriveDate]]));
  }
  return { redriveDate: seconds(redriveDate) };
};

const describeStateMachine: Operation = (body, state) => {
  const { machine } = machineOf(body, state);
  return {
    stateMachineArn: machine.arn,
    name: machine.name,
    status: 'ACTIVE',
    // The deployed text byte for byte (the template's DefinitionString with tokens resolved).
    definition: machine.definitionString ?? JSON.stringify(machine.definition),
    roleArn: `arn:aws:iam::000000000000:role/${machine.name}-role`,
    type: machine.type,
    creationDate: seconds(state.started),
  };
};

const listStateMachines: Operation = (_body, state) => ({
  stateMachines: state.executors.map(({ machine }) => ({
    stateMachineArn: machine.arn,
    name: machine.name,
    type: machine.type,
    creationDate: seconds(state.started),
  })),
});

/** Delivers a SendTask* signal to whichever machine issued the token. */
function sendToTask(body: Body, state: EndpointState, signal: (body: Body) => TokenSignal): Body {
  const token = boundedStr(body, 'taskToken', 2048, true)!;
  const built = signal(body);
  const owner = state.executors.find((executor) => executor.tokens.has(token));
  const refusal = owner
    ? owner.tokens.send(token, built)
    : TaskTokens.isWellFormed(token)
      ? 'TaskTimedOut'
      : 'InvalidToken';
  if (refusal === 'InvalidToken') throw new SfnError('InvalidToken', `Invalid Token: '${token}'`);
  if (refusal === 'TaskTimedOut') {
    throw new SfnError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
  }
  return {};
}

const sendTaskSuccess: Operation = (body, state) =>
  sendToTask(body, state, (request) => {
    const output = boundedStr(request, 'output', MAX_INPUT_BYTES, true)!;
    try {
      return { kind: 'success', output: JSON.parse(output) as Json };
    } catch {
      throw new SfnError('InvalidOutput', `Invalid Output: '${output}'`);
    }
  });

const sendTaskFailure: Operation = (body, state) =>
  sendToTask(body, state, (request) => ({
    kind: 'failure',
    error: callbackFailure(
      boundedStr(request, 'error', 256, false),
      boundedStr(request, 'cause', 32_768, false),
    ),
  }));

const sendTaskHeartbeat: Operation = (body, state) => sendToTask(body, state, () => ({ kind: 'heartbeat' }));

/** Every operation the endpoint answers, by X-Amz-Target name. */
export const OPERATIONS: Readonly<Record<string, Operation>> = {
  StartExecution: startExecution,
  DescribeExecution: describeExecution,
  GetExecutionHistory: getExecutionHistory,
  ListExecutions: listExecutions,
  StopExecution: stopExecution,
  RedriveExecution: redriveExecution,
  DescribeStateMachine: describeStateMachine,
  ListStateMachines: listStateMachines,
  SendTaskSuccess: sendTaskSuccess,
  SendTaskFailure: sendTaskFailure,
  SendTaskHeartbeat: sendTaskHeartbeat,
};
