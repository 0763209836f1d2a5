import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { BodyValidator } from '../../../lambdas/api/body-validator.ts';
import { compileBodyValidator } from '../../../lambdas/api/schema-validator.ts';
import { generateValidatorModule } from '../../../lambdas/api/standalone-validator.ts';
import { loadValidatorModule } from '../../../lambdas/api/standalone-validator-loader.ts';
import { bodyValidatorFor } from '../../../lambdas/api/start-execution.ts';
import { API_ENV, ENV } from '../../../lambdas/contracts.ts';
import { schemaCases } from '../../reliability/hostile-body-cases.ts';
import { machineArn, startLocalSfn } from './local-sfn.ts';
import { registrationSchema, startTable, validBody } from './support.ts';

const run = promisify(execFile);

/** A schema with what the registration one lacks: function formats, unicode lengths, nesting. */
const formatsSchema = {
  type: 'object',
  required: ['order_id'],
  additionalProperties: false,
  properties: {
    order_id: { type: 'string', minLength: 2, maxLength: 4 },
    ship_on: { type: 'string', format: 'date' },
    site: { type: 'string', format: 'uri' },
    at: { type: 'string', format: 'date-time' },
    lines: {
      type: 'array',
      maxItems: 2,
      items: {
        type: 'object',
        required: ['sku'],
        properties: { sku: { type: 'string' }, qty: { type: 'integer', default: 1 } },
      },
    },
    options: { type: 'object', properties: { gift: { type: 'boolean', default: false } } },
  },
};

describe('ajv standalone: the validator generated at synth answers exactly like the compiled one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stepflow-validator-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const moduleFor = async (name: string, schema: Record<string, unknown>): Promise<BodyValidator> => {
    const path = join(dir, `${name}.mjs`);
    writeFileSync(path, generateValidatorModule(schema, { absoluteImports: true }));
    return loadValidatorModule(path, schema);
  };

  /** Runs both validators on copies of each body: the same problems and the same defaults applied. */
  const assertSame = (compiled: BodyValidator, standalone: BodyValidator, bodies: readonly unknown[]) => {
    let invalid = 0;
    for (const body of bodies) {
      const a = structuredClone(body);
      const b = structuredClone(body);
      const expected = compiled(a);
      if (expected.length > 0) invalid++;
      assert.deepEqual(standalone(b), expected, JSON.stringify(body).slice(0, 200));
      assert.deepEqual(b, a, 'the same defaults and normalization');
    }
    return invalid;
  };

  test('the registration schema: the hostile schema corpus and valid bodies give identical problems and inputs', async () => {
    const schema = registrationSchema();
    const standalone = await moduleFor('registration', schema);
    const bodies: unknown[] = schemaCases().flatMap((c) => {
      try {
        return [JSON.parse(String(c.body))];
      } catch {
        return [];
      }
    });
    bodies.push(
      validBody(),
      validBody({ preferences: {} }),
      validBody({ user_info: { email: 'a@b.co', name: 'x'.repeat(201) } }),
    );
    bodies.push([], null, 'text', 7, { user_info: { email: 'ада@пример.рф', name: '😀'.repeat(200) } });
    const invalid = assertSame(compileBodyValidator(schema), standalone, bodies);
    assert.ok(bodies.length > 30 && invalid > 25, `${bodies.length} bodies, ${invalid} invalid`);
  });

  test('function formats, unicode lengths, arrays and nested defaults are the same too', async () => {
    const standalone = await moduleFor('formats', formatsSchema);
    const bodies = [
      { order_id: 'ab', ship_on: '2026-12-02', site: 'https://example.com/x', at: '2026-12-02T07:00:00Z' },
      { order_id: '😀😀😀', ship_on: '2026-02-30', site: 'not a uri', at: 'yesterday' },
      { order_id: 'a', lines: [{ sku: 'x' }, {}, { sku: 1 }], options: {} },
      { order_id: 'abcde', lines: [{ sku: 'x' }], options: { gift: 'yes' }, extra: true },
      {},
    ];
    const invalid = assertSame(compileBodyValidator(formatsSchema), standalone, bodies);
    assert.equal(invalid, 4);
  });

  test('without absoluteImports the module imports ajv helpers by bare specifier, for a bundler', () => {
    const code = generateValidatorModule(formatsSchema);
    const imports = code.split('\n').filter((line) => line.startsWith('import '));
    assert.ok(imports.length >= 2, code.slice(0, 400));
    for (const line of imports)
      assert.match(line, /^import runtime\d+ from "(ajv|ajv-formats)\/dist\/[\w/]+\.js";$/);
    assert.doesNotMatch(code, /require\(/);
    assert.match(code, /^export const validate = /m);
  });

  test('the start function uses the module WORKFLOW_VALIDATOR_MODULE names, else compiles the schema', async () => {
    const path = join(dir, 'orders.mjs');
    writeFileSync(path, generateValidatorModule(formatsSchema, { absoluteImports: true }));
    // The module decides (it wants order_id), not the schema the config also carries.
    const fromModule = await bodyValidatorFor({ schema: registrationSchema(), validatorModule: path });
    assert.deepEqual(fromModule({ order_id: 'ab' }), []);
    const compiled = await bodyValidatorFor({ schema: registrationSchema(), validatorModule: undefined });
    assert.deepEqual(
      compiled({ order_id: 'ab' }).map((p) => p.field),
      ['/user_info', '/order_id'],
    );
    writeFileSync(join(dir, 'empty.mjs'), 'export const nothing = 1;\n');
    await assert.rejects(
      bodyValidatorFor({ schema: {}, validatorModule: join(dir, 'empty.mjs') }),
      /^Error: WORKFLOW_VALIDATOR_MODULE '.*empty\.mjs' exports no validate function$/,
    );
  });

  test('the Lambda entry point, configured from its environment, validates with the module and starts', async () => {
    const table = await startTable('entry');
    const local = await startLocalSfn([
      {
        name: 'entry',
        definition: { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } },
        invoke: async () => ({}),
      },
    ]);
    try {
      const path = join(dir, 'entry.mjs');
      writeFileSync(path, generateValidatorModule(formatsSchema, { absoluteImports: true }));
      const script = `
        const { handler } = await import(${JSON.stringify(new URL('../../../lambdas/api/start-execution.ts', import.meta.url).href)});
        const event = (body) => ({ resource: '/orders', path: '/orders', httpMethod: 'POST', headers: { 'Content-Type': 'application/json', 'X-Correlation-ID': 'entry-1' },
          multiValueHeaders: {}, queryStringParameters: null, multiValueQueryStringParameters: null, pathParameters: null, stageVariables: null,
          body: JSON.stringify(body), isBase64Encoded: false, requestContext: { domainName: 'api.test', path: '/orders', identity: {} } });
        const refused = await handler(event({ order_id: 'a' }));
        const accepted = await handler(event({ order_id: 'ab' }));
        console.log(JSON.stringify([refused.statusCode, JSON.parse(refused.body).errors, accepted.statusCode]));`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          PATH: process.env.PATH,
          [ENV.tableName]: 'entry',
          [ENV.stateMachineArn]: machineArn('entry'),
          [ENV.apiResource]: 'orders',
          // The registration schema: the module, generated from the orders schema, must be what decides.
          [ENV.workflowSchema]: JSON.stringify(registrationSchema()),
          [API_ENV.validatorModule]: path,
          [ENV.powertoolsLogLevel]: 'ERROR',
          AWS_ENDPOINT_URL_DYNAMODB: table.dynamo.endpoint,
          AWS_ENDPOINT_URL_SFN: local.endpoint.url,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
        },
      });
      assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1) ?? ''), [
        400,
        [{ field: '/order_id', problem: 'must NOT have fewer than 2 characters' }],
        202,
      ]);
      assert.equal(local.endpoint.executions().filter((e) => e.name === 'entry-1').length, 1);
    } finally {
      await local.close();
      await table.close();
    }
  });
});
