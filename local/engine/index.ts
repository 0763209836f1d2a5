/**
 * The local Step Functions engine: an interpreter of ASL (JSONPath) with AWS's semantics, AWS's
 * history events, one virtual clock, redrive and task tokens. See docs/engine.md.
 */
export { VirtualClock } from './clock.ts';
export type { MachineDefinition, StateDefinition, StateList } from './definition.ts';
export { createStateMachine, type StateMachine, type StateMachineOptions } from './engine.ts';
export * from './errors.ts';
export {
  Execution,
  type ExecutionSnapshot,
  type ExecutionStatus,
  type MachineInfo,
  RESTART_CAUSE,
  RESTART_ERROR,
} from './execution.ts';
export { EventChain, type HistoryEvent, HistoryLog, payloadDetails } from './history.ts';
export {
  DEFAULT_INTEGRATIONS,
  type InvokeFunction,
  type TaskCall,
  type TaskIntegration,
} from './integrations.ts';
export type { Json } from './json.ts';
export type { RedriveStatus } from './redrive.ts';
export type { RecordedWait } from './scope.ts';
export { callbackFailure, TaskTokens, type TokenRefusal, type TokenSignal } from './task-tokens.ts';
