import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as z from 'zod/mini';
import { ENV, PERMANENT_ERROR } from '../../../lambdas/contracts.ts';
import { createStepLogger, MAX_LOG_LINE_BYTES } from '../../../lambdas/runtime/logger.ts';
import { maskKey, piiReplacer } from '../../../lambdas/runtime/pii.ts';
import { defineStep } from '../../../lambdas/runtime/step-handler.ts';
import { MAX_LISTED_PROBLEMS } from '../../../lambdas/runtime/validation.ts';
import {
  buildHandler,
  lambdaContext,
  newCorrelationId,
  type RuntimeHarness,
  rejection,
  runtimeEnv,
  startRuntimeHarness,
} from '../step-harness.ts';

let h: RuntimeHarness;

/** The JSON lines `write` logged (each also checked to fit the cap). */
function logged(write: () => void): Array<{ raw: string; line: Record<string, unknown> & LogLine }> {
  const from = h.lines.length;
  write();
  return h.lines.slice(from).map((raw) => ({ raw, line: JSON.parse(raw) }));
}

/** The fields these tests read. */
interface LogLine {
  level: string;
  message: string;
  service: string;
  correlation_id?: string;
  step?: string;
  error_name?: string;
  body?: unknown;
  preview: string;
  log_truncated?: { original_bytes: number; limit_bytes: number; omitted_fields: number };
}

const manyKeys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`field_${i}`, i]));

describe('step logs', () => {
  before(async () => {
    h = await startRuntimeHarness();
  });
  after(() => h.close());

  describe('every line capped', () => {
    test(`a line over ${MAX_LOG_LINE_BYTES} bytes is cut to the cap, keeps its small fields, and says so`, () => {
      const logger = createStepLogger({ service: 'orders' });
      logger.appendPersistentKeys({ correlation_id: 'c-1', step: 'validate_order' });
      const [entry] = logged(() => logger.warn('step failed', { body: manyKeys(20_000), error_name: 'X' }));
      assert.ok(entry);
      assert.ok(Buffer.byteLength(entry.raw) <= MAX_LOG_LINE_BYTES, `${Buffer.byteLength(entry.raw)} bytes`);
      const { line } = entry;
      assert.deepEqual(
        [line.level, line.message, line.service, line.correlation_id, line.step, line.error_name],
        ['WARN', 'step failed', 'orders', 'c-1', 'validate_order', 'X'],
      );
      assert.equal(line.body, undefined);
      const marker = line.log_truncated;
      assert.ok(marker && marker.original_bytes > 300_000, JSON.stringify(marker));
      assert.equal(marker.limit_bytes, MAX_LOG_LINE_BYTES);
      assert.equal(marker.omitted_fields, 1);
      assert.match(line.preview, /^\{"level":"WARN","message":"step failed",/);
      assert.ok(line.preview.length > 4_000, 'the preview keeps a useful start of the line');
    });

    test('a line under the cap is written as it is', () => {
      const logger = createStepLogger({ service: 'orders' });
      const [entry] = logged(() => logger.info('small', { body: manyKeys(10) }));
      assert.equal(entry?.line.log_truncated, undefined);
      assert.deepEqual(entry?.line.body, manyKeys(10));
    });

    test('a line of many-byte characters is capped in bytes, not characters', () => {
      const logger = createStepLogger({ service: 'orders' });
      const [entry] = logged(() => logger.info('wide', { text: '€'.repeat(20_000) }));
      assert.ok(entry);
      assert.ok(Buffer.byteLength(entry.raw) <= MAX_LOG_LINE_BYTES, `${Buffer.byteLength(entry.raw)} bytes`);
      assert.ok(entry.line.log_truncated);
    });

    test('child loggers are capped too', () => {
      const child = createStepLogger({ service: 'orders' }).createChild({ persistentKeys: { step: 's' } });
      const [entry] = logged(() => child.info('big', { body: manyKeys(5_000) }));
      assert.ok(entry);
      assert.ok(Buffer.byteLength(entry.raw) <= MAX_LOG_LINE_BYTES);
      assert.equal(entry.line.step, 's');
      assert.ok(entry.line.log_truncated);
    });
  });

  describe('field names masked like values', () => {
    test('a phone number or an email address used as a key is masked', () => {
      const logger = createStepLogger({ service: 'orders' });
      const [entry] = logged(() =>
        logger.info('hostile body', {
          body: { '+1 555 010 4477': true, 'jane.doe@example.com': 'x', nested: { '(555) 010-4477': 1 } },
        }),
      );
      assert.ok(entry);
      for (const secret of ['555 010 4477', 'jane.doe@example.com', '010-4477']) {
        assert.ok(!entry.raw.includes(secret), `${secret} leaked: ${entry.raw}`);
      }
      assert.deepEqual(entry.line.body, { '***77': true, 'j***@***': 'x', nested: { '***77': 1 } });
    });

    test('masked keys that collide keep every value; ordinary keys, ids and prototype names are left alone', () => {
      assert.equal(maskKey('order_id'), 'order_id');
      assert.equal(maskKey('123456'), '123456', 'six digits is no phone number');
      const logger = createStepLogger({ service: 'orders' });
      const body = JSON.parse('{"+1 555 010 4477":1,"+44 20 7946 0977":2,"__proto__":3,"constructor":4}');
      const [entry] = logged(() => logger.info('collisions', { body }));
      // Powertools' attribute merge drops `__proto__` and `constructor` itself (its pollution guard).
      assert.deepEqual(entry?.line.body, { '***77': 1, '***77#2': 2 });
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      // The masker's own copy keeps them as plain fields.
      assert.equal(
        JSON.stringify(body, piiReplacer),
        '{"***77":1,"***77#2":2,"__proto__":3,"constructor":4}',
      );
    });
  });

  describe('one logger per configuration', () => {
    test("an invocation's keys (correlation ID, attempt, compensation, Lambda context) never reach the next one's lines", async () => {
      const step = defineStep({
        step: 'validate_order',
        inputSchema: z.object({ correlation_id: z.string() }),
        run: async (_input, ctx) => {
          ctx.logger.info('validating');
          return {};
        },
      });
      const handler = buildHandler(h, step, {
        ...runtimeEnv(h, 'validate_order'),
        [ENV.serviceName]: 'orders',
        [ENV.serviceUrl]: 'http://127.0.0.1:9',
      });
      const invoke = async (event: Record<string, unknown>) => {
        const context = lambdaContext('validate_order');
        const from = h.lines.length;
        const failure = await handler(event, context).then(
          () => undefined,
          (error: Error) => error,
        );
        const lines = h.lines.slice(from).map((raw) => JSON.parse(raw) as Record<string, unknown>);
        return {
          lines: lines.filter((line) => line._aws === undefined),
          failure,
          requestId: context.awsRequestId,
        };
      };
      const undo = { workflow: 'orders', step: 'validate_order:undo', attempt: 2 };
      const first = await invoke({ ...undo, state: { correlation_id: 'corr-first' } });
      // Refused by the payload check, before this invocation's own keys are known.
      const second = await invoke({ ...undo, step: 'validate_order', state: {} });
      const third = await invoke({
        workflow: 'orders',
        step: 'validate_order',
        state: { correlation_id: 'corr-third' },
      });

      assert.equal(first.failure, undefined);
      assert.equal(second.failure?.name, PERMANENT_ERROR);
      assert.equal(third.failure, undefined);
      /** Each line's message and the keys of one invocation. */
      const keys = (run: typeof first) =>
        run.lines.map((line) => [
          line.message,
          line.correlation_id,
          line.attempt,
          line.compensation,
          line.function_request_id,
        ]);
      const ran = ['step started', 'validating', 'step completed'];
      assert.deepEqual(
        keys(first),
        ran.map((message) => [message, 'corr-first', 2, true, first.requestId]),
      );
      assert.deepEqual(keys(second), [['step failed', undefined, undefined, undefined, second.requestId]]);
      assert.deepEqual(
        keys(third),
        ran.map((message) => [message, 'corr-third', 0, undefined, third.requestId]),
      );
      for (const line of [...first.lines, ...second.lines, ...third.lines]) {
        assert.deepEqual(
          [line.workflow, line.step, line.service],
          ['user_registration', 'validate_order', 'orders'],
        );
      }
    });
  });

  describe('errors: a bounded list of problems', () => {
    test(`an input with thousands of invalid items names the first ${MAX_LISTED_PROBLEMS} and counts the rest`, async () => {
      const step = defineStep({
        step: 'import_items',
        inputSchema: z.object({ correlation_id: z.string(), items: z.array(z.number()) }),
        run: async () => ({}),
      });
      const handler = buildHandler(h, step, {
        ...runtimeEnv(h, 'import_items'),
        [ENV.serviceName]: 'items',
        [ENV.serviceUrl]: 'http://127.0.0.1:9',
      });
      const state = { correlation_id: newCorrelationId(), items: Array(5_000).fill('not a number') };
      const from = h.lines.length;
      const error = await rejection(
        handler({ workflow: 'w', step: 'import_items', attempt: 0, state }, lambdaContext('import_items')),
      );
      assert.equal(error.name, PERMANENT_ERROR);
      assert.equal(error.message.split('; ').length, MAX_LISTED_PROBLEMS + 1);
      assert.match(error.message, /^INVALID_INPUT: state\.items\.0: /);
      assert.match(error.message, /; and 4980 more problems$/);
      for (const raw of h.lines.slice(from)) assert.ok(Buffer.byteLength(raw) <= MAX_LOG_LINE_BYTES);
    });
  });
});
