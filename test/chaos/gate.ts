/**
 * `npm test` runs every `test/**\/*.test.ts`, this folder included; the long proofs belong to
 * `npm run test:chaos` (also run by `.ci/run`). npm names the running script in
 * `npm_lifecycle_event`, so under `npm test` these tests are skipped with this reason, while
 * `npm run test:chaos` and a direct `node --test test/chaos/<file>` run them.
 */
export const CHAOS_ONLY: string | false =
  process.env.npm_lifecycle_event === 'test' ? 'long proof: runs in npm run test:chaos (and .ci/run)' : false;
