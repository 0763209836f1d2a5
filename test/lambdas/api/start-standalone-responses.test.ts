/**
 * Issue 14 §5: the start function validates with the ajv standalone code generated at synth
 * (`writeStartEntry`), and answers exactly what the ajv-compiled validator answered. Both
 * handlers get every body of a corpus (the workflow's examples, each field removed, retyped or
 * joined by an unknown one, nested too, plus hostile bodies) and must give the same status and
 * body, and start the same execution inputs, each on its own dynalite and Step Functions endpoint.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { REPO_ROOT } from '../../../infra/build-app.ts';
import { parseWorkflow } from '../../../infra/workflow/parse.ts';
import type { BodyValidator } from '../../../lambdas/api/body-validator.ts';
import { compileBodyValidator } from '../../../lambdas/api/schema-validator.ts';
import { writeStartEntry } from '../../../lambdas/api/standalone-validator.ts';
import { loadValidatorModule } from '../../../lambdas/api/standalone-validator-loader.ts';
import { createStartExecutionHandler } from '../../../lambdas/api/start-execution.ts';
import { schemaCases } from '../../reliability/hostile-body-cases.ts';
import { machineArn, startLocalSfn } from './local-sfn.ts';
import { postEvent, startTable } from './support.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { type?: string; properties?: Record<string, Schema>; required?: string[]; items?: Schema };

/** A value of the wrong JSON type for `schema`. */
function wrongType(schema: Schema): Json {
  switch (schema.type) {
    case 'string':
      return 42;
    case 'integer':
    case 'number':
      return 'seven';
    case 'array':
      return { not: 'an array' };
    case 'boolean':
      return 'yes';
    default:
      return 'not an object';
  }
}

/** The example itself, then each property (at any depth) removed, retyped, emptied, or joined by an unknown one. */
function mutations(example: Json, schema: Schema): Json[] {
  if (example === null || typeof example !== 'object' || Array.isArray(example)) return [];
  const out: Json[] = [{ ...example, unknown_field: true }, {}];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const without = { ...example };
    delete without[key];
    out.push(without, { ...example, [key]: wrongType(child) }, { ...example, [key]: {} });
    const value = example[key];
    if (value === undefined) continue;
    for (const nested of mutations(value, child)) out.push({ ...example, [key]: nested });
    if (Array.isArray(value) && value[0] !== undefined && child.items) {
      out.push({ ...example, [key]: [] }, { ...example, [key]: [value[0], 'stray'] });
      for (const item of mutations(value[0], child.items)) out.push({ ...example, [key]: [item] });
    }
  }
  return out;
}

/** One handler per validator, each on its own table and its own Step Functions endpoint. */
async function answersOf(
  workflow: string,
  resource: string,
  validate: BodyValidator,
  bodies: readonly string[],
): Promise<{ responses: Array<Pick<APIGatewayProxyResult, 'statusCode' | 'body'>>; inputs: string[] }> {
  const table = await startTable(workflow);
  const local = await startLocalSfn([
    {
      name: workflow,
      definition: { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } },
      invoke: async () => ({}),
    },
  ]);
  try {
    const handle: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> =
      createStartExecutionHandler({
        store: table.store,
        sfn: local.sfn,
        stateMachineArn: machineArn(workflow),
        resource,
        validate,
        idempotencyTtlSeconds: 3600,
      });
    const responses = [];
    for (const [index, body] of bodies.entries()) {
      const result = await handle(
        postEvent(body, { 'Content-Type': 'application/json', 'X-Correlation-ID': `case-${index}` }),
      );
      responses.push({ statusCode: result.statusCode, body: result.body });
    }
    const inputs = local.endpoint.executions().map((execution) => `${execution.name} ${execution.input}`);
    return { responses, inputs };
  } finally {
    await local.close();
    await table.close();
  }
}

/** Each workflow's good bodies are its schema's `examples`, else the ones given here. */
const WORKFLOWS: ReadonlyArray<{ file: string; hostile: boolean; examples?: Json[] }> = [
  { file: 'config/user_registration.yaml', hostile: true },
  { file: 'test/fixtures/workflows/e2e/order_fulfillment/order_fulfillment.yaml', hostile: false },
  {
    file: 'test/fixtures/workflows/valid/tasker-order-processing.yaml',
    hostile: false,
    examples: [
      {
        cart_items: [{ product_id: 7, quantity: 2, price: 9.5 }],
        payment_info: { method: 'paypal', amount: 19, currency: 'EUR' },
        customer_info: { email: 'ada@example.com', name: 'Ada' },
      },
    ],
  },
];

/** The status token is keyed by a random secret per correlation record: equal only in shape. */
function comparable(result: Pick<APIGatewayProxyResult, 'statusCode' | 'body'>) {
  return { ...result, body: result.body.replace(/([?&]token=)[A-Za-z0-9_-]{43}\b/, '$1<token>') };
}

describe('the generated validator answers every request exactly as the ajv-compiled one', () => {
  for (const { file, hostile, examples: given } of WORKFLOWS) {
    test(`${file}: same status and body for every good and bad request, same execution inputs`, async (t) => {
      const spec = parseWorkflow(readFileSync(join(REPO_ROOT, file), 'utf8'), file);
      const schema = spec.schema as Record<string, unknown>;
      const examples = given ?? (schema.examples as Json[] | undefined) ?? [];
      const bodies = [
        ...examples,
        ...examples.flatMap((example) => mutations(example, schema as Schema)),
      ].map((body) => JSON.stringify(body));
      bodies.push('[]', 'null', '"text"', '7', '{"a":');
      if (hostile) bodies.push(...schemaCases().map((c) => String(c.body)));

      const { validatorModule } = writeStartEntry(REPO_ROOT, schema);
      const generated = await answersOf(
        spec.name,
        spec.api.resource,
        await loadValidatorModule(validatorModule, schema),
        bodies,
      );
      const compiled = await answersOf(spec.name, spec.api.resource, compileBodyValidator(schema), bodies);

      for (const [index, expected] of compiled.responses.entries()) {
        const actual = generated.responses[index];
        assert.ok(actual, `no answer to case ${index}`);
        assert.deepEqual(comparable(actual), comparable(expected), bodies[index]?.slice(0, 300));
      }
      assert.deepEqual(generated.inputs, compiled.inputs);
      // The corpus exercises both answers: accepted examples and many refused bodies.
      const statuses = compiled.responses.map((r) => r.statusCode);
      const refused = statuses.filter((status) => status === 400).length;
      assert.ok(examples.length > 0, `${file} has examples`);
      assert.equal(compiled.inputs.length, statuses.filter((status) => status === 202).length);
      assert.ok(compiled.inputs.length >= examples.length, `${compiled.inputs.length} accepted`);
      assert.ok(refused >= 10, `${refused} of ${bodies.length} refused`);
      t.diagnostic(`${bodies.length} requests: ${compiled.inputs.length} accepted, ${refused} refused`);
    });
  }
});
