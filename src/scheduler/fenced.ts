/**
 * Writes guarded by a fencing token: a value stored with the fence of the lease it was written under is only
 * replaced by a writer holding that fence or a newer one. A replica that lost the scheduler lease without
 * knowing (paused, partitioned) finds a newer fence there and backs off instead of overwriting its successor.
 */
import type { StateStore } from '../state/store';
import { metrics } from '../telemetry/metrics';

export interface Fenced<T> {
  fence: number;
  data: T;
}

/**
 * Read-modify-write of `key` under `fence`. `update` gets the current data (undefined when none) and returns the
 * new data. Returns `{ prev, next }`, or undefined when a newer fence owns the key (nothing written).
 */
export async function fencedUpdate<T>(
  store: StateStore,
  key: string,
  fence: number,
  update: (prev: T | undefined) => T,
  opts: { ttlMs?: number; attempts?: number } = {},
): Promise<{ prev: T | undefined; next: T } | undefined> {
  for (let attempt = 0; attempt < (opts.attempts ?? 5); attempt++) {
    const cur = await store.get<Fenced<T>>(key);
    if (cur && cur.value.fence > fence) {
      metrics.fencedWritesRefused.inc();
      return undefined;
    }
    const next = update(cur?.value.data);
    const written = await store.cas<Fenced<T>>(key, cur?.version ?? 0, { fence, data: next }, opts.ttlMs ? { ttlMs: opts.ttlMs } : {});
    if (written !== undefined) return { prev: cur?.value.data, next };
  }
  throw new Error(`fenced write of ${key} kept losing races`);
}
