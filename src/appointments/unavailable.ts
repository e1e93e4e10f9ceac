import type { ServiceRegistry } from '../services/service-registry.js';

/** Every menu service `menus/rendez-vous.yaml` calls. */
export const APPOINTMENT_SERVICE_NAMES = ['appointments.centres', 'appointments.days', 'appointments.times', 'appointments.time', 'appointments.book', 'appointments.find', 'appointments.cancel'] as const;

/**
 * For a runtime without a shared appointment book (the Worker: no Durable Object adapter yet). A
 * book per isolate would let two isolates sell the same place, so every call answers `unavailable`
 * and the menu says "Service momentanément indisponible" rather than booking wrongly.
 */
export function unavailableAppointmentServices(): ServiceRegistry {
  return Object.fromEntries(APPOINTMENT_SERVICE_NAMES.map((name) => [name, async () => ({ outcome: 'unavailable' })]));
}
