/**
 * Turns a synthesized CloudFormation template into the local model the offline runtime runs:
 * the state machine definitions (taken out of `DefinitionString`, tokens resolved to local ARNs),
 * the Lambda functions (entry module, handler, environment, timeout) and the API routes.
 * Nothing here is hand-written: it is the artifact `cdk deploy` would ship.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { METADATA } from '../../lambdas/contracts.ts';
import { fail, makeResolver, type Resolver, splitQualifiedArn } from './intrinsics.ts';
import { localFunctionArn, localStateMachineArn } from './local-arns.ts';

export * from './local-arns.ts';

/** The parts of a CloudFormation resource this module reads. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** A CloudFormation template as `app.synth()` or `cdk.out` gives it. */
export interface CfnTemplate {
  readonly Resources?: Record<string, TemplateResource>;
}

/** A Lambda function the local adapter can run. */
export interface LocalFunction {
  /** Logical id in the template; also the local function name. */
  readonly logicalId: string;
  readonly functionName: string;
  readonly arn: string;
  /** Absolute path of the module to load (source `.ts` or bundled `.mjs`/`.js`). */
  readonly modulePath: string;
  /** Export name of the handler. */
  readonly handler: string;
  /** `Environment.Variables` with tokens resolved to local values. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** `Stepflow:Step` metadata: set on step functions only. */
  readonly step?: string;
  /** Set when running a bundled asset: the asset directory in cdk.out. */
  readonly assetDir?: string;
}

/** A state machine with its definition taken out of the template. */
export interface LocalStateMachine {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** `Stepflow:Workflow` metadata, else the state machine name. */
  readonly workflow: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  /** The parsed ASL definition with every token resolved. */
  readonly definition: Record<string, unknown>;
  /**
   * The definition text as deployed (DefinitionString with its tokens resolved), byte for byte;
   * DescribeStateMachine returns it. @default JSON.stringify(definition)
   */
  readonly definitionString?: string;
  /**
   * ARNs of its published versions (`...:stateMachine:M:1`) and aliases (`...:stateMachine:M:live`)
   * in the template: StartExecution on any of them starts this machine. @default none
   */
  readonly qualifiedArns?: readonly string[];
}

/** An API Gateway method backed by a Lambda proxy integration. */
export interface LocalRoute {
  readonly method: string;
  /** Path template as API Gateway shows it: `/orders/{correlation_id}`. */
  readonly path: string;
  readonly functionId: string;
}

/** Everything the offline runtime needs from one stack template. */
export interface LocalModel {
  readonly stackName: string;
  readonly functions: readonly LocalFunction[];
  readonly stateMachines: readonly LocalStateMachine[];
  readonly routes: readonly LocalRoute[];
  /** Logical ids of DynamoDB tables → local table names. */
  readonly tables: Readonly<Record<string, string>>;
}

/** Options for {@link readTemplate}. */
export interface ReadTemplateOptions {
  /** Repository root that `Stepflow:Entry` paths are relative to. */
  readonly rootDir: string;
  /**
   * Run the bundled assets: the module is `<assetDir>/index.{mjs,js}` from the function's
   * `aws:asset:path` metadata (relative to `cdkOutDir`) and its `Handler` property.
   * @default undefined (run `Stepflow:Entry` from source)
   */
  readonly cdkOutDir?: string;
  /**
   * Prefix for local function and state machine names, so logical ids that repeat across stacks
   * stay distinct. @default '' (names are the logical ids)
   */
  readonly namePrefix?: string;
}

/**
 * Reads a synthesized stack template into the local model.
 *
 * @example
 * const model = readTemplate('OrdersWorkflow', template, { rootDir: process.cwd() });
 */
export function readTemplate(
  stackName: string,
  template: CfnTemplate,
  opts: ReadTemplateOptions,
): LocalModel {
  const resources = template.Resources ?? {};
  const names = new Map<string, string>();
  const prefix = opts.namePrefix ?? '';
  for (const [id, res] of Object.entries(resources)) {
    const props = res.Properties ?? {};
    // CloudFormation generates names when none is set; locally the logical id stands in.
    if (res.Type === 'AWS::Lambda::Function') names.set(id, stringProp(props.FunctionName) ?? prefix + id);
    if (res.Type === 'AWS::DynamoDB::Table')
      names.set(id, stringProp(props.TableName) ?? `${stackName}-${id}`);
    if (res.Type === 'AWS::StepFunctions::StateMachine') {
      names.set(id, stringProp(props.StateMachineName) ?? prefix + id);
    }
  }
  const resolve = makeResolver(stackName, resources, names);

  const tables: Record<string, string> = {};
  const functions: LocalFunction[] = [];
  const stateMachines: LocalStateMachine[] = [];
  for (const [id, res] of Object.entries(resources)) {
    const props = res.Properties ?? {};
    if (res.Type === 'AWS::DynamoDB::Table') tables[id] = names.get(id)!;
    if (res.Type === 'AWS::Lambda::Function') {
      const fn = readFunction(stackName, id, res, names.get(id)!, resolve, opts);
      if (fn) functions.push(fn);
    }
    if (res.Type === 'AWS::StepFunctions::StateMachine') {
      const raw = resolve(props.DefinitionString ?? props.Definition, `${id}.DefinitionString`);
      const definition = typeof raw === 'string' ? parseJson(stackName, id, raw) : raw;
      if (!definition || typeof definition !== 'object' || Array.isArray(definition)) {
        fail(stackName, id, 'state machine has no DefinitionString');
      }
      const name = names.get(id)!;
      const workflow = stringProp(res.Metadata?.[METADATA.workflow]) ?? name;
      const type = props.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD';
      stateMachines.push({
        logicalId: id,
        name,
        arn: localStateMachineArn(name),
        workflow,
        type,
        definition,
        ...(typeof raw === 'string' ? { definitionString: raw } : {}),
      });
    }
  }
  return {
    stackName,
    functions,
    stateMachines: withQualifiedArns(stateMachines, resources, resolve),
    routes: readRoutes(stackName, resources, resolve),
    tables,
  };
}

const MACHINE_QUALIFIERS = new Set([
  'AWS::StepFunctions::StateMachineVersion',
  'AWS::StepFunctions::StateMachineAlias',
]);

/** Gives each machine the ARNs of its versions and aliases (the Ref of each such resource). */
function withQualifiedArns(
  machines: readonly LocalStateMachine[],
  resources: Record<string, TemplateResource>,
  resolve: Resolver,
): LocalStateMachine[] {
  const byMachine = new Map<string, string[]>();
  for (const [id, res] of Object.entries(resources)) {
    if (!MACHINE_QUALIFIERS.has(res.Type)) continue;
    const arn = String(resolve({ Ref: id }, id));
    const base = splitQualifiedArn(arn)?.base ?? arn;
    byMachine.set(base, [...(byMachine.get(base) ?? []), arn]);
  }
  return machines.map((machine) => {
    const qualifiedArns = byMachine.get(machine.arn);
    return qualifiedArns ? { ...machine, qualifiedArns } : machine;
  });
}

function stringProp(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function parseJson(stackName: string, id: string, text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    return fail(stackName, `${id}.DefinitionString`, `not JSON after resolving tokens (${String(error)})`);
  }
}

function readFunction(
  stackName: string,
  id: string,
  res: TemplateResource,
  functionName: string,
  resolve: Resolver,
  opts: ReadTemplateOptions,
): LocalFunction | undefined {
  const props = res.Properties ?? {};
  const entry = stringProp(res.Metadata?.[METADATA.entry]);
  // CDK's own helper functions (log retention, custom resources) carry no Stepflow metadata.
  if (!entry) return undefined;
  let modulePath: string;
  let assetDir: string | undefined;
  let handler = stringProp(res.Metadata?.[METADATA.handler]) ?? 'handler';
  if (opts.cdkOutDir) {
    const assetPath = stringProp(res.Metadata?.['aws:asset:path']);
    if (!assetPath)
      fail(stackName, id, "bundled mode needs Metadata 'aws:asset:path' (synthesize with bundling)");
    const handlerProp = stringProp(props.Handler) ?? 'index.handler';
    const dot = handlerProp.lastIndexOf('.');
    assetDir = isAbsolute(assetPath) ? assetPath : join(opts.cdkOutDir, assetPath);
    const base = join(assetDir, handlerProp.slice(0, dot));
    // NodejsFunction emits index.mjs for ESM output and index.js for CommonJS.
    const found = ['.mjs', '.js', '.cjs'].map((ext) => base + ext).find((file) => existsSync(file));
    if (!found) fail(stackName, id, `no bundled handler module at ${base}.{mjs,js,cjs}`);
    modulePath = found;
    handler = handlerProp.slice(dot + 1);
  } else {
    modulePath = isAbsolute(entry) ? entry : join(opts.rootDir, entry);
  }
  const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {}) as Record<string, unknown>;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(variables)) {
    const resolved = resolve(value, `${id}.Environment.Variables.${key}`);
    env[key] = typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
  }
  const step = stringProp(res.Metadata?.[METADATA.step]);
  return {
    logicalId: id,
    functionName,
    arn: localFunctionArn(functionName),
    modulePath,
    handler,
    env,
    timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : 3,
    memoryMb: typeof props.MemorySize === 'number' ? props.MemorySize : 128,
    ...(step === undefined ? {} : { step }),
    ...(assetDir === undefined ? {} : { assetDir }),
  };
}

function readRoutes(
  stackName: string,
  resources: Record<string, TemplateResource>,
  resolve: Resolver,
): LocalRoute[] {
  const pathOf = (ref: unknown): string => {
    // The root resource is `Fn::GetAtt [<RestApi>, RootResourceId]`.
    if (ref && typeof ref === 'object' && 'Fn::GetAtt' in ref) return '';
    const id = (ref as { Ref?: unknown } | undefined)?.Ref;
    const res = typeof id === 'string' ? resources[id] : undefined;
    if (res?.Type !== 'AWS::ApiGateway::Resource') fail(stackName, String(id), 'unknown API resource');
    return `${pathOf(res.Properties?.ParentId)}/${String(res.Properties?.PathPart)}`;
  };
  const routes: LocalRoute[] = [];
  for (const [id, res] of Object.entries(resources)) {
    if (res.Type !== 'AWS::ApiGateway::Method') continue;
    const integration = res.Properties?.Integration as { Type?: string; Uri?: unknown } | undefined;
    if (integration?.Type !== 'AWS_PROXY') continue;
    const uri = resolve(integration.Uri, `${id}.Integration.Uri`);
    const match = typeof uri === 'string' ? /:function:([^/:]+)(?::[^/]+)?\/invocations$/.exec(uri) : null;
    if (!match?.[1]) fail(stackName, id, `integration URI is not a Lambda function: ${String(uri)}`);
    const path = pathOf(res.Properties?.ResourceId) || '/';
    routes.push({ method: String(res.Properties?.HttpMethod), path, functionId: match[1] });
  }
  return routes;
}
