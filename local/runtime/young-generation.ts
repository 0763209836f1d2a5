/**
 * The main thread's young generation against the sandboxes' (issue 14's memory target).
 *
 * Left to itself V8 lets the main thread's young generation grow to 128 MB on a machine of this
 * size, and most of it stays resident after a burst of requests: the runtime's main thread
 * (dynalite, the simulators, the engine, the local API) allocates fast. `npm start` therefore runs
 * its process with `--max-semi-space-size=16`. That flag is process-wide, and while it is set it
 * overrides every worker's `resourceLimits.maxYoungGenerationSizeMb`: each sandbox would get 16 MB
 * semi-spaces instead of its own small cap. The main heap reads the flag once, when it is created,
 * so clearing it afterwards keeps the main thread's limit and gives the workers theirs back.
 */
import { setFlagsFromString } from 'node:v8';

/**
 * Clears `--max-semi-space-size` for the isolates created from now on (the sandboxes), leaving the
 * running main heap as it was configured. Clearing an unset flag changes nothing. Call it before
 * the first worker starts.
 */
export function releaseYoungGenerationFlag(): void {
  setFlagsFromString('--max-semi-space-size=0');
}
