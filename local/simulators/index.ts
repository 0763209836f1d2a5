/**
 * The simulator kit: runs a {@link ServiceSet} (a workflow's mocks, or a module of simulated
 * services) as one node:http server per service on loopback, with Idempotency-Key replay, a
 * request log and counters, seeded fault injection and the control API on every port.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { controlHandler } from './control.ts';
import { createCounters, createKitState, type KitState, type ServiceCounters } from './counters.ts';
import { createFaultController, type FaultController } from './faults.ts';
import { mulberry32 } from './prng.ts';
import { compileRouteKey } from './routes.ts';
import { type CompiledRoute, routeWrites, serviceListener } from './server.ts';
import type { CreateServiceSet, ServiceSet } from './types.ts';

export type { RequestFilter, ServiceCounters, ServiceStats, SimulatorStats } from './counters.ts';
export type { FaultController } from './faults.ts';
export type * from './types.ts';

/** Options for {@link startServices}. */
export interface StartServicesOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Seed of the PRNG behind probabilistic faults and generated ids, so a chaos run replays. @default 1 */
  readonly seed?: number;
  /** Latency added to every service call (benchmarks use 100). @default 0 */
  readonly latencyMs?: number;
  /** Fixed ports per service name. @default 0 (a free port each) */
  readonly ports?: Readonly<Record<string, number>>;
}

/** A running service set. */
export interface RunningServices<Entities = unknown, Service extends string = string> {
  /** Base URL per service, e.g. `{ payments: 'http://127.0.0.1:41234' }`. */
  readonly urls: Readonly<Record<Service, string>>;
  /** Route keys per service. */
  readonly routes: ReadonlyMap<string, readonly string[]>;
  readonly faults: FaultController<Service>;
  readonly counters: ServiceCounters<Entities>;
  /** The seed the PRNG started from. */
  readonly seed: number;
  /** Current base latency; settable at run time (also `PUT /_latency`). */
  latencyMs: number;
  /** Forgets all state, counters and faults, and restarts the PRNG from the seed. */
  reset(): void;
  close(): Promise<void>;
}

interface LiveSet {
  readonly kit: KitState;
  readonly routes: ReadonlyMap<string, readonly CompiledRoute[]>;
}

function compileSet(set: ServiceSet): LiveSet {
  const routes = new Map<string, CompiledRoute[]>();
  for (const service of set.services) {
    if (routes.has(service.name)) throw new Error(`service '${service.name}' is defined twice`);
    routes.set(
      service.name,
      service.routes.map((route) => {
        const parsed = compileRouteKey(route.key);
        return { route, parsed, write: routeWrites(route, parsed.method) };
      }),
    );
  }
  return { kit: createKitState(set), routes };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** Sleeps that a closing kit cuts short, so close() never waits on an injected delay. */
function createSleeper(): { sleep(ms: number): Promise<void>; stop(): void } {
  const timers = new Map<NodeJS.Timeout, () => void>();
  let stopped = false;
  return {
    sleep: (ms) =>
      ms <= 0 || stopped
        ? Promise.resolve()
        : new Promise((resolve) => {
            const timer = setTimeout(() => {
              timers.delete(timer);
              resolve();
            }, ms);
            timers.set(timer, resolve);
          }),
    stop() {
      stopped = true;
      for (const [timer, resolve] of timers) {
        clearTimeout(timer);
        resolve();
      }
      timers.clear();
    },
  };
}

/**
 * Starts every service of the set `create` makes, one server each on loopback, sharing one
 * state, fault table and PRNG.
 *
 * @example
 * const services = await startServices(createSimulatedServices, { seed: 7 });
 * services.faults.set('billing', 'POST /profiles', { kind: 'status', status: 503, times: 1 });
 * // ... STEPFLOW_SERVICE_URLS={"billing": services.urls.billing}
 * assert.deepEqual(services.counters.duplicates(), []);
 * await services.close();
 */
export async function startServices(
  create: CreateServiceSet,
  opts: StartServicesOptions = {},
): Promise<RunningServices> {
  const host = opts.host ?? '127.0.0.1';
  const seed = opts.seed ?? 1;
  let random = mulberry32(seed);
  const context = { random: () => random() };
  let live = compileSet(create(context));
  const names = [...live.routes.keys()];
  const routeKeys = (): ReadonlyMap<string, readonly string[]> =>
    new Map([...live.routes].map(([name, routes]) => [name, routes.map((r) => r.route.key)]));
  const faults = createFaultController(() => random(), routeKeys);
  const counters = createCounters(() => live.kit);
  const sleeper = createSleeper();
  const servers: Server[] = [];
  const urls: Record<string, string> = {};

  const services: RunningServices = {
    urls,
    get routes() {
      return routeKeys();
    },
    faults,
    counters,
    seed,
    latencyMs: opts.latencyMs ?? 0,
    reset() {
      random = mulberry32(seed);
      const next = compileSet(create(context));
      const changed = [...next.routes.keys()].join() !== names.join();
      if (changed) throw new Error('the service set changed its services on reset');
      live = next;
      faults.reset();
      planOutages(live.kit.set, faults);
    },
    async close() {
      sleeper.stop();
      await Promise.all(servers.map(closeServer));
    },
  };
  const control = controlHandler({
    faults,
    counters,
    routes: routeKeys,
    getLatencyMs: () => services.latencyMs,
    setLatencyMs: (ms) => {
      services.latencyMs = ms;
    },
    reset: () => services.reset(),
  });
  const ownLatency = (name: string): number =>
    live.kit.set.services.find((service) => service.name === name)?.latencyMs ?? 0;
  try {
    for (const name of names) {
      const server = createServer(
        { keepAlive: true },
        serviceListener({
          service: name,
          routes: () => live.routes.get(name) ?? [],
          state: () => live.kit,
          faults,
          latencyMs: () => services.latencyMs + ownLatency(name),
          sleep: sleeper.sleep,
          control,
        }),
      );
      servers.push(server);
      const port = await listen(
        server,
        Object.hasOwn(opts.ports ?? {}, name) ? (opts.ports?.[name] ?? 0) : 0,
        host,
      );
      // An own property whatever the name: `urls.__proto__ = ...` would set the prototype instead.
      Object.defineProperty(urls, name, {
        value: `http://${host}:${port}`,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    planOutages(live.kit.set, faults);
  } catch (error) {
    await services.close();
    throw error;
  }
  return services;
}

/** The outages a set declares, each starting its `startInMs` from now. */
function planOutages(set: ServiceSet, faults: FaultController): void {
  for (const outage of set.outages ?? []) faults.add(outage.service, outage.route ?? '*', outage.fault);
}
