import { parseArgs } from 'node:util';
import { startSimulators } from './index.ts';
import { SERVICE_NAMES, type ServiceName } from './types.ts';

/**
 * `npm run simulators [-- --port-base 4101 --seed 1 --latency-ms 0]`: starts the four downstream
 * services alone, prints their URLs and the control API, and runs until Ctrl-C.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'port-base': { type: 'string', default: '4101' },
      seed: { type: 'string', default: '1' },
      'latency-ms': { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
    },
  });
  const portBase = integer(values['port-base'], '--port-base');
  const ports: Partial<Record<ServiceName, number>> = {};
  if (portBase > 0) {
    for (const [i, service] of SERVICE_NAMES.entries()) ports[service] = portBase + i;
  }
  const sims = await startSimulators({
    host: values.host,
    seed: integer(values.seed, '--seed'),
    latencyMs: integer(values['latency-ms'], '--latency-ms'),
    ports,
  });
  for (const service of SERVICE_NAMES) console.log(`${service.padEnd(13)} ${sims.urls[service]}`);
  const control = sims.urls.user;
  console.log(`\ncontrol API on every port, e.g.:
  curl ${control}/_stats
  curl -X POST ${control}/_faults -d '{"service":"billing","route":"POST /profiles","fault":{"kind":"status","status":503,"times":2}}'
  curl -X DELETE ${control}/_faults
Ctrl-C to stop.`);
  const stop = (): void => {
    sims.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function integer(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`${flag} must be a non-negative integer, got '${value}'`);
    process.exit(1);
  }
  return n;
}

await main();
