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

/** What the resolver reads of a resource: its type (template.ts has the full shape). */
interface ResourceType {
  readonly Type: string;
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
  const ref = (id: string, where: string): string => {
    if (id in pseudo) return pseudo[id]!;
    const res = resources[id];
    if (!res) fail(stackName, where, `Ref to unknown resource '${id}'`);
    if (res.Type === 'AWS::StepFunctions::StateMachine') return localStateMachineArn(names.get(id)!);
    return names.get(id) ?? id;
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
