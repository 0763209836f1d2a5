/**
 * fast-check arbitraries for the differential test: state machine definitions built from Task,
 * Parallel, Map, Pass, Choice and Wait states with Retry, Catch, Parameters, ResultSelector,
 * ResultPath and intrinsic functions, plus deterministic task behaviours encoded in the Task
 * resource (succeed, fail with a named error, fail k times then succeed, throw a TypeError).
 *
 * Every ResultPath writes a fresh key (or discards), so each state's paths into the input
 * (`$.n`, `$.s`, `$.list`, `$.obj.a`) always select something.
 */
import fc from 'fast-check';

type Obj = Record<string, unknown>;

export const INPUT = fc.record({
  n: fc.integer({ min: -5, max: 20 }),
  s: fc.constantFrom('alpha', 'beta', 'a,b,c', 'x y'),
  list: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 4 }),
  obj: fc.record({ a: fc.integer({ min: 0, max: 9 }) }),
  flag: fc.boolean(),
});

/** A Task behaviour, encoded as the function name of its resource ARN. */
const behaviour = (allowFlaky: boolean) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant('ok') },
    { weight: 2, arbitrary: fc.constantFrom('fail-Boom', 'fail-Other') },
    { weight: 1, arbitrary: fc.constant('throw') },
    ...(allowFlaky
      ? [{ weight: 2, arbitrary: fc.integer({ min: 1, max: 3 }).map((k) => `flaky-${k}`) }]
      : []),
  );

const INTRINSICS = [
  "States.Format('{} is {}', $.s, $.n)",
  'States.Array($.n, $.s, $.flag)',
  'States.ArrayLength($.list)',
  'States.ArrayContains($.list, 3)',
  'States.ArrayRange(1, $.obj.a, 2)',
  'States.ArrayGetItem($.list, 0)',
  'States.ArrayUnique($.list)',
  'States.ArrayPartition($.list, 2)',
  'States.MathAdd($.n, $.obj.a)',
  'States.JsonToString($.obj)',
  'States.StringToJson(States.JsonToString($.list))',
  'States.Base64Encode($.s)',
  'States.Base64Decode(States.Base64Encode($.s))',
  "States.Hash($.s, 'SHA-256')",
  "States.StringSplit($.s, ',')",
];

const parameters = fc.option(
  fc
    .record({
      n: fc.boolean(),
      intrinsic: fc.option(fc.constantFrom(...INTRINSICS), { nil: undefined }),
      nested: fc.boolean(),
    })
    .map(({ n, intrinsic, nested }) => ({
      'tag.$': '$.s',
      ...(n ? { 'n.$': '$.n' } : {}),
      ...(intrinsic ? { 'fn.$': intrinsic } : {}),
      ...(nested ? { nested: { 'a.$': '$.obj.a', fixed: [1, 'two'] } } : {}),
    })),
  { nil: undefined },
);

const retry = (wildcards: readonly string[]) =>
  fc.option(
    fc.array(
      fc.record({
        ErrorEquals: fc.constantFrom(['Flaky'], ['Boom'], ['Other', 'Flaky'], ...wildcards.map((w) => [w])),
        MaxAttempts: fc.integer({ min: 0, max: 3 }),
        IntervalSeconds: fc.constantFrom(1, 2),
        BackoffRate: fc.constantFrom(1, 2),
      }),
      { minLength: 1, maxLength: 2 },
    ),
    { nil: undefined },
  );

const catcher = fc.option(fc.constantFrom(['States.ALL'], ['Boom'], ['Flaky', 'TypeError']), {
  nil: undefined,
});

/** A state spec (names and transitions are filled in by {@link buildDefinition}). */
type Spec =
  | {
      kind: 'task';
      behaviour: string;
      parameters?: Obj | undefined;
      selector: boolean;
      retry?: readonly Obj[] | undefined;
      catch?: readonly string[] | undefined;
      discard: boolean;
    }
  | { kind: 'pass'; parameters?: Obj | undefined; result: boolean; explicitRoot: boolean }
  | { kind: 'wait'; seconds: number }
  | { kind: 'choice'; threshold: number; toFail: boolean }
  | {
      kind: 'parallel';
      branches: Spec[][];
      retry?: readonly Obj[] | undefined;
      catch?: readonly string[] | undefined;
      selector: boolean;
    }
  | { kind: 'map'; behaviour: string; concurrency: number; catch?: readonly string[] | undefined };

const simple = (allowFlaky: boolean, canFail = true): fc.Arbitrary<Spec> =>
  fc.oneof(
    fc.record({
      kind: fc.constant('task' as const),
      behaviour: canFail ? behaviour(allowFlaky) : fc.constant('ok'),
      parameters,
      selector: fc.boolean(),
      retry: retry(['States.ALL', 'States.TaskFailed']),
      catch: catcher,
      discard: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('pass' as const),
      parameters,
      result: fc.boolean(),
      explicitRoot: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 0, max: 3 }) }),
    fc.record({
      kind: fc.constant('choice' as const),
      threshold: fc.integer({ min: -5, max: 20 }),
      toFail: canFail ? fc.boolean() : fc.constant(false),
    }),
  );

const spec: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 5, arbitrary: simple(true) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('parallel' as const),
      // No flaky tasks in branches (a cancelled branch would leave its counter mid-way), and only
      // the first branch can fail: which of two failing branches fails first is a race.
      branches: fc
        .tuple(
          fc.array(simple(false), { minLength: 1, maxLength: 2 }),
          fc.option(fc.array(simple(false, false), { minLength: 1, maxLength: 2 }), { nil: undefined }),
        )
        .map(([first, second]) => (second ? [first, second] : [first])),
      retry: retry(['States.ALL']),
      catch: catcher,
      selector: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('map' as const),
      behaviour: fc.constantFrom('ok', 'ok', 'fail-Boom'),
      concurrency: fc.constantFrom(0, 1),
      catch: catcher,
    }),
  },
);

export const SPECS = fc.array(spec, { minLength: 1, maxLength: 5 });

export const FUNCTION_PREFIX = 'arn:aws:lambda:us-east-1:123456789012:function:';

/** Builds a definition from specs; state names are unique across the whole definition. */
export function buildDefinition(specs: readonly Spec[]): Obj {
  let counter = 0;
  const buildList = (list: readonly Spec[]): Obj => {
    const states: Obj = {};
    const names = list.map((s) => `${s.kind}${++counter}`);
    const used = new Set<string>();
    const endName = `end${++counter}`;
    const failTarget = `fail${++counter}`;
    const use = (name: string): string => {
      used.add(name);
      return name;
    };
    const end = (): string => use(endName);
    const failName = (): string => use(failTarget);
    list.forEach((s, i) => {
      const name = names[i]!;
      const next = names[i + 1];
      const link = next ? { Next: next } : { End: true };
      const catchTo = (errors?: readonly string[]) =>
        errors ? { Catch: [{ ErrorEquals: errors, ResultPath: `$.err_${name}`, Next: next ?? end() }] } : {};
      if (s.kind === 'task') {
        states[name] = {
          Type: 'Task',
          Resource: `${FUNCTION_PREFIX}${s.behaviour}`,
          ...(s.parameters ? { Parameters: s.parameters } : {}),
          ...(s.selector ? { ResultSelector: { 'got.$': '$', fixed: 'yes' } } : {}),
          ResultPath: s.discard ? null : `$.r_${name}`,
          ...(s.retry ? { Retry: s.retry } : {}),
          ...catchTo(s.catch),
          ...link,
        };
      } else if (s.kind === 'pass') {
        states[name] = {
          Type: 'Pass',
          ...(s.parameters ? { Parameters: s.parameters } : {}),
          ...(s.result ? { Result: { fixed: name } } : {}),
          ...(s.parameters || s.result
            ? { ResultPath: `$.r_${name}` }
            : s.explicitRoot
              ? { ResultPath: '$' }
              : {}),
          ...link,
        };
      } else if (s.kind === 'wait') {
        states[name] = { Type: 'Wait', Seconds: s.seconds, ...link };
      } else if (s.kind === 'choice') {
        states[name] = {
          Type: 'Choice',
          Choices: [
            {
              Variable: '$.n',
              NumericGreaterThan: s.threshold,
              Next: s.toFail ? failName() : (next ?? end()),
            },
            { Not: { Variable: '$.s', StringEquals: 'alpha' }, Next: next ?? end() },
          ],
          ...(s.toFail ? {} : { Default: end() }),
        };
      } else if (s.kind === 'parallel') {
        states[name] = {
          Type: 'Parallel',
          Branches: s.branches.map(buildList),
          ...(s.selector
            ? { ResultSelector: { 'first.$': '$[0]', 'count.$': 'States.ArrayLength($)' } }
            : {}),
          ResultPath: `$.r_${name}`,
          ...(s.retry ? { Retry: s.retry } : {}),
          ...catchTo(s.catch),
          ...link,
        };
      } else {
        const item = `${name}_item`;
        states[name] = {
          Type: 'Map',
          ItemsPath: '$.list',
          MaxConcurrency: s.concurrency,
          ItemSelector: { 'v.$': '$$.Map.Item.Value', 'i.$': '$$.Map.Item.Index', 'n.$': '$.n' },
          ItemProcessor: {
            StartAt: item,
            States: { [item]: { Type: 'Task', Resource: `${FUNCTION_PREFIX}${s.behaviour}`, End: true } },
          },
          ResultPath: `$.r_${name}`,
          ...catchTo(s.catch),
          ...link,
        };
      }
    });
    if (used.has(endName)) states[endName] = { Type: 'Succeed' };
    if (used.has(failTarget))
      states[failTarget] = { Type: 'Fail', Error: 'Chose.Fail', Cause: `from ${names.join(',')}` };
    return { StartAt: names[0], States: states };
  };
  return buildList(specs);
}

/** Task behaviours, deterministic per run: `flaky-k` fails k times per state, then succeeds. */
export function taskBehaviours(): (behaviour: string, stateKey: string, input: unknown) => unknown {
  const calls = new Map<string, number>();
  return (behaviour, stateKey, input) => {
    const named = (name: string, message: string): Error => Object.assign(new Error(message), { name });
    if (behaviour === 'ok') return { ok: true, input };
    if (behaviour === 'throw') throw new TypeError('boom from the handler');
    const fail = /^fail-(\w+)$/.exec(behaviour);
    if (fail) throw named(fail[1]!, `${fail[1]} raised on purpose`);
    const flaky = /^flaky-(\d+)$/.exec(behaviour);
    const count = (calls.get(stateKey) ?? 0) + 1;
    calls.set(stateKey, count);
    if (flaky && count <= Number(flaky[1])) throw named('Flaky', `call ${count} failed`);
    return { ok: true, calls: count, input };
  };
}
