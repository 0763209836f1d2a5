/**
 * Benchmark 7: memory over a long run. RSS after 1,000 registrations and after 10,000, beside
 * what the local DynamoDB holds by then: dynalite keeps every item the registrations write, in
 * memory, as a DynamoDB table grows, so part of the growth is data, not a leak.
 */
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { simulatorsOf } from '../local/simulators/user_registration/index.ts';
import { runLoad } from './overhead.ts';
import type { Section } from './report.ts';
import type { BenchRuntime } from './runtime-harness.ts';
import { round } from './stats.ts';

/** Options of {@link runMemoryGrowth}. */
export interface MemoryGrowthOptions {
  /** Registrations in all. @default 10_000 */
  readonly total?: number;
  /** Where the first reading is taken. @default 1_000 */
  readonly checkpoint?: number;
  /** @default 10 */
  readonly concurrency?: number;
  readonly log?: (line: string) => void;
}

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * An attribute value's size as DynamoDB counts it: strings and binaries by their bytes, a number
 * about one byte per two significant digits plus one, booleans and nulls one byte, lists and maps
 * three bytes plus one per element plus their elements.
 */
export function attributeValueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + attributeValueBytes(v), 0);
  if (value.M !== undefined) return 3 + Object.keys(value.M).length + itemBytes(value.M);
  return 0;
}

function numberBytes(n: string): number {
  const digits = n
    .replace(/[-.]|e.*$/gi, '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** An item's size as DynamoDB counts it: attribute names' bytes plus their values'. */
export function itemBytes(item: Readonly<Record<string, AttributeValue>>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += utf8(name) + attributeValueBytes(value);
  return bytes;
}

/** Items and their DynamoDB-sized bytes in some tables (a full Scan of each, paged). */
export async function storedData(
  client: DynamoDBClient,
  tables: readonly string[],
): Promise<{ items: number; bytes: number }> {
  let items = 0;
  let bytes = 0;
  for (const table of tables) {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) {
        items++;
        bytes += itemBytes(item);
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }
  return { items, bytes };
}

/**
 * RSS and heap after `checkpoint` registrations and after `total`, each one second after its
 * batch (services at 0 ms), with the items dynalite holds at each reading (counted after it).
 * A runtime that keeps something per registration grows between the two readings.
 */
export async function runMemoryGrowth(bench: BenchRuntime, opts: MemoryGrowthOptions = {}): Promise<Section> {
  const total = opts.total ?? 10_000;
  const checkpoint = Math.min(opts.checkpoint ?? 1_000, total);
  const concurrency = opts.concurrency ?? 10;
  simulatorsOf(bench.rt).latencyMs = 0;
  const tables = [...new Set(bench.rt.workflows.map((w) => w.tableName))];
  const reading = async () => {
    const memory = {
      rss: process.memoryUsage.rss() / 2 ** 20,
      heap: process.memoryUsage().heapUsed / 2 ** 20,
    };
    const data = await storedData(bench.rt.dynamo.client, tables);
    return { ...memory, items: data.items, dataMb: data.bytes / 2 ** 20 };
  };
  opts.log?.(`memory: ${checkpoint} registrations at concurrency ${concurrency}`);
  const first = await runLoad(bench, concurrency, checkpoint);
  const atCheckpoint = await reading();
  let failed = first.failed;
  let done = checkpoint;
  const step = Math.max(1, Math.ceil((total - checkpoint) / 10));
  while (done < total) {
    const batch = Math.min(step, total - done);
    failed += (await runLoad(bench, concurrency, batch)).failed;
    done += batch;
    opts.log?.(
      `memory: ${done}/${total} registrations, RSS ${round(process.memoryUsage.rss() / 2 ** 20, 0)} MB`,
    );
  }
  const atEnd = await reading();
  const rssGrowth = atEnd.rss - atCheckpoint.rss;
  const dataGrowth = atEnd.dataMb - atCheckpoint.dataMb;
  const itemsPerRegistration = (atEnd.items - atCheckpoint.items) / Math.max(1, total - checkpoint);
  return {
    title: '7. Memory over a long run',
    method: [
      `${total} registrations at concurrency ${concurrency}, services at 0 ms, on the runtime of benchmarks 1, 2 and 4; ` +
        `readings one second after the first ${checkpoint} and after all of them.`,
      "Items = what the local DynamoDB (dynalite, in memory) holds in the workflows' tables then, counted by a full " +
        'Scan after each reading; MB = their size as DynamoDB bills it (attribute names and values), a lower bound ' +
        "of what dynalite's in-memory copy costs. A deployed table grows the same way; it is data, not a leak.",
    ],
    tables: [
      {
        header: [
          'after',
          'RSS MB',
          'main heap used MB',
          'DynamoDB items',
          'DynamoDB data MB',
          'failed so far',
        ],
        rows: [
          [
            `${checkpoint} registrations`,
            round(atCheckpoint.rss, 0),
            round(atCheckpoint.heap, 0),
            atCheckpoint.items,
            round(atCheckpoint.dataMb, 1),
            first.failed,
          ],
          [
            `${total} registrations`,
            round(atEnd.rss, 0),
            round(atEnd.heap, 0),
            atEnd.items,
            round(atEnd.dataMb, 1),
            failed,
          ],
        ],
      },
    ],
    targets: [
      {
        name: `RSS after ${total} registrations / after ${checkpoint}`,
        measured: `${round(atEnd.rss / atCheckpoint.rss, 2)} (${round(atEnd.rss, 0)} / ${round(atCheckpoint.rss, 0)} MB)`,
        target: '<= 1.3',
        met: atEnd.rss / atCheckpoint.rss <= 1.3,
      },
    ],
    notes: [
      `RSS after ${total} / after ${checkpoint}: ${round(atEnd.rss / atCheckpoint.rss, 2)} (target <= 1.3). ` +
        `Main heap: ${round(atEnd.heap / atCheckpoint.heap, 2)}.`,
      `Between the readings RSS grew ${round(rssGrowth, 0)} MB while DynamoDB's items grew by ` +
        `${atEnd.items - atCheckpoint.items} (${round(itemsPerRegistration, 1)} per registration), ` +
        `${round(dataGrowth, 1)} MB as DynamoDB sizes them.`,
    ],
  };
}
