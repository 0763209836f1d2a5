/**
 * Task integrations, chosen by resource pattern: a Lambda function ARN (history
 * `LambdaFunction*`), `arn:aws:states:::lambda:invoke` and its `.waitForTaskToken` variant
 * (history `Task*`). Each integration runs the call and writes its own events.
 */
import type { VirtualClock } from './clock.ts';
import type { EventChain } from './history.ts';
import type { Json } from './json.ts';
import {
  lambdaFunctionIntegration,
  lambdaInvokeIntegration,
  lambdaWaitForTokenIntegration,
} from './lambda-tasks.ts';
import type { TaskTokens } from './task-tokens.ts';

/** Calls a Lambda function by ARN or name; rejects with Error(name=errorType, message=cause JSON). */
export type InvokeFunction = (functionArnOrName: string, payload: unknown) => Promise<unknown>;

/** One Task attempt as an integration sees it. */
export interface TaskCall {
  readonly stateName: string;
  readonly resource: string;
  /** The effective input (after InputPath and Parameters). */
  readonly parameters: Json;
  readonly chain: EventChain;
  readonly clock: VirtualClock;
  readonly signal: AbortSignal;
  /** TimeoutSeconds in ms. @default none */
  readonly timeoutMs?: number;
  /** HeartbeatSeconds in ms. @default none */
  readonly heartbeatMs?: number;
  readonly tokens: TaskTokens;
  /** `$$.Task.Token` when the integration asked for one. */
  readonly token?: string;
}

/** A Task integration. */
export interface TaskIntegration {
  readonly name: string;
  matches(resource: string): boolean;
  /** Whether the task gets a `$$.Task.Token` before its Parameters are resolved. */
  readonly usesToken: boolean;
  /** Runs the call; resolves with the task's result or rejects with a StatesError. */
  run(call: TaskCall, invoke: InvokeFunction): Promise<Json>;
}

/** The integrations an engine knows, first match wins. */
export class TaskIntegrations {
  readonly #integrations: TaskIntegration[];
  readonly invoke: InvokeFunction;

  constructor(invoke: InvokeFunction, integrations: readonly TaskIntegration[] = DEFAULT_INTEGRATIONS) {
    this.invoke = invoke;
    this.#integrations = [...integrations];
  }

  find(resource: string): TaskIntegration | undefined {
    return this.#integrations.find((integration) => integration.matches(resource));
  }
}

/** Lambda in its three forms. */
export const DEFAULT_INTEGRATIONS: readonly TaskIntegration[] = [
  lambdaWaitForTokenIntegration,
  lambdaInvokeIntegration,
  lambdaFunctionIntegration,
];
