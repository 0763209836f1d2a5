/**
 * WorkflowSpec -> Step Functions chain (CDK constructs). One Task per step invoking its Lambda with
 * the contract payload, results at `$.steps.<name>`, native Retriers, a Catch -> fallback Pass for
 * `on_failure: continue`, and Parallel states that merge branch results with a ResultSelector
 * (no extra Pass state, so no extra billed transition).
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { stepPayloadTemplate } from '../../lambdas/contracts.ts';
import type { AnalyzedWorkflow } from './analyze.ts';
import { groupName, planLabel, StateNames } from './names.ts';
import type { Plan } from './plan.ts';
import { retriersFor } from './retry.ts';
import { stageRan } from './stage-events.ts';
import type { StepSpec, WorkflowSpec } from './types.ts';

/** What the compiler needs from the stack. */
export interface CompileOptions {
  /** The Lambda function that runs `step` (the stack creates one per step). */
  functionFor(step: StepSpec): lambda.IFunction;
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
  return `${stepName} (fallback)`;
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
  const steps = new Map(spec.steps.map((s) => [s.name, s]));
  const names = new StateNames(spec.steps.flatMap((s) => [s.name, fallbackStateName(s.name)]));
  const builder = new Builder(root, spec, steps, options, names);
  const compiled: CompiledWorkflow = {
    chain: builder.build(plan, []).chain,
    comment: definitionComment(spec),
  };
  if (spec.timeoutSeconds !== undefined) compiled.timeout = Duration.seconds(spec.timeoutSeconds);
  return compiled;
}

/** The definition's `Comment`: the workflow's description, else its name. */
export function definitionComment(spec: WorkflowSpec): string {
  return spec.description ?? `Workflow ${spec.name}`;
}

interface Fragment {
  chain: sfn.Chain;
  /** Steps whose results exist at `$.steps` once the fragment has run. */
  completed: string[];
}

class Builder {
  readonly #scope: Construct;
  readonly #spec: WorkflowSpec;
  readonly #steps: Map<string, StepSpec>;
  readonly #options: CompileOptions;
  readonly #names: StateNames;

  constructor(
    scope: Construct,
    spec: WorkflowSpec,
    steps: Map<string, StepSpec>,
    options: CompileOptions,
    names: StateNames,
  ) {
    this.#scope = scope;
    this.#spec = spec;
    this.#steps = steps;
    this.#options = options;
    this.#names = names;
  }

  /** `done`: steps completed before this fragment starts (their results are in `$.steps`). */
  build(plan: Plan, done: string[]): Fragment {
    if (plan.kind === 'step') return this.#task(plan.name);
    if (plan.kind === 'sequence') {
      let completed = done;
      let chain: sfn.Chain | undefined;
      for (const item of plan.items) {
        const fragment = this.build(item, completed);
        completed = [...completed, ...fragment.completed];
        chain = chain ? chain.next(fragment.chain) : fragment.chain;
      }
      if (!chain) throw new Error('empty sequence in plan');
      return { chain, completed: completed.slice(done.length) };
    }
    return this.#parallel(plan.branches, done);
  }

  #task(name: string): Fragment {
    const step = this.#steps.get(name);
    if (!step) throw new Error(`plan names unknown step '${name}'`);
    const task = new tasks.LambdaInvoke(this.#scope, step.name, {
      stateName: step.name,
      ...(step.description === undefined ? {} : { comment: step.description }),
      lambdaFunction: this.#options.functionFor(step),
      // The contract payload; an HTTP step's request template goes in as written, its `.$` keys
      // resolved by Step Functions.
      payload: sfn.TaskInput.fromObject(stepPayloadTemplate(this.#spec.name, step.name, step.request)),
      payloadResponseOnly: true,
      resultPath: `$.steps.${step.name}`,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(step.timeoutSeconds)),
      // The Lambda.* Retrier is emitted below with the step's own limit and backoff.
      retryOnServiceExceptions: false,
    });
    for (const r of retriersFor(step)) {
      task.addRetry({
        errors: r.ErrorEquals,
        interval: Duration.seconds(r.IntervalSeconds),
        backoffRate: r.BackoffRate,
        maxAttempts: r.MaxAttempts,
        ...(r.MaxDelaySeconds === undefined ? {} : { maxDelay: Duration.seconds(r.MaxDelaySeconds) }),
        jitterStrategy: r.JitterStrategy === 'FULL' ? sfn.JitterType.FULL : sfn.JitterType.NONE,
      });
    }
    if (step.onFailure !== 'continue') return { chain: sfn.Chain.start(task), completed: [step.name] };
    const fallback = new sfn.Pass(this.#scope, fallbackStateName(step.name), {
      stateName: fallbackStateName(step.name),
      parameters: { ...(step.fallback ?? {}), fallback_used: true, 'error.$': `$.errors.${step.name}` },
      resultPath: `$.steps.${step.name}`,
    });
    task.addCatch(fallback, { errors: [sfn.Errors.ALL], resultPath: `$.errors.${step.name}` });
    return { chain: sfn.Chain.custom(task, [task, fallback], fallback), completed: [step.name] };
  }

  #parallel(branches: Plan[], done: string[]): Fragment {
    const stateName = this.#names.claim(groupName(branches.map(planLabel)));
    const built = branches.map((b) => this.build(b, done));
    // Rebuild `$.steps` from the branch outputs: earlier results from branch 0 (every branch
    // carries them), each branch's own results from its index.
    const selector: Record<string, string> = {};
    for (const name of done) selector[`${name}.$`] = `$[0].steps.${name}`;
    built.forEach((b, i) => {
      for (const name of b.completed) selector[`${name}.$`] = `$[${i}].steps.${name}`;
    });
    const parallel = new sfn.Parallel(this.#scope, stateName, {
      stateName,
      resultSelector: selector,
      resultPath: '$.steps',
    });
    for (const b of built) parallel.branch(b.chain);
    return { chain: sfn.Chain.start(parallel), completed: built.flatMap((b) => b.completed) };
  }
}
