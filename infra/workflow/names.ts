/**
 * Names the compiler derives: readable, unique state names for Parallel states
 * (`setup_billing_profile + initialize_preferences`; ASL caps state names at 80 characters, so
 * long groups are summarised as `a + b + 3 more`), and a workflow's stack name.
 */
import { MAX_STATE_NAME_LENGTH } from './aws-limits.ts';
import type { Plan } from './plan.ts';

export { MAX_STATE_NAME_LENGTH };

/** Short label of a plan part: a step's name, `a -> b`, `a -> ... -> z`, or `(a + b)`. */
export function planLabel(plan: Plan): string {
  if (plan.kind === 'step') return plan.name;
  if (plan.kind === 'sequence') {
    const labels = plan.items.map(planLabel);
    return labels.length <= 2 ? labels.join(' -> ') : `${labels[0]} -> ... -> ${labels.at(-1)}`;
  }
  return `(${groupName(plan.branches.map(planLabel), MAX_STATE_NAME_LENGTH - 2)})`;
}

/** `a + b + c`, or as many whole labels as fit followed by `+ N more`. */
export function groupName(labels: string[], max = MAX_STATE_NAME_LENGTH): string {
  const full = labels.join(' + ');
  if (full.length <= max) return full;
  for (let keep = labels.length - 1; keep >= 1; keep--) {
    const name = `${labels.slice(0, keep).join(' + ')} + ${labels.length - keep} more`;
    if (name.length <= max) return name;
  }
  const suffix = ` + ${labels.length - 1} more`;
  return `${(labels[0] ?? '').slice(0, max - suffix.length - 3)}...${suffix}`;
}

/** Hands out state names, making a repeated one unique with ` (2)`, ` (3)`, ... within 80 characters. */
export class StateNames {
  readonly #used = new Set<string>();

  constructor(reserved: Iterable<string>) {
    for (const name of reserved) this.#used.add(name);
  }

  /** Registers and returns a unique name based on `wanted`. */
  claim(wanted: string): string {
    let name = wanted.slice(0, MAX_STATE_NAME_LENGTH);
    for (let n = 2; this.#used.has(name); n++) {
      const suffix = ` (${n})`;
      name = `${wanted.slice(0, MAX_STATE_NAME_LENGTH - suffix.length)}${suffix}`;
    }
    this.#used.add(name);
    return name;
  }
}

/**
 * The construct id for a name taken from a workflow file (a step's, for its Task state and its
 * function). constructs keeps a scope's children in a plain object, so an id equal to an
 * `Object.prototype` member (`toString`, `constructor`, `valueOf`, ...) reads as taken: "There is
 * already a Construct with name 'toString'". Such a name gets a suffix no step name can have
 * (` (name)`); every other name is its own id, so no existing logical ID moves. The state name
 * is set explicitly (`stateName`), so the definition does not change.
 *
 * @example new tasks.LambdaInvoke(scope, constructId(step.name), { stateName: step.name, ... })
 */
export function constructId(name: string): string {
  return name in Object.prototype ? `${name} (name)` : name;
}

/**
 * The CloudFormation stack name of a workflow: `order_fulfillment` -> `OrderFulfillmentWorkflow`
 * (the name's letters and digits in PascalCase). The checks stage makes sure CloudFormation
 * accepts it.
 */
export function workflowStackName(workflowName: string): string {
  const pascal = workflowName
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => `${part.charAt(0).toUpperCase()}${part.slice(1)}`)
    .join('');
  return `${pascal}Workflow`;
}
