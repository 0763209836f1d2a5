import { FAULT_KINDS, type Fault } from './types.ts';

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
  /** The current faults, `{service: {route: Fault[]}}`, with remaining `times`. */
  list(): Record<string, Record<string, Fault[]>>;
  /** The fault that fires for this request, if any (consumes one of its `times`). */
  pick(service: string, route: string): Fault | undefined;
}

type Slot = { fault: Fault; remaining: number };

/**
 * Fault registry drawing probabilities from `random` (the seeded PRNG). `routes` lists each
 * service's route keys, so a fault for a service or route that does not exist is refused by name
 * instead of silently never firing.
 */
export function createFaultController(
  random: () => number,
  routes: () => ReadonlyMap<string, readonly string[]>,
): FaultController {
  const table = new Map<string, Map<string, Slot[]>>();
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
  const toSlot = (fault: Fault): Slot => {
    validateFault(fault);
    return { fault, remaining: fault.times ?? Number.POSITIVE_INFINITY };
  };
  const fire = (slots: Slot[] | undefined): Fault | undefined => {
    if (slots === undefined) return undefined;
    for (const slot of slots) {
      if (slot.remaining <= 0) continue;
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
      const slots = faults.map(toSlot);
      slotsFor(service, route).splice(0, Number.POSITIVE_INFINITY, ...slots);
    },
    add(service, route, fault) {
      checkTarget(routes(), service, route);
      slotsFor(service, route).push(toSlot(fault));
    },
    clear(service, route) {
      if (service === undefined) table.clear();
      else if (route === undefined) table.delete(service);
      else table.get(service)?.delete(route);
    },
    list() {
      const out: Record<string, Record<string, Fault[]>> = {};
      for (const [service, routes] of table) {
        for (const [route, slots] of routes) {
          const live = slots.filter((slot) => slot.remaining > 0);
          if (live.length === 0) continue;
          out[service] ??= {};
          out[service][route] = live.map((slot) =>
            Number.isFinite(slot.remaining) ? { ...slot.fault, times: slot.remaining } : slot.fault,
          );
        }
      }
      return out;
    },
    pick(service, route) {
      return (
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
}
