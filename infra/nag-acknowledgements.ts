import { Aspects, type IAspect, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag (AwsSolutions) findings accepted on the workflow REST API (and only there), each
 * with the reason it is acceptable.
 */
export const API_ACKNOWLEDGEMENTS = [
  {
    id: 'AwsSolutions-APIG3',
    reason:
      'No WAF web ACL: the API requires SigV4-signed IAM callers and the stage is throttled; a web ACL is an account-level, paid choice and can be associated with the stage after deployment.',
  },
  {
    id: 'AwsSolutions-APIG6',
    reason:
      'Stage execution logging needs the account-wide API Gateway CloudWatch role, an account singleton this stack must not take over; access logs (without bodies) record every request instead.',
  },
  {
    id: 'AwsSolutions-COG4',
    reason:
      'The API uses IAM (SigV4) authorization instead of a Cognito user pool: its callers are back-end services with IAM credentials, not end users.',
  },
] as const;

/** Actions that need `Resource: *` because the service has no resource-level permissions for them. */
const UNSCOPABLE_ACTIONS: Record<string, string> = {
  'xray:PutTraceSegments': 'X-Ray',
  'xray:PutTelemetryRecords': 'X-Ray',
  'xray:GetSamplingRules': 'X-Ray',
  'xray:GetSamplingTargets': 'X-Ray',
  'logs:CreateLogDelivery': 'CloudWatch Logs delivery',
  'logs:GetLogDelivery': 'CloudWatch Logs delivery',
  'logs:UpdateLogDelivery': 'CloudWatch Logs delivery',
  'logs:DeleteLogDelivery': 'CloudWatch Logs delivery',
  'logs:ListLogDeliveries': 'CloudWatch Logs delivery',
  'logs:PutResourcePolicy': 'CloudWatch Logs delivery',
  'logs:DescribeResourcePolicies': 'CloudWatch Logs delivery',
  'logs:DescribeLogGroups': 'CloudWatch Logs delivery',
};

/** Reasons for the wildcard resources this stack grants on purpose, by pattern of the flattened ARN. */
const WILDCARD_RESOURCE_REASONS: ReadonlyArray<{ pattern: RegExp; actions: RegExp; reason: string }> = [
  {
    // CDK's LambdaInvoke grants the function and its qualified ARNs (versions, aliases).
    pattern: /^<[A-Za-z0-9]+\.Arn>:\*$/,
    actions: /^lambda:InvokeFunction$/,
    reason:
      "Versions and aliases (`<arn>:*`) of this stack's own step function only, so a Task may invoke a published version.",
  },
  {
    pattern: /:execution:.*:\*$/,
    actions: /^states:(DescribeExecution|GetExecutionHistory|StopExecution|RedriveExecution)$/,
    reason:
      "Executions of this stack's state machine only: their ARNs end in the execution name (the correlation ID), known only at run time.",
  },
];

/** A policy statement as CloudFormation sees it (after token resolution). */
interface ResolvedStatement {
  Effect?: string;
  Action?: string | string[];
  Resource?: unknown;
}

/**
 * Acknowledges IAM5 (wildcard) findings in `stack`, each with its reason, only where every action
 * behind the wildcard is on the allow-list above. Any other wildcard stays unacknowledged and
 * fails the cdk-nag check, so a new broad grant cannot slip in silently.
 */
export function acknowledgeWildcards(stack: Stack): void {
  // An aspect, because grants keep adding statements until synthesis.
  Aspects.of(stack).add(new WildcardAcknowledger());
}

class WildcardAcknowledger implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof iam.CfnPolicy)) return;
    const document = Stack.of(node).resolve(node.policyDocument) as { Statement?: ResolvedStatement[] };
    const reasons = new Map<string, Set<string>>();
    const refused = new Set<string>();
    for (const statement of document.Statement ?? []) {
      if (statement.Effect !== 'Allow') continue;
      const actions = toArray(statement.Action).map(String);
      for (const resource of toArray(statement.Resource).map(flattenReference)) {
        if (!resource.includes('*')) continue;
        const finding = `AwsSolutions-IAM5[Resource::${resource}]`;
        const reason = reasonFor(resource, actions);
        if (reason === undefined) refused.add(finding);
        else reasons.set(finding, (reasons.get(finding) ?? new Set()).add(reason));
      }
    }
    for (const [id, why] of reasons) {
      if (!refused.has(id)) Validations.of(node).acknowledge({ id, reason: [...why].join(' ') });
    }
  }
}

function reasonFor(resource: string, actions: string[]): string | undefined {
  if (resource === '*') {
    const services = new Set(actions.map((action) => UNSCOPABLE_ACTIONS[action]));
    if (services.has(undefined)) return undefined;
    return `${[...services].join(' and ')} actions (${actions.join(', ')}) support no resource-level permissions, so AWS requires Resource "*".`;
  }
  const known = WILDCARD_RESOURCE_REASONS.find((entry) => entry.pattern.test(resource));
  if (known === undefined || !actions.every((action) => known.actions.test(action))) return undefined;
  return known.reason;
}

/** The same flattening cdk-nag applies to a resource before it builds the finding ID. */
function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    const join = record['Fn::Join'];
    if (Array.isArray(join) && join.length === 2 && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map(flattenReference).join(String(join[0]));
    }
    if ('Fn::Sub' in record) return flattenReference(record['Fn::Sub']);
    const getAtt = record['Fn::GetAtt'];
    if (Array.isArray(getAtt) && getAtt.length === 2) {
      return `<${flattenReference(getAtt[0])}.${flattenReference(getAtt[1])}>`;
    }
    if ('Fn::ImportValue' in record) return flattenReference(record['Fn::ImportValue']);
    if ('Ref' in record) return `<${flattenReference(record.Ref)}>`;
  }
  return JSON.stringify(node);
}

function toArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
