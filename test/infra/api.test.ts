import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { ACCESS_LOG_FIELDS } from '../../infra/api.ts';
import { parseWorkflowGraph, WORKFLOW_GRAPH_ENV } from '../../lambdas/graph/index.ts';
import { resourcesOf, userRegistrationStack } from './stack-fixture.ts';

const { template } = userRegistrationStack();
const methods = resourcesOf(template, 'AWS::ApiGateway::Method');
const apiResources = resourcesOf(template, 'AWS::ApiGateway::Resource');
/** The start (POST /registrations) or status (GET .../{correlation_id}) method. */
const methodFor = (
  verb: 'POST' | 'GET',
  pathPart = verb === 'POST' ? 'registrations' : '{correlation_id}',
) => {
  const found = Object.values(methods).find(
    (method) =>
      method.Properties.HttpMethod === verb &&
      apiResources[(method.Properties.ResourceId as { Ref: string }).Ref]?.Properties.PathPart === pathPart,
  );
  assert.ok(found, `${verb} ${pathPart} method`);
  return found;
};

/** The parts of a JSON Schema the assertions read. */
interface SchemaNode {
  $schema?: string;
  required?: string[];
  additionalProperties?: unknown;
  properties?: Record<string, SchemaNode>;
  pattern?: string;
  format?: string;
  maxLength?: number;
}

/** The logical ID of the Lambda function whose Stepflow:Entry is `entry`. */
function functionId(entry: string): string {
  const functions = resourcesOf(template, 'AWS::Lambda::Function');
  const id = Object.keys(functions).find((key) => functions[key]?.Metadata?.['Stepflow:Entry'] === entry);
  assert.ok(id, entry);
  return id;
}

describe('the registration API', () => {
  test('POST /registrations and GET /registrations/{correlation_id} are Lambda proxy integrations', () => {
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'registrations' });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{correlation_id}' });
    // Plus the list route and the four operator POST routes (operations.test.ts).
    assert.equal(Object.keys(methods).length, 2 + 5, 'no other method (no OPTIONS, no ANY)');
    const post = JSON.stringify(methodFor('POST', 'registrations').Properties.Integration);
    const get = JSON.stringify(methodFor('GET', '{correlation_id}').Properties.Integration);
    assert.match(post, /"Type":"AWS_PROXY"/);
    assert.ok(post.includes(functionId('lambdas/api/start-execution.ts')));
    assert.ok(get.includes(functionId('lambdas/api/get-execution.ts')));
  });

  test('both methods require IAM authorization by default', () => {
    for (const method of Object.values(methods)) assert.equal(method.Properties.AuthorizationType, 'AWS_IAM');
  });

  test('apiAuthorization=NONE in the context opens the API (for throwaway test deployments)', () => {
    const open = userRegistrationStack({ context: { apiAuthorization: 'NONE' } }).template;
    for (const method of Object.values(resourcesOf(open, 'AWS::ApiGateway::Method'))) {
      assert.equal(method.Properties.AuthorizationType, 'NONE');
    }
  });

  test('POST validates the body against a model generated from the workflow schema', () => {
    const validators = resourcesOf(template, 'AWS::ApiGateway::RequestValidator');
    const [validatorId, validator] = Object.entries(validators)[0]!;
    assert.equal(validator.Properties.ValidateRequestBody, true);
    assert.equal(validator.Properties.ValidateRequestParameters, true);
    const post = methodFor('POST').Properties;
    assert.deepEqual(post.RequestValidatorId, { Ref: validatorId });
    const modelRef = (post.RequestModels as Record<string, { Ref: string }>)['application/json']!.Ref;
    const model = resourcesOf(template, 'AWS::ApiGateway::Model')[modelRef]!.Properties;
    assert.equal(model.ContentType, 'application/json');
    const schema = model.Schema as SchemaNode;
    assert.equal(schema.$schema, 'http://json-schema.org/draft-04/schema#');
    assert.deepEqual(schema.required, ['user_info']);
    assert.equal(schema.additionalProperties, false);
    const userInfo = schema.properties?.user_info;
    assert.deepEqual(userInfo?.required, ['email', 'name']);
    assert.deepEqual(userInfo?.properties?.plan, { type: 'string', enum: ['free', 'pro', 'enterprise'] });
    assert.equal(userInfo?.properties?.email?.format, undefined, 'format is dropped (draft 4 model)');
    assert.equal(userInfo?.properties?.email?.maxLength, 254);
    assert.equal(schema.properties?.correlation_id?.pattern, '^[A-Za-z0-9_.:-]{1,128}$');
  });

  test('GET requires the correlation_id path parameter and POST declares its optional headers', () => {
    assert.deepEqual(methodFor('GET').Properties.RequestParameters, {
      'method.request.path.correlation_id': true,
    });
    assert.deepEqual(methodFor('POST').Properties.RequestParameters, {
      'method.request.header.Idempotency-Key': false,
      'method.request.header.X-Correlation-ID': false,
    });
  });

  test('a rejected body answers 400 with the validator’s list of failing fields', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_BODY',
      StatusCode: '400',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('validationErrorString') },
    });
  });

  test('the stage is throttled, traced and writes access logs', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
          DataTraceEnabled: false,
        }),
      ]),
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
    });
  });

  test('throttling follows the apiThrottleRate/apiThrottleBurst context', () => {
    const tuned = userRegistrationStack({
      context: { apiThrottleRate: '5', apiThrottleBurst: '10' },
    }).template;
    tuned.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 }),
      ]),
    });
  });

  test('access logs carry request metadata but no body, header or validation text', () => {
    const stage = Object.values(resourcesOf(template, 'AWS::ApiGateway::Stage'))[0]!;
    const format = (stage.Properties.AccessLogSetting as { Format: string }).Format;
    assert.deepEqual(JSON.parse(format), ACCESS_LOG_FIELDS);
    for (const forbidden of ['requestBody', 'responseBody', 'body', 'header', 'validationErrorString']) {
      assert.ok(!format.toLowerCase().includes(forbidden.toLowerCase()), `access log has ${forbidden}`);
    }
    for (const field of [
      '$context.requestId',
      '$context.status',
      '$context.httpMethod',
      '$context.resourcePath',
    ]) {
      assert.ok(format.includes(field), field);
    }
  });

  test('the API functions get the table, state machine (the start function: its alias live), workflow name and schema', () => {
    const machineId = Object.keys(resourcesOf(template, 'AWS::StepFunctions::StateMachine'))[0]!;
    const aliasId = Object.keys(resourcesOf(template, 'AWS::StepFunctions::StateMachineAlias'))[0]!;
    for (const [entry, machine] of [
      ['lambdas/api/start-execution.ts', aliasId],
      ['lambdas/api/get-execution.ts', machineId],
    ] as const) {
      template.hasResource('AWS::Lambda::Function', {
        Metadata: { 'Stepflow:Entry': entry, 'Stepflow:Handler': 'handler' },
        Properties: Match.objectLike({
          Runtime: 'nodejs24.x',
          Environment: {
            Variables: Match.objectLike({
              TABLE_NAME: { Ref: Match.stringLikeRegexp('^Table') },
              STATE_MACHINE_ARN: { Ref: machine },
              WORKFLOW_NAME: 'user_registration',
              WORKFLOW_SCHEMA: Match.serializedJson(Match.objectLike({ required: ['user_info'] })),
              IDEMPOTENCY_TTL_SECONDS: '86400',
            }),
          },
        }),
      });
    }
  });

  test('the status function lists the workflow steps in order, so unreached steps show as pending', () => {
    template.hasResource('AWS::Lambda::Function', {
      Metadata: { 'Stepflow:Entry': 'lambdas/api/get-execution.ts' },
      Properties: Match.objectLike({
        Environment: {
          Variables: Match.objectLike({
            WORKFLOW_STEPS: JSON.stringify([
              'create_user_account',
              'setup_billing_profile',
              'initialize_preferences',
              'send_welcome_sequence',
              'update_user_status',
            ]),
          }),
        },
      }),
    });
  });

  test('the status function carries the true dependency graph for ?format=mermaid', () => {
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const status = Object.values(functions).find(
      (fn) => fn.Metadata?.['Stepflow:Entry'] === 'lambdas/api/get-execution.ts',
    );
    const raw = (status?.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables?.[WORKFLOW_GRAPH_ENV];
    assert.equal(typeof raw, 'string');
    const graph = parseWorkflowGraph(raw as string);
    const deps = Object.fromEntries(graph.steps.map((step) => [step.name, step.dependsOn]));
    assert.deepEqual(deps, {
      create_user_account: [],
      setup_billing_profile: ['create_user_account'],
      initialize_preferences: ['create_user_account'],
      send_welcome_sequence: ['setup_billing_profile', 'initialize_preferences'],
      update_user_status: ['send_welcome_sequence'],
    });
  });
});
