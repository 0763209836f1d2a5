import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { allStates, definitionOf, resourcesOf, userRegistrationStack } from './stack-fixture.ts';

const { stack, template } = userRegistrationStack();

const STEPS = {
  create_user_account: {
    entry: 'lambdas/steps/user_registration/create-user-account.ts',
    retries: 3,
    service: 'user',
  },
  setup_billing_profile: {
    entry: 'lambdas/steps/user_registration/setup-billing-profile.ts',
    retries: 3,
    service: 'billing',
  },
  initialize_preferences: {
    entry: 'lambdas/steps/user_registration/initialize-preferences.ts',
    retries: 3,
    service: 'preferences',
  },
  send_welcome_sequence: {
    entry: 'lambdas/steps/user_registration/send-welcome-sequence.ts',
    retries: 5,
    service: 'notification',
  },
  update_user_status: {
    entry: 'lambdas/steps/user_registration/update-user-status.ts',
    retries: 2,
    service: 'user',
  },
} as const;

describe('the table', () => {
  test('has pk/sk string keys, on-demand billing, TTL on expires_at, PITR and AWS-managed KMS encryption', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      // SSEEnabled without SSEType = the AWS-managed KMS key (aws/dynamodb).
      SSESpecification: { SSEEnabled: true },
    });
  });

  test('is retained when it leaves the stack', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('the step functions', () => {
  for (const [step, expected] of Object.entries(STEPS)) {
    test(`${step}: Node 24 on ARM, 30 s, X-Ray, its entry metadata and the contract environment`, () => {
      template.hasResource('AWS::Lambda::Function', {
        Metadata: { 'Stepflow:Entry': expected.entry, 'Stepflow:Handler': 'handler', 'Stepflow:Step': step },
        Properties: Match.objectLike({
          Runtime: 'nodejs24.x',
          Handler: 'index.handler',
          Architectures: ['arm64'],
          MemorySize: 256,
          Timeout: 30,
          TracingConfig: { Mode: 'Active' },
          Environment: {
            Variables: Match.objectLike({
              TABLE_NAME: { Ref: stack.getLogicalId(stack.table.node.defaultChild as never) },
              WORKFLOW_NAME: 'user_registration',
              STEP_NAME: step,
              SERVICE_NAME: expected.service,
              SERVICE_URL: Match.stringLikeRegexp('^https://'),
              REQUEST_TIMEOUT_MS: '10000',
              RETRY_LIMIT: String(expected.retries),
              HONOR_RETRY_AFTER: step === 'send_welcome_sequence' ? 'true' : 'false',
              MAX_RETRY_AFTER_SECONDS: '60',
              HANDLER_CONFIG: Match.serializedJson(Match.objectLike({ service: expected.service })),
              CUSTOM_EVENTS: Match.serializedJson([
                'service_call_started',
                'service_call_completed',
                'service_call_failed',
              ]),
              IDEMPOTENCY_TTL_SECONDS: '86400',
              POWERTOOLS_SERVICE_NAME: 'user_registration',
              POWERTOOLS_METRICS_NAMESPACE: 'user_management',
              POWERTOOLS_LOG_LEVEL: 'INFO',
            }),
          },
        }),
      });
    });
  }

  test('every function logs to its own log group with a retention', () => {
    const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function'));
    const operations = 1;
    // Undo and operator functions too, once the flagship declares compensations.
    const extra = stack.functions.all.size - 5;
    assert.equal(
      functions.length,
      7 + operations + extra,
      'five steps plus the start, status (and operations, undo) functions',
    );
    const groups = resourcesOf(template, 'AWS::Logs::LogGroup');
    for (const fn of functions) {
      const ref = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      assert.equal(groups[ref]?.Properties.RetentionInDays, 30);
    }
  });
});

describe('the state machine', () => {
  test('is a Standard machine with ALL-level logging without execution data, X-Ray and workflow metadata', () => {
    template.hasResource('AWS::StepFunctions::StateMachine', {
      Metadata: { 'Stepflow:Workflow': 'user_registration' },
      Properties: Match.objectLike({
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: false,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: Match.anyValue() } }],
        },
      }),
    });
  });

  const definition = definitionOf(template);
  const states = allStates(definition);

  test('has the workflow timeout and one Task per step, named after the step', () => {
    assert.equal(definition.TimeoutSeconds, 900);
    for (const step of Object.keys(STEPS)) {
      assert.equal(states.get(step)?.Type, 'Task', `state ${step}`);
    }
  });

  test('runs billing and preferences as branches of one Parallel state', () => {
    const parallels = [...states.values()].filter((state) => state.Type === 'Parallel');
    const holder = parallels.find((parallel) => {
      const starts = (parallel.Branches ?? []).map((branch) => Object.keys(branch.States));
      return (
        starts.some((names) => names.includes('setup_billing_profile')) &&
        starts.some((names) => names.includes('initialize_preferences'))
      );
    });
    assert.ok(holder, 'a Parallel state with billing and preferences in separate branches');
  });

  test('retries RetryableError with the YAML limit and never retries PermanentError', () => {
    for (const [step, expected] of Object.entries(STEPS)) {
      const retry = states.get(step)?.Retry ?? [];
      const retryable = retry.find((retrier) => retrier.ErrorEquals.includes('RetryableError'));
      // MaxAttempts 3 is ASL's default, left out of the definition.
      assert.equal(retryable?.MaxAttempts ?? 3, expected.retries, `${step} RetryableError MaxAttempts`);
      assert.ok(
        retry.every((retrier) => !retrier.ErrorEquals.includes('PermanentError')),
        `${step} must not retry PermanentError`,
      );
    }
  });

  test("gives send_welcome_sequence Retry-After retriers and invokes its function's published version", () => {
    const welcome = states.get('send_welcome_sequence');
    assert.ok(welcome?.Retry?.some((retrier) => retrier.ErrorEquals.includes('RetryAfter.2s')));
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const welcomeId = Object.keys(functions).find(
      (id) => functions[id]?.Metadata?.['Stepflow:Step'] === 'send_welcome_sequence',
    );
    const versions = resourcesOf(template, 'AWS::Lambda::Version');
    const versionId = Object.keys(versions).find(
      (id) => JSON.stringify(versions[id]?.Properties.FunctionName) === JSON.stringify({ Ref: welcomeId }),
    );
    assert.ok(versionId, 'the welcome function publishes a version');
    assert.equal(welcome?.Resource, `<{Ref:${versionId}}>`);
  });
});

describe('the outputs', () => {
  test('name the state machine, table, console URL, API URL and the executions endpoint at api.resource', () => {
    template.hasOutput('StateMachineArn', { Value: { Ref: Match.stringLikeRegexp('^StateMachine') } });
    template.hasOutput('TableName', { Value: { Ref: Match.stringLikeRegexp('^Table') } });
    const restApi = Object.keys(resourcesOf(template, 'AWS::ApiGateway::RestApi'))[0]!;
    const stage = Object.keys(resourcesOf(template, 'AWS::ApiGateway::Stage'))[0]!;
    const urlParts = (output: string): unknown[] => {
      const [found] = Object.values(template.findOutputs(output));
      assert.ok(found, output);
      return (found.Value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    };
    const apiUrl = urlParts('ApiUrl');
    assert.deepEqual(
      [apiUrl[0], apiUrl[1], apiUrl.at(-2), apiUrl.at(-1)],
      ['https://', { Ref: restApi }, { Ref: stage }, '/'],
    );
    // The workflow's api.resource (registrations), under the same API and stage.
    const endpoint = urlParts('ExecutionsEndpoint');
    assert.deepEqual(
      [endpoint[1], endpoint.at(-2), endpoint.at(-1)],
      [{ Ref: restApi }, { Ref: stage }, '/registrations'],
    );
    const console = JSON.stringify(template.findOutputs('StateMachineConsoleUrl'));
    assert.match(console, /console\.aws\.amazon\.com\/states\/home\?region=/);
    assert.match(console, /#\/statemachines\/view\//);
  });

  test('the stack is named after the workflow', () => {
    assert.equal(stack.stackName, 'UserRegistrationWorkflow');
  });
});
