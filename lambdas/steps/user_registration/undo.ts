import { undoStepId } from '../../contracts.ts';
import { PermanentError, RUNTIME_ERROR_CODES } from '../../runtime/errors.ts';
import type { StepContext } from '../../runtime/step-handler.ts';

/**
 * An undo module deletes or cancels what its step made, so it runs only as a compensation (the
 * payload's step `<step>:undo`): wired up as a step's own handler by mistake, it fails
 * (CONFIGURATION_ERROR) instead of undoing the work it was meant to do.
 */
export function requireCompensation(ctx: StepContext): void {
  if (!ctx.compensating) {
    throw new PermanentError(
      RUNTIME_ERROR_CODES.configuration,
      `this module undoes step '${ctx.step}' and runs only as its compensation (payload step '${undoStepId(ctx.step)}'), not as '${ctx.invocationStep}'`,
    );
  }
}
