/** How tests (and the worker process) open a real store from a plain description. */
import { RedisStore } from '../../src/state/redis-store';
import { SqliteStore } from '../../src/state/sqlite-store';
import type { StateStore } from '../../src/state/store';

export type StoreSpec = { kind: 'sqlite'; file: string } | { kind: 'redis'; url: string; keyPrefix?: string };

export function openStore(spec: StoreSpec): StateStore {
  if (spec.kind === 'sqlite') return new SqliteStore({ file: spec.file });
  return new RedisStore({ url: spec.url, ...(spec.keyPrefix ? { keyPrefix: spec.keyPrefix } : {}) });
}
