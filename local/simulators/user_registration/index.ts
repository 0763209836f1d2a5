/**
 * The flagship's simulated services (user, billing, preferences, notification) on the simulator
 * kit. `config/user_registration.mocks.yaml` names this module under `simulators:`, so the
 * offline runtime runs them for the flagship without any generic code naming it.
 */
import { type RunningServices, type ServiceSet, type StartServicesOptions, startServices } from '../index.ts';
import { registrationServices } from './services.ts';
import { createRegistrationState, duplicatesOf, entitiesOf } from './state.ts';

export { registrationLeftovers } from './state.ts';

import type { ServiceName, SimulatorEntities } from './types.ts';

export type * from './types.ts';
export { SERVICE_NAMES, SERVICE_ROUTES, UNDO_ROUTES } from './types.ts';

/** The four running services, typed with the flagship's service names and entities. */
export type Simulators = RunningServices<SimulatorEntities, ServiceName>;

/** The kit's factory for the four services over one fresh shared state (the module contract). */
export function createSimulatedServices(): ServiceSet {
  const state = createRegistrationState();
  return {
    services: registrationServices(state),
    entities: () => entitiesOf(state),
    duplicates: () => duplicatesOf(state),
  };
}

/**
 * Starts the four services alone (handler tests, LocalStack), one server each on loopback.
 *
 * @example
 * const sims = await startSimulators({ seed: 7 });
 * sims.faults.set('billing', 'POST /profiles', { kind: 'status', status: 503, times: 1 });
 * assert.deepEqual(sims.counters.duplicates(), []);
 */
export async function startSimulators(opts: StartServicesOptions = {}): Promise<Simulators> {
  return (await startServices(createSimulatedServices, opts)) as Simulators;
}

/**
 * The four services as a running offline runtime started them for the flagship (typed).
 * @throws Error when the runtime runs no user_registration services
 */
export function simulatorsOf(runtime: {
  readonly services: Readonly<Record<string, RunningServices>>;
}): Simulators {
  const services = runtime.services.user_registration;
  if (!services)
    throw new Error(
      'the runtime runs no user_registration services (is config/user_registration.mocks.yaml there?)',
    );
  return services as Simulators;
}
