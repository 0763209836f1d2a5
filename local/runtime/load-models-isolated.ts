/**
 * {@link loadModels} in a worker thread. The synthesis loads aws-cdk-lib (tens of MB of code and
 * source strings) and leaves a heap grown to ~120 MB; in the runtime's own isolate that stayed for
 * the runtime's lifetime and sized its old generation. In a worker it goes with the thread, and
 * only the models (plain data, a few hundred KB) come back.
 */
import { Worker } from 'node:worker_threads';
import { type LoadedWorkflow, type LoadModelsOptions, loadModels } from './load-models.ts';
import { inheritedExecArgv } from './sandbox.ts';
import { readSynthesis, synthesisCacheEnabled, synthesisKey, writeSynthesis } from './synthesis-cache.ts';

const LOAD_MODELS_URL = new URL('./load-models.ts', import.meta.url).href;

// Plain JavaScript entry: the worker imports load-models.ts and posts the result back.
const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.url)
  .then((m) => m.loadModels(workerData.opts))
  .then((loaded) => parentPort.postMessage({ ok: true, loaded }))
  .catch(() => parentPort.postMessage({ ok: false }));
`;

type Reply = { readonly ok: true; readonly loaded: LoadedWorkflow[] } | { readonly ok: false };

function loadInWorker(opts: LoadModelsOptions): Promise<Reply> {
  return new Promise((resolve) => {
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { url: LOAD_MODELS_URL, opts: { ...opts } },
      // As for sandboxes: a parent started with `-e`/`--input-type` passes on its other options only.
      ...inheritedExecArgv(),
    });
    let settled = false;
    const settle = (reply: Reply): void => {
      if (settled) return;
      settled = true;
      resolve(reply);
      void worker.terminate();
    };
    worker.once('message', settle);
    worker.once('error', () => settle({ ok: false }));
    worker.once('exit', () => settle({ ok: false }));
  });
}

/**
 * Where the models came from: a synthesis, the synthesis cache (no input changed since the last
 * one; synthesis-cache.ts), or the bundled `cdk.out`.
 */
export type ModelsSource = 'synthesized' | 'cached' | 'bundled';

/**
 * Every workflow stack as a local model with its spec, synthesized in a worker thread, or read
 * from the synthesis cache when none of its inputs changed since (synthesis-cache.ts). A failure
 * there (a workflow error, a missing file) is reproduced in this thread, so the caller gets the
 * very error {@link loadModels} throws, with its class and `file:line` message.
 */
export async function loadModelsIsolated(
  opts: LoadModelsOptions,
): Promise<{ readonly loaded: LoadedWorkflow[]; readonly source: ModelsSource }> {
  // Reading `cdk.out` needs no CDK: nothing to isolate.
  if (opts.bundled) return { loaded: await loadModels(opts), source: 'bundled' };
  const key = synthesisCacheEnabled() ? synthesisKey(opts) : undefined;
  const cached = key === undefined ? undefined : readSynthesis(opts.rootDir, key);
  if (cached) return { loaded: cached, source: 'cached' };
  const reply = await loadInWorker(opts);
  if (!reply.ok) return { loaded: await loadModels(opts), source: 'synthesized' };
  // Stored only when no input changed while the synthesis ran.
  if (key !== undefined && synthesisKey(opts) === key) writeSynthesis(opts.rootDir, key, reply.loaded);
  return { loaded: reply.loaded, source: 'synthesized' };
}
