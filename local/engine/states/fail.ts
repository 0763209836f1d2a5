/** Fail: ends its run with an error (Error/ErrorPath, Cause/CausePath). */
import type { FailDefinition } from '../definition.ts';
import { StatesError, StatesRuntime } from '../errors.ts';
import { queryPath } from '../json-path.ts';
import type { StateHandler } from './types.ts';

export const runFail: StateHandler = async (definition, raw, { context, name }) => {
  const state = definition as FailDefinition;
  const read = (field: 'ErrorPath' | 'CausePath', path: string | undefined): string | undefined => {
    if (path === undefined) return undefined;
    const value = queryPath(path, raw, context);
    if (typeof value !== 'string') {
      throw new StatesRuntime(`The ${field} '${path}' of state '${name}' must select a string`);
    }
    return value;
  };
  const error = read('ErrorPath', state.ErrorPath) ?? state.Error ?? '';
  const cause = read('CausePath', state.CausePath) ?? state.Cause ?? '';
  throw new StatesError(error, cause);
};
