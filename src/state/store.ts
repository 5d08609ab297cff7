/**
 * The one contract for everything the bot must remember: history, Slack message references, pending approvals,
 * locks with fencing tokens, cooldown counters, alert states, silences, the audit log.
 *
 * Two implementations satisfy it (one contract test suite runs against both): the embedded default (SQLite in
 * `stateDir`, no server to run) and a shared one on a Redis that is *not* the Redis being diagnosed (replicas).
 * Keys are namespaced strings (`approval:<id>`, `alert:<fingerprint>`); values are JSON-serialisable.
 *
 * Every method may reject with StateStoreError when the store itself is unusable; callers turn that into a
 * finding about the bot (`unknown` with the reason), never into a crash or a verdict about the stack.
 */

export interface StoredValue<T> {
  value: T;
  /** Monotonic per key: bumps on every write; the token for compare-and-set. */
  version: number;
  /** Epoch ms when the value expires; undefined = never. */
  expiresAt?: number;
}

export interface Lease {
  /** The lease name (`lock:web`, `scheduler:status`). */
  name: string;
  /** Who holds it (instance id). */
  holder: string;
  /**
   * Fencing token: strictly increasing across every acquisition of this name, takeovers included. A holder
   * passes it along with each write it guards; anything that sees a smaller token than the last one it accepted
   * refuses the write (the holder has lost the lease without knowing).
   */
  fence: number;
  expiresAt: number;
}

export interface LogRecord<T> {
  /** Position in the log, strictly increasing from 1. */
  seq: number;
  /** Epoch ms when appended. */
  at: number;
  value: T;
}

export interface StateStore {
  /** `embedded (sqlite /path)` or `redis (host:port db N)`: for `/readyz`, `config explain` and findings. */
  readonly description: string;

  get<T>(key: string): Promise<StoredValue<T> | undefined>;
  /** Unconditional write; `ttlMs` makes the key expire (reads after expiry see nothing). Returns the new version. */
  put<T>(key: string, value: T, opts?: { ttlMs?: number }): Promise<number>;
  /**
   * Compare-and-set: writes only when the key's current version equals `expectedVersion` (0 = key must not exist
   * or has expired). Returns the new version, or undefined when another writer got there first.
   */
  cas<T>(key: string, expectedVersion: number, value: T, opts?: { ttlMs?: number }): Promise<number | undefined>;
  delete(key: string): Promise<boolean>;
  /** Live keys starting with `prefix`, with their values (bounded by `limit`, default 1000). */
  list<T>(prefix: string, opts?: { limit?: number }): Promise<Array<{ key: string } & StoredValue<T>>>;
  /** Atomically adds `by` (default 1) to a counter; a new or expired counter starts at 0 with the given TTL. */
  incr(key: string, opts?: { by?: number; ttlMs?: number }): Promise<number>;

  /** Take the lease when free or expired (a new, larger fence), or renew it when `holder` already holds it. */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<Lease | undefined>;
  /** Extend a held lease; undefined when it was lost (expired and taken, or fence moved on). */
  renewLease(lease: Lease, ttlMs: number): Promise<Lease | undefined>;
  /** Release only if still held with this fence. */
  releaseLease(lease: Lease): Promise<boolean>;

  /** Append to a named log (`audit`, `history:<env>`); returns the record's seq. */
  append<T>(log: string, value: T): Promise<number>;
  /** Records with seq in [fromSeq, ...), oldest first, at most `limit`; `newestFirst` reads the tail instead. */
  range<T>(log: string, opts?: { fromSeq?: number; limit?: number; newestFirst?: boolean }): Promise<LogRecord<T>[]>;
  /** Drop the oldest records so at most `keep` remain (bounded history; never used on the audit log). */
  trim(log: string, keep: number): Promise<void>;

  /** Cheap round trip proving the store is usable (`/readyz`). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class StateStoreError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'StateStoreError';
  }
}
