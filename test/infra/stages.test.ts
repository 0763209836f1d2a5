/**
 * The compiler's stages run once per workflow (issue 15): counted on their diagnostics channel
 * through a whole synth of several workflows and through `npm run asl`'s code path, and the two
 * paths measure the same definition size.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { aslOf } from '../../infra/asl-command.ts';
import { buildApp, REPO_ROOT } from '../../infra/build-app.ts';
import { STAGE_CHANNEL, STAGES, type StageEvent } from '../../infra/workflow/index.ts';
import { FAST, stubProject } from './stack-fixture.ts';

/** Every stage event published while `fn` runs. */
function stagesDuring(fn: () => void): StageEvent[] {
  const events: StageEvent[] = [];
  const listener = (event: unknown): void => {
    events.push(event as StageEvent);
  };
  subscribe(STAGE_CHANNEL, listener);
  try {
    fn();
  } finally {
    unsubscribe(STAGE_CHANNEL, listener);
  }
  return events;
}

function countByStage(events: readonly StageEvent[]): Record<string, number> {
  return Object.fromEntries(STAGES.map((stage) => [stage, events.filter((e) => e.stage === stage).length]));
}

const VALID = join(REPO_ROOT, 'test/fixtures/workflows/valid');
const project = stubProject({
  'user_registration.yaml': readFileSync(join(REPO_ROOT, 'config/user_registration.yaml'), 'utf8'),
  'orders.yaml': readFileSync(join(VALID, 'http-environments.yaml'), 'utf8'),
  'tasker.yaml': readFileSync(join(VALID, 'tasker-order-processing.yaml'), 'utf8'),
});
after(() => rmSync(project.rootDir, { recursive: true, force: true }));
// A mock file beside the workflows is not a workflow: it must not be parsed at all.
copyFileSync(join(VALID, 'tasker-integration-example.yaml'), join(project.configDir, 'orders.mocks.yaml'));

describe('compiler stages', () => {
  test('a synth of three workflows runs each stage once per workflow (planWorkflow 3 times)', () => {
    const events = stagesDuring(() => {
      const { app } = buildApp({ ...FAST, rootDir: project.rootDir, configDir: project.configDir });
      app.synth();
    });
    assert.deepEqual(countByStage(events), { parse: 3, spec: 3, plan: 3, checks: 3, compile: 3 });
    const files = (stage: string): string[] =>
      events
        .filter((e) => e.stage === stage)
        .map((e) => String(e.file).replace(`${project.configDir}/`, ''))
        .sort();
    for (const stage of ['parse', 'spec', 'checks', 'compile']) {
      assert.deepEqual(files(stage), ['orders.yaml', 'tasker.yaml', 'user_registration.yaml'], stage);
    }
  });

  test('npm run asl (aslOf) runs each stage once', () => {
    const events = stagesDuring(() => aslOf('config/user_registration.yaml'));
    assert.deepEqual(countByStage(events), { parse: 1, spec: 1, plan: 1, checks: 1, compile: 1 });
  });

  test('asl and synth measure the same definition size', () => {
    const { workflows } = buildApp({ ...FAST, rootDir: project.rootDir, configDir: project.configDir });
    for (const workflow of workflows) {
      const asl = aslOf(workflow.file, { rootDir: project.rootDir });
      assert.equal(asl.bytes, workflow.stack.definitionBytes, workflow.name);
      assert.ok(asl.bytes > 1000, `${workflow.name}: ${asl.bytes} bytes`);
    }
  });
});
