/**
 * The ASL (JSONPath) a definition may use, as types, and the checks made once per state machine
 * before its first execution: known state types, existing transitions, supported Task resources.
 */
import type { IoFields } from './io.ts';
import type { Json } from './json.ts';
import type { Catcher, Retrier } from './retry.ts';

/** A state list: the whole machine, a Parallel branch or a Map item processor. */
export interface StateList {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, StateDefinition>>;
}

/** A state machine definition. */
export interface MachineDefinition extends StateList {
  readonly Comment?: string;
  readonly TimeoutSeconds?: number;
  readonly QueryLanguage?: string;
}

/** Fields every state may carry. */
export interface StateDefinition extends IoFields {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Comment?: string;
  readonly Retry?: readonly Retrier[];
  readonly Catch?: readonly Catcher[];
  readonly [field: string]: unknown;
}

export interface TaskDefinition extends StateDefinition {
  readonly Resource: string;
  readonly TimeoutSeconds?: number;
  readonly TimeoutSecondsPath?: string;
  readonly HeartbeatSeconds?: number;
  readonly HeartbeatSecondsPath?: string;
}

export interface ParallelDefinition extends StateDefinition {
  readonly Branches: readonly StateList[];
}

export interface MapDefinition extends StateDefinition {
  readonly ItemProcessor?: StateList;
  readonly Iterator?: StateList;
  readonly ItemsPath?: string;
  readonly ItemSelector?: Json;
  readonly MaxConcurrency?: number;
}

export interface PassDefinition extends StateDefinition {
  readonly Result?: Json;
}

export interface WaitDefinition extends StateDefinition {
  readonly Seconds?: number;
  readonly SecondsPath?: string;
  readonly Timestamp?: string;
  readonly TimestampPath?: string;
}

export interface ChoiceDefinition extends StateDefinition {
  readonly Choices: readonly Record<string, unknown>[];
  readonly Default?: string;
}

export interface FailDefinition extends StateDefinition {
  readonly Error?: string;
  readonly ErrorPath?: string;
  readonly Cause?: string;
  readonly CausePath?: string;
}

export const STATE_TYPES = ['Task', 'Parallel', 'Map', 'Pass', 'Wait', 'Choice', 'Succeed', 'Fail'] as const;

/**
 * Checks a definition once: every state has a known Type, every Next/Default/Catch target exists
 * in its own state list, and `isSupportedResource` accepts every Task resource.
 * @throws Error naming the state and what to change
 */
export function validateDefinition(
  definition: StateList,
  isSupportedResource: (resource: string) => boolean,
): void {
  const visit = (list: StateList, where: string): void => {
    const names = new Set(Object.keys(list.States ?? {}));
    const target = (from: string, to: unknown, field: string): void => {
      if (typeof to !== 'string' || !names.has(to)) {
        throw new Error(`${where}state '${from}': ${field} '${String(to)}' is not a state of this list`);
      }
    };
    if (!names.has(list.StartAt)) throw new Error(`${where}StartAt '${list.StartAt}' is not a state`);
    for (const [name, state] of Object.entries(list.States)) {
      if (!(STATE_TYPES as readonly string[]).includes(state.Type)) {
        throw new Error(`${where}state '${name}': Type '${state.Type}' is not supported by the local engine`);
      }
      if (state.Next !== undefined) target(name, state.Next, 'Next');
      for (const catcher of state.Catch ?? []) target(name, catcher.Next, 'Catch Next');
      if (state.Type === 'Choice') {
        const choice = state as ChoiceDefinition;
        for (const rule of choice.Choices ?? []) target(name, rule.Next, 'Choice Next');
        if (choice.Default !== undefined) target(name, choice.Default, 'Default');
      }
      if (state.Type === 'Task' && !isSupportedResource(String(state.Resource))) {
        throw new Error(
          `${where}state '${name}': Task resource ${String(state.Resource)} is not supported by the offline runtime`,
        );
      }
      if (state.Type === 'Parallel') {
        (state as ParallelDefinition).Branches.forEach((branch, i) => {
          visit(branch, `${where}'${name}' branch ${i + 1}: `);
        });
      }
      if (state.Type === 'Map') {
        const map = state as MapDefinition;
        const processor = map.ItemProcessor ?? map.Iterator;
        if (!processor) throw new Error(`${where}state '${name}': Map has no ItemProcessor`);
        visit(processor, `${where}'${name}' item processor: `);
      }
    }
  };
  visit(definition, '');
}
