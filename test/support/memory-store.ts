/**
 * A StateStore in memory, for unit tests of pure alert logic only (integration tests use the real stores).
 * Same semantics as the contract: versions, TTLs, CAS, leases with fencing, logs.
 */
import type { Lease, LogRecord, StateStore, StoredValue } from '../../src/state/store';

export class MemoryStore implements StateStore {
  readonly description = 'memory (tests)';
  private readonly kv = new Map<string, StoredValue<unknown>>();
  private readonly leases = new Map<string, Lease>();
  private readonly fences = new Map<string, number>();
  private readonly logs = new Map<string, LogRecord<unknown>[]>();
  private seq = 0;
  writes = 0;

  constructor(private readonly now: () => number = Date.now) {}

  private live(key: string): StoredValue<unknown> | undefined {
    const v = this.kv.get(key);
    if (v && v.expiresAt !== undefined && v.expiresAt <= this.now()) {
      this.kv.delete(key);
      return undefined;
    }
    return v;
  }

  async get<T>(key: string): Promise<StoredValue<T> | undefined> {
    const v = this.live(key);
    return v ? (structuredClone(v) as StoredValue<T>) : undefined;
  }

  async put<T>(key: string, value: T, opts: { ttlMs?: number } = {}): Promise<number> {
    this.writes++;
    const version = (this.live(key)?.version ?? 0) + 1;
    this.kv.set(key, { value: structuredClone(value), version, ...(opts.ttlMs ? { expiresAt: this.now() + opts.ttlMs } : {}) });
    return version;
  }

  async cas<T>(key: string, expectedVersion: number, value: T, opts: { ttlMs?: number } = {}): Promise<number | undefined> {
    if ((this.live(key)?.version ?? 0) !== expectedVersion) return undefined;
    return await this.put(key, value, opts);
  }

  async delete(key: string): Promise<boolean> {
    return this.live(key) !== undefined && this.kv.delete(key);
  }

  async list<T>(prefix: string, opts: { limit?: number } = {}): Promise<Array<{ key: string } & StoredValue<T>>> {
    const out: Array<{ key: string } & StoredValue<T>> = [];
    for (const key of [...this.kv.keys()].sort()) {
      if (!key.startsWith(prefix)) continue;
      const v = this.live(key);
      if (v) out.push({ key, ...(structuredClone(v) as StoredValue<T>) });
      if (out.length >= (opts.limit ?? 1000)) break;
    }
    return out;
  }

  async incr(key: string, opts: { by?: number; ttlMs?: number } = {}): Promise<number> {
    const cur = this.live(key);
    const n = ((cur?.value as number | undefined) ?? 0) + (opts.by ?? 1);
    this.kv.set(key, { value: n, version: (cur?.version ?? 0) + 1, ...(cur?.expiresAt ? { expiresAt: cur.expiresAt } : opts.ttlMs ? { expiresAt: this.now() + opts.ttlMs } : {}) });
    return n;
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
    const cur = this.leases.get(name);
    const now = this.now();
    if (cur && cur.expiresAt > now && cur.holder !== holder) return undefined;
    const fence = cur && cur.holder === holder && cur.expiresAt > now ? cur.fence : (this.fences.get(name) ?? 0) + 1;
    this.fences.set(name, fence);
    const lease = { name, holder, fence, expiresAt: now + ttlMs };
    this.leases.set(name, lease);
    return { ...lease };
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    const cur = this.leases.get(lease.name);
    if (!cur || cur.fence !== lease.fence || cur.holder !== lease.holder || cur.expiresAt <= this.now()) return undefined;
    cur.expiresAt = this.now() + ttlMs;
    return { ...cur };
  }

  async releaseLease(lease: Lease): Promise<boolean> {
    const cur = this.leases.get(lease.name);
    if (!cur || cur.fence !== lease.fence) return false;
    this.leases.delete(lease.name);
    return true;
  }

  async append<T>(log: string, value: T): Promise<number> {
    const l = this.logs.get(log) ?? [];
    const seq = (l[l.length - 1]?.seq ?? 0) + 1;
    this.seq = seq;
    l.push({ seq, at: this.now(), value });
    this.logs.set(log, l);
    return seq;
  }

  async range<T>(log: string, opts: { fromSeq?: number; limit?: number; newestFirst?: boolean } = {}): Promise<LogRecord<T>[]> {
    let l = (this.logs.get(log) ?? []).filter((r) => r.seq >= (opts.fromSeq ?? 1));
    if (opts.newestFirst) l = [...l].reverse();
    return l.slice(0, opts.limit ?? 1000) as LogRecord<T>[];
  }

  async trim(log: string, keep: number): Promise<void> {
    const l = this.logs.get(log) ?? [];
    this.logs.set(log, l.slice(Math.max(0, l.length - keep)));
  }

  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}
