/**
 * Prototype-named things beyond the request corpus (issue 13 §5): workflows whose step names,
 * service names, request header/query/body keys and mock routes equal `Object.prototype`
 * members. Each either compiles and runs offline like any other name, or is refused with a
 * `file:line` diagnostic; nothing crashes. The ones that run answer hostile requests with 4xx
 * (0 answers in the 5xx range, 0 executions started by them), and a valid request with
 * prototype-named headers and query parameters SUCCEEDED through both steps.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { aslOf } from '../../infra/asl-command.ts';
import { formatDiagnostic, WorkflowError } from '../../infra/workflow/index.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime/index.ts';
import { PROTOTYPE_NAMES } from './hostile-proto-cases.ts';
import { sendRaw } from './raw-http.ts';
import { countExecutions, waitForTerminal } from './support.ts';

const FILE_LINE = /^\S+\.ya?ml:\d+: \S/;

/**
 * What `npm run asl -- <file>` makes of one file, called in-process (the command's own function,
 * `aslOf`, without a Node start-up and a compiler load per file; test/infra/workflow/hostile-yaml
 * and test/e2e/cli run the command itself on hostile and broken files): compiled, refused with
 * `file:line` diagnostics only (what the command prints before exiting 1), or anything else, which
 * the command would print as a bare `error:` line or a crash.
 */
function aslVerdict(file: string): string {
  try {
    aslOf(file);
    return 'compiled';
  } catch (error) {
    const lines = error instanceof WorkflowError ? error.diagnostics.map(formatDiagnostic) : [];
    if (lines.length > 0 && lines.every((line) => FILE_LINE.test(line)))
      return `diagnosed: ${lines[0]!.replace(/^\S+: /, '')}`;
    return `CRASHED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`.slice(
      0,
      300,
    );
  }
}

/** A workflow of two HTTP steps named, keyed and serviced by `name`, and its mock file. */
function protoWorkflow(dir: string, index: number, name: string): { workflow: string; file: string } {
  const workflow = `proto_${index}`;
  const file = join(dir, `${workflow}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${workflow}`,
      'api:',
      `  resource: ${workflow}`,
      'schema:',
      '  type: object',
      '  additionalProperties: false',
      '  properties:',
      '    correlation_id: { type: string }',
      '    note: { type: string, maxLength: 20 }',
      'step_templates:',
      `  - name: ${name}`,
      '    default_retry_limit: 1',
      '    handler_config:',
      `      service: ${name}`,
      '      url: https://proto.example.com',
      '      request:',
      '        method: POST',
      `        path: /${name}`,
      `        headers: { ${name}: "h" }`,
      `        query: { ${name}: "q" }`,
      `        body: { ${name}: "b" }`,
      '  - name: after_it',
      `    depends_on_step: ${name}`,
      '    default_retry_limit: 1',
      '    handler_config:',
      `      service: ${name}`,
      '      url: https://proto.example.com',
      '      request:',
      '        method: POST',
      '        path: /after',
      '        body:',
      `          seen.$: $.steps.${name}.body`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, `${workflow}.mocks.yaml`),
    [
      'services:',
      `  ${name}:`,
      '    routes:',
      `      POST /${name}:`,
      `        required: [body.${name}]`,
      '        status: 201',
      '        body:',
      `          ${name}: "{{body.${name}}}"`,
      `          header: "{{headers.${name.toLowerCase()}}}"`,
      `          query: "{{query.${name}}}"`,
      '      POST /after:',
      '        required: [body.seen]',
      '        status: 201',
      '        body: { seen: "{{body.seen}}" }',
      '',
    ].join('\n'),
  );
  return { workflow, file };
}

describe('workflows with prototype-named steps, services, keys and mock routes', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'stepflow-proto-names-'));
  const all = PROTOTYPE_NAMES.map((name, index) => ({ name, ...protoWorkflow(scratch, index, name) }));
  const verdicts = new Map<string, string>();
  let runtime: LocalRuntime | undefined;
  let runnable: typeof all = [];

  before(async () => {
    // `npm run asl` on each file alone: compiled, or refused with file:line diagnostics.
    for (const entry of all) verdicts.set(entry.name, aslVerdict(entry.file));
    runnable = all.filter((entry) => verdicts.get(entry.name) === 'compiled');
    const configDir = join(scratch, 'config');
    mkdirSync(configDir);
    for (const entry of runnable) protoWorkflow(configDir, all.indexOf(entry), entry.name);
    // Not prewarmed: of the compiled workflows' functions, only the ones a request reaches load
    // (the proof is about names, not cold starts; prewarming all of them cost ~10 s of CPU).
    if (runnable.length > 0) runtime = await startLocalRuntime({ configDir, timeScale: 50, prewarm: false });
  });
  after(async () => {
    await runtime?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('each compiles or is refused with a file:line diagnostic, never a crash', () => {
    const crashed = [...verdicts].filter(([, verdict]) => verdict.startsWith('CRASHED'));
    assert.deepEqual(crashed, []);
    assert.equal(verdicts.size, PROTOTYPE_NAMES.length);
  });

  test('the ones that compile run offline: hostile requests 4xx with no execution, a valid one SUCCEEDED', async () => {
    const statuses = new Map<number, number>();
    const wrong: string[] = [];
    let executions = 0;
    for (const { name, workflow } of runnable) {
      const local = runtime!.workflow(workflow);
      const path = `/${workflow}`;
      const hostile = [
        { status: 400, body: '{"note":1}', path: `${path}?${name}=1`, headers: [[name, 'x']] as const },
        { status: 400, body: `{"${name}":"x"}`, path, headers: [] },
        {
          status: 404,
          method: 'GET',
          body: '',
          path: `${path}/${name === '__proto__' ? 'proto' : name}`,
          headers: [],
        },
      ];
      for (const request of hostile) {
        const answer = await sendRaw(runtime!.apiUrl, {
          ...request,
          headers: [['Content-Type', 'application/json'], ...request.headers],
        });
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status !== request.status)
          wrong.push(
            `${workflow} (${name}) ${request.path}: ${answer.status}${answer.timedOut ? ' (timed out)' : ''} ${answer.body.slice(0, 200)}`,
          );
      }
      const before = await countExecutions(runtime!.sfnClient, local.stateMachineArn);
      if (before !== 0) wrong.push(`${workflow} (${name}): ${before} executions from hostile requests`);
      const valid = await sendRaw(runtime!.apiUrl, {
        path: `${path}?${encodeURIComponent(name)}=1`,
        headers: [
          ['Content-Type', 'application/json'],
          [name, 'x'],
        ],
        body: '{"note":"ok"}',
      });
      statuses.set(valid.status, (statuses.get(valid.status) ?? 0) + 1);
      if (valid.status !== 202) {
        wrong.push(`${workflow} (${name}) valid: ${valid.status} ${valid.body.slice(0, 200)}`);
        continue;
      }
      executions += 1;
      const { execution_arn: arn } = JSON.parse(valid.body) as { execution_arn: string };
      const end = await waitForTerminal(runtime!.sfnClient, arn, Date.now() + 60_000, 50);
      const record = runtime!.getExecution(arn);
      const seen = (JSON.parse(record?.output ?? '{}') as { steps?: Record<string, { body?: unknown }> })
        .steps?.after_it?.body;
      const expected = { seen: { [name]: 'b', header: 'h', query: 'q' } };
      if (end !== 'SUCCEEDED') wrong.push(`${workflow} (${name}): ${end} ${record?.error} ${record?.cause}`);
      else if (JSON.stringify(seen) !== JSON.stringify(expected))
        wrong.push(`${workflow} (${name}): the second step saw ${JSON.stringify(seen)}`);
    }
    const fiveXx = [...statuses].filter(([status]) => status >= 500).reduce((sum, [, n]) => sum + n, 0);
    console.log(
      `PROOF hostile-names: ${PROTOTYPE_NAMES.length} prototype names as step/service/header/query/body/mock names: ` +
        `${runnable.length} compiled and ran (${executions} valid executions), ` +
        `${[...verdicts.values()].filter((v) => v.startsWith('diagnosed')).length} refused with file:line, ` +
        `${[...verdicts.values()].filter((v) => v.startsWith('CRASHED')).length} crashed; 5xx=${fiveXx}; ` +
        [...verdicts].map(([name, verdict]) => `${name}=${verdict}`).join(', '),
    );
    assert.deepEqual(wrong, []);
    assert.equal(fiveXx, 0);
  });
});
