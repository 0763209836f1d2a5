/**
 * What `npm run asl` does, callable in-process: load one workflow file, run the plan and checks
 * stages (handler modules resolved against the project root, as synth does), and render the
 * definition with placeholder ARNs.
 */
import { type RenderedDefinition, renderAnalyzed } from './render-definition.ts';
import { REPO_ROOT } from './repo-root.ts';
import { analyzeWorkflow, loadWorkflowFile } from './workflow/index.ts';

/** Options of {@link aslOf}. */
export interface AslOptions {
  /**
   * Tasker environment whose overrides apply.
   * @default none: the base values, as `npx cdk synth` without `-c environment`
   */
  readonly environment?: string | undefined;
  /**
   * Project root the handler modules are resolved against.
   * @default the repository root
   */
  readonly rootDir?: string;
}

/**
 * The definition `npm run asl -- <file>` prints, with its warnings.
 *
 * @throws WorkflowError with every diagnostic, as the command prints them
 * @example aslOf('config/order_fulfillment.yaml').definition
 */
export function aslOf(file: string, options: AslOptions = {}): RenderedDefinition {
  const spec = loadWorkflowFile(file, { environment: options.environment });
  return renderAnalyzed(analyzeWorkflow(spec, { rootDir: options.rootDir ?? REPO_ROOT }));
}
