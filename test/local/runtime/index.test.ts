import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
} from '@aws-sdk/client-sfn';
import type { LocalRuntime } from '../../../local/runtime/index.ts';
import { simulatorsOf } from '../../../local/simulators/user_registration/index.ts';
import { onSharedLog, sharedRuntime } from '../../e2e/shared-runtime.ts';

describe('startLocalRuntime on the synthesized app', () => {
  let runtime: LocalRuntime;
  const logs: Array<{ functionId: string; line: string }> = [];
  let stopLogs = (): void => {};
  // The process's runtime of config/ (test/e2e/shared-runtime.ts: startLocalRuntime at time
  // scale 50, its onLog handed on to this file while it runs).
  before(async () => {
    stopLogs = onSharedLog((line, functionId) => logs.push({ functionId, line }));
    runtime = await sharedRuntime();
  });
  after(() => stopLogs());

  test('runs the definition taken out of the template', () => {
    assert.equal(runtime.workflows.length, 1);
    const workflow = runtime.workflows[0]!;
    assert.equal(workflow.name, 'user_registration');
    assert.equal(workflow.resourceUrl, `${runtime.apiUrl}/registrations`);
    assert.equal(runtime.environment, 'development');
    assert.deepEqual(
      workflow.steps.map((step) => `${step.step}:${step.service}:${step.via}`),
      [
        'create_user_account:user:mock',
        'setup_billing_profile:billing:mock',
        'initialize_preferences:preferences:mock',
        'send_welcome_sequence:notification:mock',
        'update_user_status:user:mock',
      ],
    );
    assert.match(workflow.stateMachineArn, /^arn:aws:states:us-east-1:000000000000:stateMachine:/);
    assert.equal(workflow.definition.StartAt, 'create_user_account');
    assert.ok(runtime.startupMs > 0);
  });

  test('a registration through the API runs every step against the simulators', async () => {
    const response = await fetch(`${runtime.apiUrl}/registrations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': 'runtime-test-1' },
      body: JSON.stringify({ user_info: { email: 'runtime@example.com', name: 'Run Time', plan: 'pro' } }),
    });
    assert.equal(response.status, 202);
    const { execution_arn: executionArn } = (await response.json()) as { execution_arn: string };
    let status: string | undefined;
    for (let i = 0; i < 300 && status !== 'SUCCEEDED' && status !== 'FAILED'; i++) {
      ({ status } = await runtime.sfnClient.send(new DescribeExecutionCommand({ executionArn })));
      if (status === 'RUNNING') await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const described = await runtime.sfnClient.send(new DescribeExecutionCommand({ executionArn }));
    assert.equal(described.status, 'SUCCEEDED', described.cause);
    const calls = simulatorsOf(runtime).counters.log({ correlationId: 'runtime-test-1' });
    assert.deepEqual(
      [...new Set(calls.map((call) => call.service))].sort(),
      ['billing', 'notification', 'preferences', 'user'],
      'each step reached its simulator through the overridden SERVICE_URL',
    );
    const history = await runtime.sfnClient.send(new GetExecutionHistoryCommand({ executionArn }));
    const entered = (history.events ?? [])
      .filter((event) => event.type === 'TaskStateEntered')
      .map((event) => event.stateEnteredEventDetails?.name);
    assert.deepEqual(entered.sort(), [
      'create_user_account',
      'initialize_preferences',
      'send_welcome_sequence',
      'setup_billing_profile',
      'update_user_status',
    ]);
    const listed = await runtime.sfnClient.send(
      new ListExecutionsCommand({ stateMachineArn: runtime.workflows[0]!.stateMachineArn }),
    );
    assert.ok(listed.executions?.some((execution) => execution.executionArn === executionArn));
  });

  test('hands every function log line to onLog, tagged with the function', async () => {
    for (let i = 0; i < 50 && !logs.some(({ line }) => line.includes('runtime-test-1')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const mine = logs.filter(({ line }) => line.includes('runtime-test-1'));
    // Each step logs from its own function, tagged with that function's id: the step a line
    // names must always come from the same function, and every step must have logged.
    const functionsByStep = new Map<string, Set<string>>();
    for (const { functionId, line } of mine) {
      const step = (JSON.parse(line) as { step?: string }).step;
      if (step === undefined) continue;
      functionsByStep.set(step, (functionsByStep.get(step) ?? new Set()).add(functionId));
    }
    assert.deepEqual([...functionsByStep.keys()].sort(), [
      'create_user_account',
      'initialize_preferences',
      'send_welcome_sequence',
      'setup_billing_profile',
      'update_user_status',
    ]);
    const ids = [...functionsByStep.values()].map((set) => [...set]);
    assert.ok(
      ids.every((set) => set.length === 1),
      JSON.stringify(ids),
    );
    assert.equal(new Set(ids.flat()).size, 5, 'five steps, five functions');
    const start = mine.filter(({ functionId }) => !ids.flat().includes(functionId));
    const others = [...new Set(start.map(({ functionId }) => functionId))];
    assert.equal(others.length, 1, `lines from ${others.join(', ')}`);
    assert.match(others[0] ?? '', /StartExecution/, 'the only other function is the one behind POST');
  });
});
