import { formatDiagnostic, WorkflowError } from '../../../infra/workflow/index.ts';

/** The formatted diagnostics `fn` throws as a WorkflowError, or [] when it returns. */
export function diagnosticsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof WorkflowError) return error.diagnostics.map(formatDiagnostic);
    throw error;
  }
  return [];
}
