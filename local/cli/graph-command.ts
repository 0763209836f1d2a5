/**
 * `npx stepflow graph <workflow.yaml> [--format mermaid|dot|svg] [--compiled] [-o FILE]`: draws a
 * workflow's true dependency graph (or, with --compiled, the compiled ASL shape) without AWS,
 * synth or handler modules.
 */
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { compiledGraph, workflowGraph } from '../../infra/graph/index.ts';
import { formatDiagnostic, WorkflowError } from '../../infra/workflow/diagnostics.ts';
import { loadWorkflowFile } from '../../infra/workflow/parse.ts';
import { type DrawGraph, renderDot, renderMermaid, workflowDrawGraph } from '../../lambdas/graph/index.ts';
import { renderSvg } from '../graph/svg.ts';

/** The formats `--format` accepts. */
export const GRAPH_FORMATS = ['mermaid', 'dot', 'svg'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

export const GRAPH_USAGE = `usage: npx stepflow graph <workflow.yaml> [--format mermaid|dot|svg] [--compiled] [-o FILE]
  --format F     mermaid (default), dot or svg; with -o and no --format, taken from FILE's extension
                 (.mmd/.mermaid, .dot/.gv, .svg)
  --compiled     draw the compiled state machine (Parallels as groups) instead of the true
                 dependency graph from depends_on
  -o, --output   write to FILE instead of stdout`;

/** Where the command writes; `process.stdout`/`process.stderr` fit. */
export interface CommandOutput {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

const EXTENSIONS: Readonly<Record<string, GraphFormat>> = {
  '.mmd': 'mermaid',
  '.mermaid': 'mermaid',
  '.dot': 'dot',
  '.gv': 'dot',
  '.svg': 'svg',
};

/**
 * Runs the graph command. Exit codes: 0 drawn, 1 the workflow file is missing or invalid (its
 * `file:line:` diagnostics on stderr, no stack trace), 2 a bad command line (usage on stderr).
 *
 * @param argv - the arguments after `graph`
 * @example process.exitCode = await runGraphCommand(process.argv.slice(3), process)
 */
export async function runGraphCommand(argv: readonly string[], io: CommandOutput): Promise<number> {
  const usageError = (message: string): number => {
    io.stderr.write(`stepflow graph: ${message}\n${GRAPH_USAGE}\n`);
    return 2;
  };
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    return usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(`${GRAPH_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    return usageError(positionals.length === 0 ? 'no workflow file given' : 'give exactly one workflow file');
  }
  const extension = values.output ? extname(values.output).toLowerCase() : '';
  if (values.format === undefined && extension !== '' && EXTENSIONS[extension] === undefined) {
    return usageError(`cannot tell the format from '${values.output}': pass --format`);
  }
  const format = values.format ?? EXTENSIONS[extension];
  if (format !== undefined && !(GRAPH_FORMATS as readonly string[]).includes(format)) {
    return usageError(`unknown format '${format}' (expected one of ${GRAPH_FORMATS.join(', ')})`);
  }
  try {
    const spec = loadWorkflowFile(positionals[0]!);
    let graph: DrawGraph;
    if (values.compiled) {
      graph = await compiledGraph(spec);
    } else {
      graph = workflowDrawGraph(workflowGraph(spec));
    }
    const text = render(graph, (format ?? 'mermaid') as GraphFormat);
    if (values.output) writeFileSync(values.output, text);
    else io.stdout.write(text);
    return 0;
  } catch (error) {
    if (error instanceof WorkflowError) {
      for (const diagnostic of error.diagnostics) io.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
    } else {
      io.stderr.write(`error: ${(error as Error).message}\n`);
    }
    return 1;
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: 'string', short: 'f' },
      compiled: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function render(graph: DrawGraph, format: GraphFormat): string {
  if (format === 'dot') return renderDot(graph);
  if (format === 'svg') return renderSvg(graph, { idPrefix: graph.title });
  return renderMermaid(graph);
}
