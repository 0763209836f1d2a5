/** The typed workflow the loader produces and the compiler consumes (YAML names mapped to camelCase). */

/** How a step is retried; every field has been resolved from step, workflow and built-in defaults. */
export interface RetryPolicy {
  /** Retries after the first attempt (`default_retry_limit: 3` = up to 4 attempts). */
  limit: number;
  intervalSeconds: number;
  backoffRate: number;
  maxDelaySeconds: number;
  jitter: 'FULL' | 'NONE';
  /** Extra error names retried with the step's backoff. */
  retryOn: string[];
}

/** One step (`step_templates[]` entry). */
export interface StepSpec {
  name: string;
  description?: string;
  handlerClass?: string;
  /** Repo-relative handler module: `lambdas/steps/<kebab-name>.ts` unless `handler:` is given. */
  handlerPath: string;
  /** Union of `depends_on_step` and `depends_on_steps`, in file order, without duplicates. */
  dependsOn: string[];
  retryable: boolean;
  retry: RetryPolicy;
  timeoutSeconds: number;
  honorRetryAfter: boolean;
  maxRetryAfterSeconds: number;
  onFailure: 'fail' | 'continue';
  fallback?: Record<string, unknown>;
  handlerConfig: Record<string, unknown>;
  /** Line of the step in the YAML file (1-based). */
  line: number;
}

/** One workflow file. */
export interface WorkflowSpec {
  file: string;
  name: string;
  namespace: string;
  version: string;
  description?: string;
  taskHandlerClass?: string;
  defaultDependentSystem?: string;
  executionType: 'STANDARD' | 'EXPRESS';
  /** Line of `execution_type` (for budget diagnostics); the first line when absent. */
  executionTypeLine?: number;
  timeoutSeconds?: number;
  /** JSON Schema of the execution input (`{}` when the file has none). */
  schema: Record<string, unknown>;
  /** Names of the workflow's `custom_events`. */
  customEvents: string[];
  /** The workflow's REST API: `POST /<resource>`, `GET /<resource>/{correlation_id}`. */
  api: {
    /** `api.resource`, else the workflow name made path-safe (`pathSafeName`). */
    resource: string;
    /** Line of `api.resource`, or of `name` when it is the default. */
    line: number;
  };
  /** Steps in file order. */
  steps: StepSpec[];
}
