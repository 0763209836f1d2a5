/**
 * Resolves the CloudFormation intrinsic functions CDK emits in the values the offline runtime
 * reads (definition, environment, integration URIs) to local names and ARNs.
 */
import {
  LOCAL_ACCOUNT,
  LOCAL_PARTITION,
  LOCAL_REGION,
  localFunctionArn,
  localStateMachineArn,
} from './local-arns.ts';

/** What the resolver reads of a resource: its type and properties (template.ts has the full shape). */
interface ResourceType {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** `...:function:Name` or `...:stateMachine:Name`, with an optional `:qualifier`, split up. */
const QUALIFIABLE_ARN =
  /^(arn:[^:]+:(?:lambda|states):[^:]*:[^:]*:(?:function|stateMachine):[^:]+)(?::([^:]+))?$/;

/** The unqualified ARN and the qualifier (version or alias) of a function or state machine ARN. */
export function splitQualifiedArn(
  arn: string,
): { readonly base: string; readonly qualifier?: string } | undefined {
  const match = QUALIFIABLE_ARN.exec(arn);
  if (!match?.[1]) return undefined;
  return match[2] === undefined ? { base: match[1] } : { base: match[1], qualifier: match[2] };
}

/** Throws a template error naming the stack and the place. */
export function fail(stackName: string, where: string, problem: string): never {
  throw new Error(`template ${stackName}: ${where}: ${problem}`);
}

/** A resolved template value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Resolves one template value; `where` names its place for error messages. */
export type Resolver = (value: unknown, where: string) => Json;

/**
 * Resolves the intrinsic functions CDK emits (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select,
 * Fn::Split) to local values. Anything else fails naming where it appeared, so a new kind of
 * token cannot slip into the definition unresolved.
 */
export function makeResolver(
  stackName: string,
  resources: Readonly<Record<string, ResourceType>>,
  names: Map<string, string>,
): Resolver {
  const pseudo: Record<string, string> = {
    'AWS::Partition': LOCAL_PARTITION,
    'AWS::Region': LOCAL_REGION,
    'AWS::AccountId': LOCAL_ACCOUNT,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': stackName,
    'AWS::NoValue': '',
  };
  /** Where a version or alias points (its function, state machine or version), as written. */
  const targetOf = (res: ResourceType): unknown => {
    const props = res.Properties ?? {};
    if (res.Type.startsWith('AWS::Lambda::')) return props.FunctionName;
    if (res.Type === 'AWS::StepFunctions::StateMachineVersion') return props.StateMachineArn;
    const routing = (
      props.RoutingConfiguration as Array<{ StateMachineVersionArn?: unknown }> | undefined
    )?.[0];
    const preference = props.DeploymentPreference as { StateMachineVersionArn?: unknown } | undefined;
    return preference?.StateMachineVersionArn ?? routing?.StateMachineVersionArn;
  };
  /** Published versions are numbered per target in template order (1, 2, ...), as publishing would. */
  const versionNumber = (id: string, res: ResourceType): number => {
    const target = JSON.stringify(targetOf(res));
    const siblings = Object.entries(resources).filter(
      ([, other]) => other.Type === res.Type && JSON.stringify(targetOf(other)) === target,
    );
    return 1 + siblings.findIndex(([otherId]) => otherId === id);
  };
  /** The qualified ARN AWS returns for the Ref of a version (`...:Name:1`) or alias (`...:Name:live`). */
  const qualifiedArn = (id: string, res: ResourceType, where: string): string => {
    const resolved = String(resolve(targetOf(res), `${where} (${id} target)`));
    const isFunction = res.Type.startsWith('AWS::Lambda::');
    const arn = isFunction && !resolved.startsWith('arn:') ? localFunctionArn(resolved) : resolved;
    const split = splitQualifiedArn(arn);
    if (!split) return fail(stackName, where, `${id} (${res.Type}) does not point at a local ARN: ${arn}`);
    const alias = res.Type === 'AWS::Lambda::Alias' || res.Type === 'AWS::StepFunctions::StateMachineAlias';
    return `${split.base}:${alias ? String(res.Properties?.Name) : versionNumber(id, res)}`;
  };
  const QUALIFIED = new Set([
    'AWS::Lambda::Version',
    'AWS::Lambda::Alias',
    'AWS::StepFunctions::StateMachineVersion',
    'AWS::StepFunctions::StateMachineAlias',
  ]);
  const ref = (id: string, where: string): string => {
    if (id in pseudo) return pseudo[id]!;
    const res = resources[id];
    if (!res) fail(stackName, where, `Ref to unknown resource '${id}'`);
    if (res.Type === 'AWS::StepFunctions::StateMachine') return localStateMachineArn(names.get(id)!);
    if (QUALIFIED.has(res.Type)) return qualifiedArn(id, res, where);
    const name = names.get(id) ?? id;
    if (res.Type === 'AWS::SNS::Topic')
      return `arn:${LOCAL_PARTITION}:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;
    if (res.Type === 'AWS::SQS::Queue')
      return `https://sqs.${LOCAL_REGION}.amazonaws.com/${LOCAL_ACCOUNT}/${name}`;
    return name;
  };
  const getAtt = (id: string, attr: string, where: string): string => {
    const res = resources[id];
    if (!res) fail(stackName, where, `Fn::GetAtt of unknown resource '${id}'`);
    const name = names.get(id) ?? id;
    const arns: Record<string, string> = {
      'AWS::Lambda::Function': localFunctionArn(name),
      'AWS::DynamoDB::Table': `arn:${LOCAL_PARTITION}:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}`,
      'AWS::StepFunctions::StateMachine': localStateMachineArn(name),
    };
    if (attr === 'Arn' && arns[res.Type]) return arns[res.Type]!;
    if (QUALIFIED.has(res.Type)) {
      const qualified = qualifiedArn(id, res, where);
      if (attr === 'Version') return qualified.slice(qualified.lastIndexOf(':') + 1);
      if (attr === 'Arn' || attr === 'FunctionArn') return qualified;
    }
    if (attr === 'StateMachineRevisionId') return `${name}-revision`;
    if (res.Type === 'AWS::SNS::Topic' && (attr === 'TopicArn' || attr === 'TopicName')) {
      return attr === 'TopicName' ? name : ref(id, where);
    }
    if (res.Type === 'AWS::SQS::Queue') {
      if (attr === 'Arn') return `arn:${LOCAL_PARTITION}:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;
      if (attr === 'QueueName') return name;
      if (attr === 'QueueUrl') return ref(id, where);
    }
    if (attr === 'Name' || attr === 'StateMachineName') return name;
    if (attr === 'RootResourceId') return `${id}-root`;
    if (attr === 'Arn') return `arn:${LOCAL_PARTITION}:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${id}`;
    return fail(stackName, where, `Fn::GetAtt ${id}.${attr} has no local value`);
  };
  const resolve: Resolver = (value, where) => {
    if (value === null || typeof value !== 'object') return (value ?? null) as Json;
    if (Array.isArray(value)) return value.map((item, i) => resolve(item, `${where}[${i}]`));
    const entries = Object.entries(value);
    const [key, arg] = entries[0] ?? [];
    if (entries.length === 1 && key !== undefined && (key === 'Ref' || key.startsWith('Fn::'))) {
      if (key === 'Ref') return ref(String(arg), where);
      if (key === 'Fn::GetAtt') {
        const [id, attr] = Array.isArray(arg) ? arg : String(arg).split('.');
        return getAtt(String(id), String(attr), where);
      }
      if (key === 'Fn::Join' && Array.isArray(arg)) {
        const parts = resolve(arg[1], where);
        return (Array.isArray(parts) ? parts : [parts]).map(String).join(String(arg[0]));
      }
      if (key === 'Fn::Select' && Array.isArray(arg)) {
        const list = resolve(arg[1], where);
        return Array.isArray(list) ? (list[Number(arg[0])] ?? null) : null;
      }
      if (key === 'Fn::Split' && Array.isArray(arg))
        return String(resolve(arg[1], where)).split(String(arg[0]));
      if (key === 'Fn::Sub') {
        const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
        const bound = (vars ?? {}) as Record<string, unknown>;
        return String(text).replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
          if (name in bound) return String(resolve(bound[name], where));
          const [id, attr] = name.split('.');
          return attr ? getAtt(id!, attr, where) : ref(name, where);
        });
      }
      return fail(stackName, where, `intrinsic ${key} is not supported by the offline runtime`);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v, `${where}.${k}`)]));
  };
  return resolve;
}
