import { join } from 'node:path';
import type { CfnResource, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULTS, METADATA } from '../lambdas/contracts.ts';

/**
 * ESM bundles have no `require`; a few transitive dependencies still call it, so the bundle
 * recreates one from its own URL (esbuild's documented workaround).
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __stepflowCreateRequire } from 'node:module'; const require = __stepflowCreateRequire(import.meta.url);";

/**
 * How every function is bundled: the project's esbuild (never Docker), ESM, minified, with source
 * maps. SDK v3 ships with the nodejs24.x runtime, so it stays external (the cold-start benchmark,
 * `npm run bench`, compares this with bundling it).
 */
export const BUNDLING = {
  forceDockerBundling: false,
  minify: true,
  sourceMap: true,
  format: OutputFormat.ESM,
  banner: ESM_REQUIRE_BANNER,
  externalModules: ['@aws-sdk/*'],
  target: 'node24',
} as const satisfies BundlingOptions;

/** Lambda caps the whole environment (keys + values) at 4 KB. */
const LAMBDA_ENV_LIMIT_BYTES = 4096;

/** Props of {@link HandlerFunction}. */
export interface HandlerFunctionProps {
  /** Repository root; `entry` is resolved against it. */
  readonly rootDir: string;
  /** Repo-relative handler module, e.g. `lambdas/steps/create-user-account.ts`. */
  readonly entry: string;
  /**
   * The file esbuild bundles when it is not `entry` (absolute, under `rootDir`): the start
   * function's entry generated at synth. `Stepflow:Entry` still names `entry`, the source module
   * the offline runtime runs.
   * @default `entry`
   */
  readonly bundleEntry?: string;
  /** Environment variables, exactly as the handler reads them. */
  readonly environment: Record<string, string>;
  /** Lambda timeout. */
  readonly timeout: Duration;
  /**
   * Memory in MB.
   * @default 256
   */
  readonly memorySize?: number;
  /** Step name for `Stepflow:Step` metadata; API functions have none. */
  readonly step?: string;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /** Shown in the console; the step description for step functions. */
  readonly description?: string;
  /**
   * Concurrency reserved for (and capping) the function.
   * @default none: the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * One `NodejsFunction` with what every function of the project shares: Node 24 on ARM, X-Ray,
 * its own log group with retention, an own role that may only write that log group (no managed
 * policy), bundling with the project's esbuild, and the `Stepflow:*` template metadata.
 *
 * Grants beyond logging are the caller's: use `grantPrincipal`.
 */
export class HandlerFunction extends Construct {
  /** The Lambda function. */
  readonly function: NodejsFunction;
  /** Its log group (retention set, removed with the stack's retention policy). */
  readonly logGroup: logs.LogGroup;
  /** Its execution role, holding only what is granted to it. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    const envBytes = Object.entries({ NODE_OPTIONS: '--enable-source-maps', ...props.environment }).reduce(
      (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value),
      0,
    );
    if (envBytes > LAMBDA_ENV_LIMIT_BYTES) {
      throw new Error(
        `function ${id}: its environment is ${envBytes} bytes, over Lambda's 4 KB limit (shorten handler_config or the workflow schema)`,
      );
    }
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    // An own role instead of the default one: the default attaches the AWSLambdaBasicExecutionRole
    // managed policy, which allows writing to every log group in the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.bundleEntry ?? join(props.rootDir, props.entry),
      handler: 'handler',
      projectRoot: props.rootDir,
      depsLockFilePath: join(props.rootDir, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? DEFAULTS.memoryMb,
      timeout: props.timeout,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role,
      // Source maps are only applied to stack traces when Node is asked to.
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      ...(props.description === undefined ? {} : { description: props.description.slice(0, 256) }),
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      bundling: BUNDLING,
    });
    const resource = this.function.node.defaultChild as CfnResource;
    resource.addMetadata(METADATA.entry, props.entry);
    resource.addMetadata(METADATA.handler, 'handler');
    if (props.step !== undefined) resource.addMetadata(METADATA.step, props.step);
  }
}
