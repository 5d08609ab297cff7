/**
 * Readiness probes for `/readyz` that do not belong to an adapter. The state store answers for itself through
 * `StateStore.ping()` once it is wired; until then the bot's state lives in `stateDir`, and that directory must be
 * writable.
 */
import { constants, promises as fs } from 'node:fs';
import type { ReadinessProbe } from './server';

export function stateDirProbe(dir: string): ReadinessProbe {
  return async () => {
    await fs.mkdir(dir, { recursive: true });
    await fs.access(dir, constants.W_OK);
    return `state dir ${dir} writable`;
  };
}
