import { FAULT_KINDS, type Fault, type OutageFault, type OutageRecord } from './types.ts';

/** A fault as `list()` shows it: remaining `times`, and an outage's window. */
export type ListedFault = Fault & { readonly startsAt?: string | null; readonly endsAt?: string | null };

/** An ISO time, or null for a window not started yet (an outage waiting for its first call). */
const iso = (ms: number): string | null => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);

/** Changes the services' faults at run time (tests, the CLI through the control API). */
export interface FaultController<Service extends string = string> {
  /**
   * Replaces the faults of `service` (or `*`, every service) on `route` (or `*`, every route).
   * Faults are tried in order; the first that fires wins. An empty list removes them.
   */
  set(service: Service | '*', route: string, fault: Fault | readonly Fault[]): void;
  /** Appends a fault after the existing ones of that service and route. */
  add(service: Service | '*', route: string, fault: Fault): void;
  /** Removes faults: all, or those of one service (and route). */
  clear(service?: Service | '*', route?: string): void;
  /** The current faults, `{service: {route: Fault[]}}`, with remaining `times` and outage windows. */
  list(): Record<string, Record<string, ListedFault[]>>;
  /** The fault that fires for this request, if any (consumes one of its `times`). */
  pick(service: string, route: string): Fault | undefined;
  /** Every outage set since the last reset, ended ones included, with the calls each met. */
  outages(): OutageRecord[];
  /** Removes every fault and forgets past outages (the kit's reset). */
  reset(): void;
}

interface Slot {
  readonly fault: Fault;
  remaining: number;
  /** Outages only. */
  readonly window?: OutageWindow;
}

interface OutageWindow {
  readonly service: string;
  readonly route: string;
  /** Infinite until an outage that starts on its first call gets that call. */
  startsAt: number;
  endsAt: number;
  calls: number;
}

/**
 * Fault registry drawing probabilities from `random` (the seeded PRNG). `routes` lists each
 * service's route keys, so a fault for a service or route that does not exist is refused by name
 * instead of silently never firing.
 */
export function createFaultController(
  random: () => number,
  routes: () => ReadonlyMap<string, readonly string[]>,
  now: () => number = Date.now,
): FaultController {
  const table = new Map<string, Map<string, Slot[]>>();
  let windows: Array<{ window: OutageWindow; fault: OutageFault }> = [];
  const slotsFor = (service: string, route: string): Slot[] => {
    let routes = table.get(service);
    if (routes === undefined) {
      routes = new Map();
      table.set(service, routes);
    }
    let slots = routes.get(route);
    if (slots === undefined) {
      slots = [];
      routes.set(route, slots);
    }
    return slots;
  };
  const toSlot = (service: string, route: string, fault: Fault): Slot => {
    validateFault(fault);
    if (fault.kind !== 'outage') return { fault, remaining: fault.times ?? Number.POSITIVE_INFINITY };
    const startsAt = fault.startsOnFirstCall ? Number.POSITIVE_INFINITY : now() + (fault.startInMs ?? 0);
    const window = { service, route, startsAt, endsAt: startsAt + fault.durationMs, calls: 0 };
    windows.push({ window, fault });
    return { fault, remaining: Number.POSITIVE_INFINITY, window };
  };
  /** An outage slot fires for every request inside its window and is spent after it. */
  const outageFires = (slot: Slot): boolean => {
    const window = slot.window;
    if (window === undefined || slot.remaining <= 0) return false;
    const at = now();
    if (!Number.isFinite(window.startsAt) && slot.fault.kind === 'outage') {
      window.startsAt = at + (slot.fault.startInMs ?? 0);
      window.endsAt = window.startsAt + slot.fault.durationMs;
    }
    if (at >= window.endsAt) slot.remaining = 0;
    if (at < window.startsAt || at >= window.endsAt) return false;
    window.calls += 1;
    return true;
  };
  const fireOutage = (slots: Slot[] | undefined): Fault | undefined =>
    slots?.find((slot) => slot.fault.kind === 'outage' && outageFires(slot))?.fault;
  /** A removed outage ends now (its record keeps the calls it met). */
  const endEarly = (slots: readonly Slot[] | undefined): void => {
    for (const slot of slots ?? []) {
      if (!slot.window) continue;
      const at = now();
      // One that never started ends without a window.
      if (!Number.isFinite(slot.window.startsAt)) slot.window.startsAt = at;
      slot.window.endsAt = Math.min(slot.window.endsAt, at);
    }
  };
  const fire = (slots: Slot[] | undefined): Fault | undefined => {
    if (slots === undefined) return undefined;
    for (const slot of slots) {
      if (slot.remaining <= 0 || slot.fault.kind === 'outage') continue;
      const probability = slot.fault.probability ?? 1;
      if (probability < 1 && random() >= probability) continue;
      slot.remaining -= 1;
      return slot.fault;
    }
    return undefined;
  };
  return {
    set(service, route, fault) {
      checkTarget(routes(), service, route);
      const faults = Array.isArray(fault) ? fault : [fault as Fault];
      // All checked before any is stored: a list with one bad fault changes nothing.
      for (const item of faults) validateFault(item);
      const slots = faults.map((item) => toSlot(service, route, item));
      endEarly(slotsFor(service, route).splice(0, Number.POSITIVE_INFINITY, ...slots));
    },
    add(service, route, fault) {
      checkTarget(routes(), service, route);
      slotsFor(service, route).push(toSlot(service, route, fault));
    },
    clear(service, route) {
      if (service === undefined) {
        for (const byRoute of table.values()) for (const slots of byRoute.values()) endEarly(slots);
        table.clear();
      } else if (route === undefined) {
        for (const slots of table.get(service)?.values() ?? []) endEarly(slots);
        table.delete(service);
      } else {
        endEarly(table.get(service)?.get(route));
        table.get(service)?.delete(route);
      }
    },
    reset() {
      table.clear();
      windows = [];
    },
    outages() {
      const at = now();
      return windows.map(({ window, fault }) => ({
        service: window.service,
        route: window.route,
        starts_at: iso(window.startsAt),
        ends_at: iso(window.endsAt),
        state: at < window.startsAt ? 'pending' : at < window.endsAt ? 'active' : 'ended',
        answer: fault.refuse ? 'refuse' : (fault.status ?? 503),
        calls: window.calls,
      }));
    },
    list() {
      const out: Record<string, Record<string, ListedFault[]>> = {};
      const at = now();
      for (const [service, routes] of table) {
        for (const [route, slots] of routes) {
          const live = slots.filter(
            (slot) => slot.remaining > 0 && (slot.window === undefined || at < slot.window.endsAt),
          );
          if (live.length === 0) continue;
          out[service] ??= {};
          out[service][route] = live.map((slot): ListedFault => {
            if (slot.window === undefined)
              return Number.isFinite(slot.remaining) ? { ...slot.fault, times: slot.remaining } : slot.fault;
            const window = { startsAt: iso(slot.window.startsAt), endsAt: iso(slot.window.endsAt) };
            return { ...slot.fault, ...window };
          });
        }
      }
      return out;
    },
    pick(service, route) {
      return (
        fireOutage(table.get(service)?.get(route)) ??
        fireOutage(table.get(service)?.get('*')) ??
        fireOutage(table.get('*')?.get(route)) ??
        fireOutage(table.get('*')?.get('*')) ??
        fire(table.get(service)?.get(route)) ??
        fire(table.get(service)?.get('*')) ??
        fire(table.get('*')?.get(route)) ??
        fire(table.get('*')?.get('*'))
      );
    },
  };
}

function checkTarget(routes: ReadonlyMap<string, readonly string[]>, service: string, route: string): void {
  if (service !== '*' && !routes.has(service)) {
    throw new Error(`unknown service '${service}' (expected one of ${[...routes.keys(), '*'].join(', ')})`);
  }
  if (route === '*') return;
  const known = service === '*' ? [...routes.values()].flat() : (routes.get(service) ?? []);
  if (!known.includes(route)) {
    throw new Error(
      `service '${service}' has no route '${route}' (routes: ${[...new Set(known)].join(', ')}, or *)`,
    );
  }
}

/** Rejects a malformed fault with a message naming the field (faults also arrive as JSON). */
export function validateFault(fault: Fault): void {
  if (
    typeof fault !== 'object' ||
    fault === null ||
    !(FAULT_KINDS as readonly string[]).includes(fault.kind)
  ) {
    throw new Error(`fault.kind must be one of ${FAULT_KINDS.join(', ')}`);
  }
  if (
    fault.kind === 'status' &&
    (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599)
  ) {
    throw new Error('fault.status must be an HTTP status code (100-599)');
  }
  if ((fault.kind === 'latency' || fault.kind === 'apply_then_delay') && !(fault.ms >= 0)) {
    throw new Error('fault.ms must be a non-negative number of milliseconds');
  }
  if (fault.probability !== undefined && !(fault.probability >= 0 && fault.probability <= 1)) {
    throw new Error('fault.probability must be between 0 and 1');
  }
  if (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times >= 0)) {
    throw new Error('fault.times must be a non-negative integer');
  }
  if (fault.kind === 'outage') validateOutage(fault);
}

function validateOutage(fault: OutageFault & { times?: unknown; probability?: unknown }): void {
  if (!(typeof fault.durationMs === 'number' && fault.durationMs > 0 && Number.isFinite(fault.durationMs)))
    throw new Error('fault.durationMs of an outage must be a positive number of milliseconds');
  if (fault.startInMs !== undefined && !(typeof fault.startInMs === 'number' && fault.startInMs >= 0))
    throw new Error('fault.startInMs of an outage must be a non-negative number of milliseconds');
  if (fault.times !== undefined || fault.probability !== undefined)
    throw new Error('an outage takes no times or probability: it hits every call in its window');
  if (fault.startsOnFirstCall !== undefined && typeof fault.startsOnFirstCall !== 'boolean')
    throw new Error('fault.startsOnFirstCall of an outage must be true or false');
  if (fault.refuse !== undefined && typeof fault.refuse !== 'boolean')
    throw new Error('fault.refuse of an outage must be true or false');
  if (
    fault.status !== undefined &&
    (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599)
  )
    throw new Error('fault.status of an outage must be an HTTP status code (100-599)');
  if (fault.refuse === true && fault.status !== undefined)
    throw new Error('an outage either refuses connections or answers a status, not both');
}
