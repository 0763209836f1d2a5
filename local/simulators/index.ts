import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { controlHandler } from './control.ts';
import { createCounters, type SimulatorCounters } from './counters.ts';
import { createFaultController, type FaultController } from './faults.ts';
import { mulberry32 } from './prng.ts';
import { serviceListener } from './server.ts';
import { createServiceState, type ServiceState } from './state.ts';
import { SERVICE_NAMES, type ServiceName } from './types.ts';

export type { RequestFilter, SimulatorCounters, SimulatorStats } from './counters.ts';
export type { FaultController } from './faults.ts';
export type * from './types.ts';
export { SERVICE_NAMES, SERVICE_ROUTES } from './types.ts';

/** Options for {@link startSimulators}. */
export interface SimulatorOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Seed of the PRNG behind probabilistic faults, so a chaos run replays. @default 1 */
  readonly seed?: number;
  /** Latency added to every service call (benchmarks use 100). @default 0 */
  readonly latencyMs?: number;
  /** Fixed ports per service. @default 0 (a free port each) */
  readonly ports?: Partial<Record<ServiceName, number>>;
}

/** The four running services. */
export interface Simulators {
  /** Base URL per service, e.g. `{ user: 'http://127.0.0.1:41234', ... }`. */
  readonly urls: Readonly<Record<ServiceName, string>>;
  readonly faults: FaultController;
  readonly counters: SimulatorCounters;
  /** The seed the PRNG started from. */
  readonly seed: number;
  /** Current base latency; settable at run time (also `PUT /_latency`). */
  latencyMs: number;
  /** Forgets all state, counters and faults, and restarts the PRNG from the seed. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts the user, billing, preferences and notification services, one node:http server each on
 * loopback, sharing one in-memory state, fault table and PRNG.
 *
 * @example
 * const sims = await startSimulators({ seed: 7 });
 * sims.faults.set('billing', 'POST /profiles', { kind: 'status', status: 503, times: 1 });
 * // ... SERVICE_URL=sims.urls.billing
 * assert.deepEqual(sims.counters.duplicates(), []);
 * await sims.close();
 */
export async function startSimulators(opts: SimulatorOptions = {}): Promise<Simulators> {
  const host = opts.host ?? '127.0.0.1';
  const seed = opts.seed ?? 1;
  let random = mulberry32(seed);
  let state: ServiceState = createServiceState();
  const faults = createFaultController(() => random());
  const counters = createCounters(() => state);
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;
  const sleep = (ms: number): Promise<void> => {
    if (ms <= 0 || closing) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  };

  const simulators: Simulators = {
    urls: {} as Record<ServiceName, string>,
    faults,
    counters,
    seed,
    latencyMs: opts.latencyMs ?? 0,
    reset() {
      state = createServiceState();
      faults.clear();
      random = mulberry32(seed);
    },
    close: async () => {
      closing = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      );
    },
  };
  const control = controlHandler({
    faults,
    counters,
    getLatencyMs: () => simulators.latencyMs,
    setLatencyMs: (ms) => {
      simulators.latencyMs = ms;
    },
    reset: () => simulators.reset(),
  });

  const servers: Server[] = [];
  const urls: Partial<Record<ServiceName, string>> = {};
  try {
    for (const service of SERVICE_NAMES) {
      const server = createServer(
        { keepAlive: true },
        serviceListener({
          service,
          state: () => state,
          faults,
          latencyMs: () => simulators.latencyMs,
          sleep,
          control,
        }),
      );
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.ports?.[service] ?? 0, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      urls[service] = `http://${host}:${(server.address() as AddressInfo).port}`;
    }
  } catch (error) {
    await simulators.close();
    throw error;
  }
  Object.assign(simulators.urls, urls);
  return simulators;
}
