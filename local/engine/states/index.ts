/** One handler per state type. */
import { runChoice } from './choice.ts';
import { runFail } from './fail.ts';
import { runMap } from './map.ts';
import { runParallel } from './parallel.ts';
import { runPass } from './pass.ts';
import { runSucceed } from './succeed.ts';
import { runTask } from './task.ts';
import type { StateHandler } from './types.ts';
import { runWait } from './wait.ts';

export const STATE_HANDLERS: Readonly<Record<string, StateHandler>> = {
  Task: runTask,
  Parallel: runParallel,
  Map: runMap,
  Pass: runPass,
  Wait: runWait,
  Choice: runChoice,
  Succeed: runSucceed,
  Fail: runFail,
};
