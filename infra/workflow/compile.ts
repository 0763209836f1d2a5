/**
 * WorkflowSpec -> Step Functions chain (CDK constructs). One Task per step invoking its Lambda with
 * the contract payload, results at `$.steps.<name>`, native Retriers, and Parallel states that
 * merge their branches with `States.JsonMerge` in their own ResultSelector (parallel-merge.ts: no
 * extra Pass state, a definition linear in steps). A step's final failure goes, by its Catch, to
 * its fallback Pass (`on_failure: continue`), to an operator Task (`await_operator`), or to the
 * compensation chain (compensation.ts); docs/compensation.md shows the exact ASL.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  COMPENSATION_FAILURE_KEY,
  COMPILER_STATE_SUFFIX,
  DEFAULTS,
  operatorPayloadTemplate,
  PERMANENT_ERROR_NAMES,
  STATE_SUFFIX,
  SUCCEEDED_STATE,
} from '../../lambdas/contracts.ts';
import type { AnalyzedWorkflow } from './analyze.ts';
import { CompensationChain, compensationStateNames } from './compensation.ts';
import { groupName, planLabel, StateNames } from './names.ts';
import { branchGroups, MAX_MERGED_BRANCHES, parallelMerge } from './parallel-merge.ts';
import type { Plan } from './plan.ts';
import { stageRan } from './stage-events.ts';
import { addRetriers, taskPayload } from './task-parts.ts';
import type { StepSpec, WorkflowSpec } from './types.ts';

/** What the compiler needs from the stack. */
export interface CompileOptions {
  /** The Lambda function (its published version) that runs `step` (the stack creates one per step). */
  functionFor(step: StepSpec): lambda.IFunction;
  /**
   * The operator function (`OPERATOR_ENTRY`) the `.waitForTaskToken` Task of every
   * `on_failure: await_operator` step invokes.
   * @default none: compiling a workflow with an await_operator step throws
   */
  readonly operatorFunction?: lambda.IFunction;
  /**
   * The function that runs `step.compensate` (`step.compensate.handlerPath`: the built-in HTTP
   * step handler for a `request`, else the class's module).
   * @default none: compiling a workflow with a `compensate:` throws
   */
  compensationFunctionFor?(step: StepSpec): lambda.IFunction;
  /**
   * For a step on a function shared by several steps (the stack's shared HTTP function): the
   * variables its payload carries under `config` instead of the function's environment. The
   * undo Task of a `compensate.request` gets them too (it runs the same handler).
   * @default undefined for every step: each step reads its own function's environment
   */
  stepConfigFor?(step: StepSpec): Readonly<Record<string, string>> | undefined;
}

/** The compiled workflow, ready for `sfn.DefinitionBody.fromChainable(chain)`. */
export interface CompiledWorkflow {
  chain: sfn.IChainable;
  /** The workflow's `timeout_seconds`, when set. */
  timeout?: Duration;
  /** The definition's top-level `Comment` (the workflow's description). */
  comment: string;
}

/** The state name of the fallback Pass of an `on_failure: continue` step. */
export function fallbackStateName(stepName: string): string {
  return `${stepName}${STATE_SUFFIX.fallback}`;
}

/**
 * Builds the state machine definition of an analysed workflow inside `scope` (states live under
 * a child construct named `Workflow-<name>`, so several workflows can share a stack). The plan is
 * the one the analysis made; nothing is planned or checked again here.
 *
 * @example
 * const analyzed = analyzeWorkflow(spec, { rootDir });
 * const { chain, timeout, comment } = compileWorkflow(stack, analyzed, { functionFor: (s) => fns[s.name] });
 * new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(chain), timeout, comment });
 */
export function compileWorkflow(
  scope: Construct,
  analyzed: AnalyzedWorkflow,
  options: CompileOptions,
): CompiledWorkflow {
  const { spec, plan } = analyzed;
  stageRan('compile', spec.file);
  const root = new Construct(scope, `Workflow-${spec.name}`);
  const names = new StateNames([
    ...spec.steps.flatMap((s) => [
      s.name,
      fallbackStateName(s.name),
      `${s.name}${STATE_SUFFIX.operator}`,
      `${s.name}${STATE_SUFFIX.failed}`,
    ]),
    ...compensationStateNames(spec),
  ]);
  const builder = new Builder(root, spec, plan, options, names);
  const compiled: CompiledWorkflow = { chain: builder.build(), comment: definitionComment(spec) };
  if (spec.timeoutSeconds !== undefined) compiled.timeout = Duration.seconds(spec.timeoutSeconds);
  return compiled;
}

/** The definition's `Comment`: the workflow's description, else its name. */
export function definitionComment(spec: WorkflowSpec): string {
  return spec.description ?? `Workflow ${spec.name}`;
}

/** Where a plan part sits: at the top level, or inside a Parallel branch. */
type Place = 'top' | 'branch';

/** A piece of the definition; `end` is what the next piece is attached to. */
interface Fragment {
  chain: sfn.Chain;
  /** A Parallel whose failure Choice is made only when something follows it (or at the top). */
  parallel?: PendingChoice;
}

/**
 * The end of a Parallel in a workflow that compensates: the Choice after it is only needed when
 * a state follows it (inside a branch) or at the top level, so it is made when `next` is called.
 */
class PendingChoice implements sfn.INextable {
  readonly #make: (next: sfn.IChainable) => void;
  #used = false;

  constructor(make: (next: sfn.IChainable) => void) {
    this.#make = make;
  }

  get used(): boolean {
    return this.#used;
  }

  next(next: sfn.IChainable): sfn.Chain {
    this.#used = true;
    this.#make(next);
    return sfn.Chain.start(next);
  }
}

class Builder {
  readonly #scope: Construct;
  readonly #spec: WorkflowSpec;
  readonly #plan: Plan;
  readonly #options: CompileOptions;
  readonly #names: StateNames;
  readonly #compensation: CompensationChain | undefined;

  constructor(scope: Construct, spec: WorkflowSpec, plan: Plan, options: CompileOptions, names: StateNames) {
    this.#scope = scope;
    this.#spec = spec;
    this.#plan = plan;
    this.#options = options;
    this.#names = names;
    this.#compensation = spec.steps.some((s) => s.compensate !== undefined)
      ? new CompensationChain(scope, spec, plan, options)
      : undefined;
  }

  build(): sfn.IChainable {
    const top = this.#part(this.#plan, 'top');
    // A workflow ending in a Parallel still checks it for a recorded failure.
    if (top.parallel && this.#compensation) {
      top.parallel.next(new sfn.Succeed(this.#scope, SUCCEEDED_STATE, { stateName: SUCCEEDED_STATE }));
    }
    return top.chain;
  }

  #part(plan: Plan, place: Place): Fragment {
    if (plan.kind === 'step') return { chain: this.#task(plan.name, place) };
    if (plan.kind === 'parallel') return this.#parallel(plan.branches, place);
    let chain: sfn.Chain | undefined;
    let last: Fragment | undefined;
    for (const item of plan.items) {
      last = this.#part(item, place);
      chain = chain ? chain.next(last.chain) : last.chain;
    }
    if (!chain || !last) throw new Error('empty sequence in plan');
    return last.parallel && !last.parallel.used ? { chain, parallel: last.parallel } : { chain };
  }

  /** The errors a compensating Catch takes: the permanent ones, or all with `compensate_on: exhausted`. */
  #caughtErrors(): string[] {
    return this.#spec.compensateOn.includes('exhausted') ? [sfn.Errors.ALL] : [...PERMANENT_ERROR_NAMES];
  }

  /**
   * Where a caught final failure of `step` goes when the workflow compensates: `<step> (failed)`
   * records it at `$.steps._failure`, then goes to the chain (top level) or ends the branch.
   */
  #failed(step: StepSpec, place: Place): sfn.State {
    const name = `${step.name}${STATE_SUFFIX.failed}`;
    const pass = new sfn.Pass(this.#scope, name, {
      stateName: name,
      parameters: { step: step.name, 'error.$': `$.errors.${step.name}` },
      resultPath: `$.steps.${COMPENSATION_FAILURE_KEY}`,
    });
    if (place === 'top' && this.#compensation) pass.next(this.#compensation.start);
    return pass;
  }

  #task(name: string, place: Place): sfn.Chain {
    const step = this.#spec.steps.find((s) => s.name === name);
    if (!step) throw new Error(`plan names unknown step '${name}'`);
    // The construct id is never the bare step name: a step may be called `constructor` or
    // `toString`, which the construct tree's child lookup would mistake for an existing child.
    const task = new tasks.LambdaInvoke(this.#scope, `Step-${step.name}`, {
      stateName: step.name,
      ...(step.description === undefined ? {} : { comment: step.description }),
      lambdaFunction: this.#options.functionFor(step),
      // The contract payload; an HTTP step's request template goes in as written, its `.$` keys
      // resolved by Step Functions.
      payload: sfn.TaskInput.fromObject(
        taskPayload(this.#spec.name, step.name, step.request, this.#options.stepConfigFor?.(step)),
      ),
      payloadResponseOnly: true,
      resultPath: `$.steps.${step.name}`,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(step.timeoutSeconds)),
      // The Lambda.* Retrier is emitted below with the step's own limit and backoff.
      retryOnServiceExceptions: false,
    });
    addRetriers(task, step);
    const errorPath = `$.errors.${step.name}`;
    if (step.onFailure === 'continue') {
      const fallback = new sfn.Pass(this.#scope, fallbackStateName(step.name), {
        stateName: fallbackStateName(step.name),
        parameters: { ...(step.fallback ?? {}), fallback_used: true, 'error.$': errorPath },
        resultPath: `$.steps.${step.name}`,
      });
      task.addCatch(fallback, { errors: [sfn.Errors.ALL], resultPath: errorPath });
      return sfn.Chain.custom(task, [task, fallback], fallback);
    }
    if (step.onFailure === 'await_operator') {
      const operator = this.#operatorTask(step, place);
      task.addCatch(operator, { errors: this.#caughtErrors(), resultPath: errorPath });
      return sfn.Chain.custom(task, [task, operator], operator);
    }
    if (this.#compensation) {
      task.addCatch(this.#failed(step, place), { errors: this.#caughtErrors(), resultPath: errorPath });
    }
    return sfn.Chain.start(task);
  }

  /**
   * `<step> (operator)`: waits for an operator's `resolve` (its result becomes the step's) or
   * `fail`, up to the step's operator timeout. Never retried; with compensation, its failure
   * compensates like the step's own would.
   */
  #operatorTask(step: StepSpec, place: Place): tasks.LambdaInvoke {
    const fn = this.#options.operatorFunction;
    if (fn === undefined) {
      throw new Error(
        `compileWorkflow: step '${step.name}' has on_failure: await_operator, but CompileOptions.operatorFunction is not set`,
      );
    }
    const name = `${step.name}${STATE_SUFFIX.operator}`;
    const operator = new tasks.LambdaInvoke(this.#scope, name, {
      stateName: name,
      lambdaFunction: fn,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject(withTaskToken(operatorPayloadTemplate(this.#spec.name, step.name))),
      resultPath: `$.steps.${step.name}`,
      taskTimeout: sfn.Timeout.duration(
        Duration.seconds(step.operatorTimeoutSeconds ?? DEFAULTS.operatorTimeoutSeconds),
      ),
      retryOnServiceExceptions: false,
    });
    if (this.#compensation) {
      operator.addCatch(this.#failed(step, place), {
        errors: [sfn.Errors.ALL],
        resultPath: `$.errors.${step.name}`,
      });
    }
    return operator;
  }

  #parallel(branches: Plan[], place: Place): Fragment {
    const stateName = this.#names.claim(groupName(branches.map(planLabel)));
    const parallel = this.#parallelState(stateName, branches);
    if (!this.#compensation) return { chain: sfn.Chain.start(parallel) };
    const compensation = this.#compensation;
    const pending = new PendingChoice((next) => {
      const choiceName = this.#names.claim(suffixed(stateName, COMPILER_STATE_SUFFIX.anyFailed));
      const onFailure =
        place === 'top'
          ? compensation.start
          : new sfn.Succeed(this.#scope, `${choiceName}-end`, {
              stateName: this.#names.claim(suffixed(stateName, COMPILER_STATE_SUFFIX.branchFailed)),
            });
      const choice = new sfn.Choice(this.#scope, choiceName, { stateName: choiceName });
      choice.when(sfn.Condition.isPresent(`$.steps.${COMPENSATION_FAILURE_KEY}`), onFailure).otherwise(next);
      parallel.next(choice);
    });
    return { chain: sfn.Chain.custom(parallel, [pending], parallel), parallel: pending };
  }

  /**
   * One Parallel state over `branches`, merging their `steps`; more branches than one field can
   * merge are grouped into nested Parallels (each an extra state only for those wide fan-outs).
   */
  #parallelState(stateName: string, branches: Plan[]): sfn.Parallel {
    let chains: sfn.Chain[];
    if (branches.length <= MAX_MERGED_BRANCHES) {
      chains = branches.map((b) => this.#part(b, 'branch').chain);
    } else {
      const groups = branchGroups(branches);
      if (groups.length > MAX_MERGED_BRANCHES) {
        // More groups than one Parallel merges: each group becomes one branch, grouped again.
        const parts = groups.map(
          (g): Plan => (g.length === 1 && g[0] ? g[0] : { kind: 'parallel', branches: g }),
        );
        return this.#parallelState(stateName, parts);
      }
      chains = groups.map((group) => {
        if (group.length === 1 && group[0]) return this.#part(group[0], 'branch').chain;
        const name = this.#names.claim(groupName(group.map(planLabel)));
        return sfn.Chain.start(this.#parallelState(name, group));
      });
    }
    const parallel = new sfn.Parallel(this.#scope, stateName, { stateName, ...parallelMerge(chains.length) });
    for (const chain of chains) parallel.branch(chain);
    return parallel;
  }
}

/**
 * The template with its `$$.Task.Token` path as CDK's JsonPath.taskToken, so CDK sees the token
 * a `.waitForTaskToken` Task needs (it renders to the same `"task_token.$": "$$.Task.Token"`).
 */
function withTaskToken(template: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(template).map(([key, value]) =>
      key.endsWith('.$') && value === '$$.Task.Token'
        ? [key.slice(0, -2), sfn.JsonPath.taskToken]
        : [key, value],
    ),
  );
}

/** `name` with `suffix`, the name shortened so the whole stays within 80 characters. */
function suffixed(name: string, suffix: string): string {
  return `${name.slice(0, 80 - suffix.length)}${suffix}`;
}
