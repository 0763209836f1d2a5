/**
 * Each compiler stage announces its run on a `node:diagnostics_channel` channel, the platform's
 * way to observe a library from outside (undici and Node's own http do the same). Publishing
 * costs nothing without a subscriber. Profilers can time the stages; the tests count them to
 * prove each runs once per workflow.
 *
 * @example
 * import { subscribe } from 'node:diagnostics_channel';
 * subscribe(STAGE_CHANNEL, (event) => console.log((event as StageEvent).stage));
 */
import { channel } from 'node:diagnostics_channel';

/** The compiler's stages, in order. */
export const STAGES = ['parse', 'spec', 'plan', 'checks', 'compile'] as const;

/** One stage run. */
export interface StageEvent {
  readonly stage: (typeof STAGES)[number];
  /** The workflow file, when the stage knows it (the planner works on a bare graph). */
  readonly file?: string;
}

/** Name of the channel every stage run is published on. */
export const STAGE_CHANNEL = 'stepflow:compiler:stage';

const stages = channel(STAGE_CHANNEL);

/** Announces that `stage` ran (for `file`). */
export function stageRan(stage: StageEvent['stage'], file?: string): void {
  if (stages.hasSubscribers) stages.publish(file === undefined ? { stage } : { stage, file });
}
