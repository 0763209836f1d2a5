/**
 * How a Parallel state merges its branches back into one state document without naming any
 * step: each branch outputs the whole document with its own results added under `steps`, and
 * the Parallel's own ResultSelector + OutputPath merge the branches' `steps` with
 * `States.JsonMerge` (no Pass state, so no extra billed transition, and a definition linear in
 * the number of steps).
 *
 *   ResultSelector: { "state.$": "States.JsonMerge($[0], States.StringToJson(States.Format(
 *                       '\\{\"steps\":{}\\}', States.JsonToString(<merged steps>))), false)" }
 *   OutputPath: "$.state"
 *   <merged steps> = States.JsonMerge(States.JsonMerge($[0].steps, $[1].steps, false), $[2].steps, false) ...
 *
 * Everything but `steps` comes from branch 0 (branches change nothing else that later states
 * read). A field may hold at most 10 intrinsic calls (AWS's limit, counted here as calls, the
 * stricter reading), so one Parallel merges at most {@link MAX_MERGED_BRANCHES} branches; the
 * compiler groups wider fan-outs into nested Parallels of at most that many.
 */

/** Intrinsic calls AWS allows in one field. */
export const MAX_INTRINSICS_PER_FIELD = 10;
/** Calls around the merged `steps`: JsonToString, Format, StringToJson and the outer JsonMerge. */
const WRAPPER_CALLS = 4;
/** Branches one Parallel can merge: (branches - 1) JsonMerge calls plus the wrapper's 4. */
export const MAX_MERGED_BRANCHES = MAX_INTRINSICS_PER_FIELD - WRAPPER_CALLS + 1;

/** The key of the merged document in the ResultSelector; OutputPath selects it. */
export const MERGED_STATE_KEY = 'state';

/** `States.JsonMerge` of `$[0].steps` ... `$[n-1].steps`, left to right (later branches win ties). */
function mergedSteps(branches: number): string {
  let expression = '$[0].steps';
  for (let i = 1; i < branches; i++) expression = `States.JsonMerge(${expression}, $[${i}].steps, false)`;
  return expression;
}

/** Intrinsic calls in the merge expression of a Parallel with `branches` branches. */
export function mergeIntrinsicCalls(branches: number): number {
  return branches - 1 + WRAPPER_CALLS;
}

/** ResultSelector and OutputPath of a Parallel with `branches` branches (2..MAX_MERGED_BRANCHES). */
export function parallelMerge(branches: number): {
  resultSelector: Record<string, string>;
  outputPath: string;
} {
  if (branches < 2 || branches > MAX_MERGED_BRANCHES) {
    throw new Error(
      `parallelMerge: ${branches} branches (2 to ${MAX_MERGED_BRANCHES} can be merged in one field)`,
    );
  }
  const steps = `States.StringToJson(States.Format('\\{"steps":{}\\}', States.JsonToString(${mergedSteps(branches)})))`;
  return {
    resultSelector: { [`${MERGED_STATE_KEY}.$`]: `States.JsonMerge($[0], ${steps}, false)` },
    outputPath: `$.${MERGED_STATE_KEY}`,
  };
}

/**
 * Splits `count` branches into groups of at most {@link MAX_MERGED_BRANCHES}, as evenly as
 * possible, in order: 10 -> [5, 5]; 15 -> [5, 5, 5]; 50 -> 8 groups (then grouped again).
 */
export function branchGroups<T>(items: readonly T[]): T[][] {
  const groups = Math.ceil(items.length / MAX_MERGED_BRANCHES);
  const out: T[][] = [];
  let start = 0;
  for (let g = 0; g < groups; g++) {
    const size = Math.floor(items.length / groups) + (g < items.length % groups ? 1 : 0);
    out.push(items.slice(start, start + size));
    start += size;
  }
  return out;
}
