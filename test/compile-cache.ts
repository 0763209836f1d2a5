/**
 * The one place the test commands set NODE_COMPILE_CACHE (`npm test` imports it from test/run.ts,
 * `npm run test:chaos` with `node --import`). Every process the tests spawn (synths, npm start,
 * the CLI) loads aws-cdk-lib and the SDK again: V8's on-disk compile cache, inherited through the
 * environment, lets them skip recompiling it (about half their start-up CPU here). Kept under
 * node_modules, which `npm ci` empties, so a new lockfile never meets an old cache.
 */
import { join } from 'node:path';
import { REPO_ROOT } from './tiers.ts';

process.env.NODE_COMPILE_CACHE ??= join(REPO_ROOT, 'node_modules', '.cache', 'node-compile-cache');
