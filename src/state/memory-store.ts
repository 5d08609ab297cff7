/**
 * A StateStore in process memory: for tests of the flows built on the store, and for one-shot uses that must
 * not touch the disk. It satisfies the same contract as the embedded and Redis stores (TTL, versions for
 * compare-and-set, leases with strictly increasing fences, append-only logs) but remembers nothing across a
 * restart, so it is never the bot's default.
 */
import type { Lease, LogRecord, StateStore, StoredValue } from './store';

interface Entry {
  json: string;
  version: number;
  expiresAt?: number;
}

export class MemoryStateStore implements StateStore {
  readonly description = 'memory (not persisted)';
  private readonly kv = new Map<string, Entry>();
  private readonly fences = new Map<string, number>();
  private readonly leases = new Map<string, Lease>();
  private readonly logs = new Map<string, Array<LogRecord<string>>>();
  private readonly seqs = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  private live(key: string): Entry | undefined {
    const e = this.kv.get(key);
    if (e?.expiresAt !== undefined && e.expiresAt <= this.now()) return undefined;
    return e;
  }

  async get<T>(key: string): Promise<StoredValue<T> | undefined> {
    const e = this.live(key);
    return e ? { value: JSON.parse(e.json) as T, version: e.version, ...(e.expiresAt !== undefined ? { expiresAt: e.expiresAt } : {}) } : undefined;
  }

  private write(key: string, value: unknown, ttlMs: number | undefined): number {
    const prev = this.kv.get(key);
    const version = (prev?.version ?? 0) + 1;
    this.kv.set(key, { json: JSON.stringify(value), version, ...(ttlMs !== undefined ? { expiresAt: this.now() + ttlMs } : {}) });
    return version;
  }

  async put<T>(key: string, value: T, opts: { ttlMs?: number } = {}): Promise<number> {
    return this.write(key, value, opts.ttlMs);
  }

  async cas<T>(key: string, expectedVersion: number, value: T, opts: { ttlMs?: number } = {}): Promise<number | undefined> {
    const cur = this.live(key);
    if ((cur?.version ?? 0) !== expectedVersion) return undefined;
    // A fresh key after expiry keeps counting versions upwards (a stale writer must never match again).
    return this.write(key, value, opts.ttlMs);
  }

  async delete(key: string): Promise<boolean> {
    const had = this.live(key) !== undefined;
    this.kv.delete(key);
    return had;
  }

  async list<T>(prefix: string, opts: { limit?: number } = {}): Promise<Array<{ key: string } & StoredValue<T>>> {
    const out: Array<{ key: string } & StoredValue<T>> = [];
    for (const key of [...this.kv.keys()].sort()) {
      if (!key.startsWith(prefix)) continue;
      const v = await this.get<T>(key);
      if (v) out.push({ key, ...v });
      if (out.length >= (opts.limit ?? 1000)) break;
    }
    return out;
  }

  async incr(key: string, opts: { by?: number; ttlMs?: number } = {}): Promise<number> {
    const cur = this.live(key);
    const n = (cur ? (JSON.parse(cur.json) as number) : 0) + (opts.by ?? 1);
    const version = (this.kv.get(key)?.version ?? 0) + 1;
    const expiresAt = cur ? cur.expiresAt : opts.ttlMs !== undefined ? this.now() + opts.ttlMs : undefined;
    this.kv.set(key, { json: JSON.stringify(n), version, ...(expiresAt !== undefined ? { expiresAt } : {}) });
    return n;
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
    const cur = this.leases.get(name);
    const now = this.now();
    if (cur && cur.expiresAt > now && cur.holder !== holder) return undefined;
    if (cur && cur.expiresAt > now && cur.holder === holder) {
      const renewed = { ...cur, expiresAt: now + ttlMs };
      this.leases.set(name, renewed);
      return { ...renewed };
    }
    const fence = (this.fences.get(name) ?? 0) + 1;
    this.fences.set(name, fence);
    const lease = { name, holder, fence, expiresAt: now + ttlMs };
    this.leases.set(name, lease);
    return { ...lease };
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    const cur = this.leases.get(lease.name);
    if (!cur || cur.fence !== lease.fence || cur.holder !== lease.holder || cur.expiresAt <= this.now()) return undefined;
    const renewed = { ...cur, expiresAt: this.now() + ttlMs };
    this.leases.set(lease.name, renewed);
    return { ...renewed };
  }

  async releaseLease(lease: Lease): Promise<boolean> {
    const cur = this.leases.get(lease.name);
    if (!cur || cur.fence !== lease.fence || cur.holder !== lease.holder) return false;
    this.leases.delete(lease.name);
    return true;
  }

  async append<T>(log: string, value: T): Promise<number> {
    const seq = (this.seqs.get(log) ?? 0) + 1;
    this.seqs.set(log, seq);
    const list = this.logs.get(log) ?? [];
    list.push({ seq, at: this.now(), value: JSON.stringify(value) });
    this.logs.set(log, list);
    return seq;
  }

  async range<T>(log: string, opts: { fromSeq?: number; limit?: number; newestFirst?: boolean } = {}): Promise<LogRecord<T>[]> {
    const list = this.logs.get(log) ?? [];
    const limit = opts.limit ?? 1000;
    const from = opts.fromSeq ?? 1;
    const picked = opts.newestFirst ? [...list].reverse().filter((r) => r.seq >= from).slice(0, limit) : list.filter((r) => r.seq >= from).slice(0, limit);
    return picked.map((r) => ({ seq: r.seq, at: r.at, value: JSON.parse(r.value) as T }));
  }

  async trim(log: string, keep: number): Promise<void> {
    const list = this.logs.get(log) ?? [];
    if (list.length > keep) this.logs.set(log, list.slice(list.length - keep));
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  /** Tests only: rewrite a stored log record in place, as someone editing the store's file would. */
  tamper(log: string, seq: number, edit: (value: unknown) => unknown): void {
    const r = this.logs.get(log)?.find((x) => x.seq === seq);
    if (r) r.value = JSON.stringify(edit(JSON.parse(r.value)));
  }
}
