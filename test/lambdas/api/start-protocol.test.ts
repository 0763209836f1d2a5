import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { StoredResponse } from '../../../lambdas/api/execution-store.ts';
import {
  type StartAction,
  type StartClaim,
  type StartOutcome,
  startExactlyOnce,
} from '../../../lambdas/api/start-protocol.ts';
import { startTable } from './support.ts';

const answer = (correlationId: string, extra = ''): StoredResponse => ({
  statusCode: 202,
  body: JSON.stringify({ correlation_id: correlationId, extra }),
});

const claimOf = (key: string | undefined, correlationId: string, requestHash = 'hash-a'): StartClaim => ({
  idempotencyKey: key,
  correlationId,
  requestHash,
  correlationHashOf: (id) => `${requestHash}|${id}`,
  statusTokenOf: (id, tokenKey) => `token(${tokenKey},${requestHash}|${id})`,
  owner: 'arn:aws:iam::000000000000:user/tester',
  executionArnOf: (id) => `arn:aws:states:us-east-1:000000000000:execution:m:${id}`,
});

/** A start action that records the correlation IDs it was called with. */
function recordingStart(
  respond: (id: string, call: number) => Promise<StoredResponse> = async (id) => answer(id),
) {
  const calls: string[] = [];
  const start: StartAction = (id) => {
    calls.push(id);
    return respond(id, calls.length);
  };
  return { calls, start };
}

describe('the exactly-once start protocol', () => {
  let table: Awaited<ReturnType<typeof startTable>>;
  const options = () => ({ store: table.store, idempotencyTtlSeconds: 3600 });

  before(async () => {
    table = await startTable('protocol');
  });
  after(() => table.close());

  test('a duplicate arriving while the winner runs waits for its answer and starts nothing', async () => {
    let finish: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const winner = recordingStart(async (id) => {
      await gate;
      return answer(id, 'winner');
    });
    const duplicate = recordingStart();
    const first = startExactlyOnce(options(), claimOf('k-wait', 'c-wait-1'), winner.start);
    while (winner.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const second = startExactlyOnce(options(), claimOf('k-wait', 'c-wait-2'), duplicate.start);
    setTimeout(finish, 100);
    const outcomes = await Promise.all([first, second]);
    assert.deepEqual(outcomes[0], { kind: 'answered', response: answer('c-wait-1', 'winner') });
    assert.deepEqual(outcomes[1], outcomes[0]);
    assert.deepEqual(duplicate.calls, []);
  });

  test('the same key with another request hash is key-reused and starts nothing', async () => {
    await startExactlyOnce(options(), claimOf('k-reused', 'c-reused'), recordingStart().start);
    const other = recordingStart();
    const outcome = await startExactlyOnce(options(), claimOf('k-reused', 'c-other', 'hash-b'), other.start);
    assert.deepEqual(outcome, { kind: 'key-reused' });
    assert.deepEqual(other.calls, []);
  });

  test('a start that throws releases the key; the retry takes over under the first correlation ID', async () => {
    const failing = recordingStart(async () => {
      throw new Error('throttled');
    });
    await assert.rejects(
      startExactlyOnce(options(), claimOf('k-release', 'c-release-1'), failing.start),
      /throttled/,
    );
    assert.equal((await table.store.getIdempotencyRecord('k-release'))?.leaseUntil, 0);
    // A long wait would only end early if the lease really was released.
    const retry = recordingStart();
    const outcome = await startExactlyOnce(
      { ...options(), waitForWinnerMs: 60_000, leaseMs: 60_000 },
      claimOf('k-release', 'c-release-2'),
      retry.start,
    );
    assert.deepEqual(retry.calls, ['c-release-1']);
    assert.deepEqual(outcome, { kind: 'answered', response: answer('c-release-1') });
  });

  test('a correlation ID bound to another request is correlation-taken, and the key is not burned', async () => {
    await startExactlyOnce(options(), claimOf(undefined, 'c-taken'), recordingStart().start);
    const second = recordingStart();
    const outcome = await startExactlyOnce(options(), claimOf('k-taken', 'c-taken', 'hash-b'), second.start);
    assert.deepEqual(outcome, { kind: 'correlation-taken', correlationId: 'c-taken' });
    assert.deepEqual(second.calls, []);
    assert.equal(
      await table.store.getIdempotencyRecord('k-taken'),
      undefined,
      'the refused key is forgotten',
    );
    // The corrected retry (another correlation ID, so another request hash) with the same key.
    const corrected = recordingStart();
    const retried = await startExactlyOnce(
      options(),
      claimOf('k-taken', 'c-taken-fixed', 'hash-c'),
      corrected.start,
    );
    assert.deepEqual(retried, { kind: 'answered', response: answer('c-taken-fixed') });
    assert.deepEqual(corrected.calls, ['c-taken-fixed']);
  });

  test('the same request bound again (retry, takeover, echo) gets the first binding and its token key', async () => {
    const bindings: string[] = [];
    const start: StartAction = async (id, binding) => {
      bindings.push(binding.statusTokenKey);
      assert.equal(binding.statusTokenHash.length, 64);
      assert.equal(binding.owner, 'arn:aws:iam::000000000000:user/tester');
      return answer(id);
    };
    await startExactlyOnce(options(), claimOf(undefined, 'c-bound'), start);
    await startExactlyOnce(options(), claimOf(undefined, 'c-bound'), start);
    assert.equal(bindings.length, 2);
    assert.equal(bindings[0], bindings[1]);
    assert.match(bindings[0]!, /^[A-Za-z0-9_-]{43}$/);
  });

  test('without a key the same request starts again under its correlation ID (Step Functions dedupes by name)', async () => {
    const starts = recordingStart();
    await startExactlyOnce(options(), claimOf(undefined, 'c-nokey'), starts.start);
    await startExactlyOnce(options(), claimOf(undefined, 'c-nokey'), starts.start);
    assert.deepEqual(starts.calls, ['c-nokey', 'c-nokey']);
  });

  test('concurrent takers of a dead winner converge on the first stored answer', async () => {
    await table.store.putIdempotencyRecord(
      'k-dead',
      {
        requestHash: 'hash-a',
        correlationId: 'c-dead',
        status: 'IN_PROGRESS',
        leaseUntil: 0,
        response: undefined,
      },
      Math.floor(Date.now() / 1000) + 3600,
    );
    const takers = recordingStart(async (id, call) => {
      // The first taker answers last, so the second taker's answer is stored first.
      await new Promise((resolve) => setTimeout(resolve, call === 1 ? 150 : 0));
      return answer(id, `taker ${call}`);
    });
    const outcomes: StartOutcome[] = await Promise.all([
      startExactlyOnce(options(), claimOf('k-dead', 'c-new-1'), takers.start),
      startExactlyOnce(options(), claimOf('k-dead', 'c-new-2'), takers.start),
    ]);
    assert.deepEqual(takers.calls, ['c-dead', 'c-dead']);
    assert.deepEqual(outcomes[0], { kind: 'answered', response: answer('c-dead', 'taker 2') });
    assert.deepEqual(outcomes[1], outcomes[0]);
    assert.deepEqual(
      (await table.store.getIdempotencyRecord('k-dead'))?.response,
      answer('c-dead', 'taker 2'),
    );
  });
});
