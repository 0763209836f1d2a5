/** Choice: the first matching rule's Next, else Default, else States.NoChoiceMatched. */
import type { ChoiceDefinition } from '../definition.ts';
import { StatesNoChoiceMatched } from '../errors.ts';
import { selectPath } from '../io.ts';
import { ruleMatches } from './choice-rules.ts';
import type { StateHandler } from './types.ts';

export const runChoice: StateHandler = async (definition, raw, { context, name }) => {
  const state = definition as ChoiceDefinition;
  const input = selectPath('InputPath', state.InputPath, raw, context);
  const rule = state.Choices.find((candidate) => ruleMatches(candidate, input, context));
  const next = (rule?.Next as string | undefined) ?? state.Default;
  if (next === undefined) {
    throw new StatesNoChoiceMatched(`No Choice rule matched in state '${name}' and it has no Default`);
  }
  return { output: selectPath('OutputPath', state.OutputPath, input, context), next };
};
