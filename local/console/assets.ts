/**
 * The console's browser assets, bundled at start by the project's esbuild (nothing prebuilt,
 * nothing from a CDN: the machines are offline) and held in memory.
 */
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { STATUS_PALETTE } from '../../lambdas/graph/index.ts';
import { standaloneCss } from '../graph/svg.ts';

/** One served file. */
export interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

const CLIENT_DIR = new URL('./client/', import.meta.url);

/**
 * Bundles `client/execution.ts` (live updates) and `client/workflow.ts` (the start form with its
 * schema check) and builds the stylesheet: the page's own CSS, the SVG rules and the palette.
 */
export async function buildAssets(): Promise<Map<string, Asset>> {
  const result = await build({
    entryPoints: {
      execution: new URL('execution.ts', CLIENT_DIR).pathname,
      workflow: new URL('workflow.ts', CLIENT_DIR).pathname,
    },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    outdir: '/assets',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const assets = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    const name = file.path.slice(file.path.lastIndexOf('/') + 1);
    assets.set(name, { type: 'text/javascript; charset=utf-8', body: Buffer.from(file.contents) });
  }
  const css = [readFileSync(new URL('./console.css', import.meta.url), 'utf8'), standaloneCss(), badgeCss()];
  assets.set('console.css', { type: 'text/css; charset=utf-8', body: Buffer.from(css.join('\n')) });
  return assets;
}

/** Status pills in the palette's colours. */
function badgeCss(): string {
  return Object.entries(STATUS_PALETTE)
    .map(
      ([status, style]) =>
        `.badge[data-status="${status}"]{background:${style.fill};border-color:${style.stroke};color:${style.text}${style.dashed ? ';border-style:dashed' : ''}}`,
    )
    .join('\n');
}
