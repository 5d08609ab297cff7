/**
 * Readiness probes for `/readyz` that do not belong to an adapter: the state store answers for itself through
 * `StateStore.ping()` (a replica that cannot remember approvals, locks and alert states should not take work).
 */
import type { StateStore } from '../state/store';
import type { ReadinessProbe } from './server';

export function stateStoreProbe(store: StateStore): ReadinessProbe {
  return async () => {
    await store.ping();
    return store.description;
  };
}
