/**
 * The embedded StateStore: one SQLite file in `stateDir` (better-sqlite3), no server to run. Several processes
 * may share the file (the bot and one-shot CLI runs): WAL mode lets readers and one writer work at once, every
 * write is one IMMEDIATE transaction (compare-and-set, counters, leases and appends are atomic across processes),
 * and a busy file is waited on (busy_timeout) instead of failing. A crash mid-write loses at most that write:
 * SQLite's journal makes each transaction all-or-nothing — there is no torn line to skip.
 *
 * Versions come from one store-wide counter, so a key deleted and re-created never repeats a version a stale
 * reader might still hold (no ABA on compare-and-set). Fences come from a per-lease counter that survives
 * release and expiry. Expired rows are invisible at once and purged a few at a time on later writes.
 *
 * Construction never throws: a store that cannot be opened (missing permissions, a corrupt file) rejects each
 * call with StateStoreError, and opening is retried on the next one.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Lease, LogRecord, StateStore, StoredValue } from './store';
import { StateStoreError } from './store';

type Db = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL, expires_at INTEGER);
CREATE INDEX IF NOT EXISTS kv_expiry ON kv (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, fence INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS logs (log TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY (log, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_heads (log TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) WITHOUT ROWID;
`;

/** The top of the key space for prefix ranges (no key sorts above this). */
const MAX_CHAR = '\u{10FFFF}';
const PURGE_BATCH = 100;

export interface SqliteStoreOptions {
  /** The database file (default `<stateDir>/state.sqlite`). */
  file: string;
  /** How long a write waits for another process holding the file (ms). Default 5000. */
  busyTimeoutMs?: number;
  /** Clock, for tests of expiry. Default Date.now. */
  now?: () => number;
}

export const SQLITE_FILE = 'state.sqlite';

export class SqliteStore implements StateStore {
  readonly description: string;
  private db: Db | undefined;
  private stmts: ReturnType<typeof prepare> | undefined;
  private readonly now: () => number;
  private writes = 0;
  /** The inode of the file opened (ping notices the file being replaced or deleted). */
  private inode: number | undefined;

  constructor(private readonly opts: SqliteStoreOptions) {
    this.description = `embedded (sqlite ${opts.file})`;
    this.now = opts.now ?? Date.now;
    // Opened now when it can be (loading the native module and the schema costs a few ms, better spent at start
    // than inside the first status run); a failure here is retried, and reported, by the first call.
    try {
      this.open();
    } catch {
      // reported by the first call
    }
  }

  async get<T>(key: string): Promise<StoredValue<T> | undefined> {
    return this.run('get', (s) => {
      const row = s.get.get(key, this.now()) as KvRow | undefined;
      return row ? toStored<T>(row) : undefined;
    });
  }

  async put<T>(key: string, value: T, opts: { ttlMs?: number } = {}): Promise<number> {
    const json = encode(value);
    return this.write('put', (s) => {
      const version = nextVersion(s);
      s.upsert.run(key, json, version, expiry(this.now(), opts.ttlMs));
      return version;
    });
  }

  async cas<T>(key: string, expectedVersion: number, value: T, opts: { ttlMs?: number } = {}): Promise<number | undefined> {
    const json = encode(value);
    return this.write('cas', (s) => {
      const now = this.now();
      const cur = s.get.get(key, now) as KvRow | undefined;
      if ((cur?.version ?? 0) !== expectedVersion) return undefined;
      const version = nextVersion(s);
      s.upsert.run(key, json, version, expiry(now, opts.ttlMs));
      return version;
    });
  }

  async delete(key: string): Promise<boolean> {
    return this.write('delete', (s) => s.del.run(key, this.now()).changes > 0);
  }

  async list<T>(prefix: string, opts: { limit?: number } = {}): Promise<Array<{ key: string } & StoredValue<T>>> {
    return this.run('list', (s) => {
      const rows = s.list.all(prefix, prefix + MAX_CHAR, this.now(), opts.limit ?? 1000) as Array<KvRow & { key: string }>;
      // A row that is not JSON (a file edited by hand, a foreign writer) is left out, not fatal: one bad row
      // must not hide every good one from the caller (the alert evaluator lists all its alerts each tick).
      return rows.flatMap((r) => {
        try {
          return [{ key: r.key, ...toStored<T>(r) }];
        } catch {
          return [];
        }
      });
    });
  }

  async incr(key: string, opts: { by?: number; ttlMs?: number } = {}): Promise<number> {
    return this.write('incr', (s) => {
      const now = this.now();
      const cur = s.get.get(key, now) as KvRow | undefined;
      const base = cur ? Number(JSON.parse(cur.value)) : 0;
      if (!Number.isFinite(base)) throw new Error(`${key} does not hold a number`);
      const n = base + (opts.by ?? 1);
      // A live counter keeps its window; a new (or expired) one starts its own.
      s.upsert.run(key, JSON.stringify(n), nextVersion(s), cur ? cur.expires_at : expiry(now, opts.ttlMs));
      return n;
    });
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
    return this.write('acquireLease', (s) => {
      const now = this.now();
      const cur = s.leaseGet.get(name) as LeaseRow | undefined;
      if (cur && cur.expires_at > now && cur.holder !== holder) return undefined;
      // The holder renewing keeps its fence; anyone taking a free or expired lease gets a larger one.
      const fence = cur && cur.expires_at > now ? cur.fence : (cur?.fence ?? 0) + 1;
      const lease: Lease = { name, holder, fence, expiresAt: now + ttlMs };
      s.leasePut.run(name, holder, fence, lease.expiresAt);
      return lease;
    });
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    return this.write('renewLease', (s) => {
      const now = this.now();
      const expiresAt = now + ttlMs;
      const changed = s.leaseRenew.run(expiresAt, lease.name, lease.holder, lease.fence, now).changes;
      return changed ? { ...lease, expiresAt } : undefined;
    });
  }

  async releaseLease(lease: Lease): Promise<boolean> {
    // The row stays (its fence counter must never go back); only its expiry is cleared.
    return this.write('releaseLease', (s) => s.leaseRelease.run(lease.name, lease.holder, lease.fence, this.now()).changes > 0);
  }

  async append<T>(log: string, value: T): Promise<number> {
    const json = encode(value);
    return this.write('append', (s) => {
      const seq = (s.headBump.get(log) as { last_seq: number }).last_seq;
      s.logPut.run(log, seq, this.now(), json);
      return seq;
    });
  }

  async range<T>(log: string, opts: { fromSeq?: number; limit?: number; newestFirst?: boolean } = {}): Promise<LogRecord<T>[]> {
    return this.run('range', (s) => {
      const limit = opts.limit ?? 1000;
      const rows = (opts.newestFirst ? s.logTail.all(log, opts.fromSeq ?? 0, limit) : s.logRange.all(log, opts.fromSeq ?? 0, limit)) as LogRow[];
      return rows.map((r) => ({ seq: r.seq, at: r.at, value: JSON.parse(r.value) as T }));
    });
  }

  async trim(log: string, keep: number): Promise<void> {
    await this.write('trim', (s) => {
      const head = s.headGet.get(log) as { last_seq: number } | undefined;
      if (head) s.logTrim.run(log, head.last_seq - Math.max(0, keep));
    });
  }

  /**
   * A round trip, and proof the file at the configured path is still the one open: a state folder deleted or
   * replaced under a running bot would otherwise take every later write to a file nobody will ever read again.
   */
  async ping(): Promise<void> {
    if (this.db && this.inode !== undefined && this.opts.file !== ':memory:') {
      let now: number | undefined;
      try {
        now = fs.statSync(this.opts.file).ino;
      } catch {
        now = undefined;
      }
      if (now !== this.inode) await this.close();
    }
    await this.run('ping', (s) => s.ping.get());
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    this.stmts = undefined;
    try {
      db?.close();
    } catch {
      // Closing a broken handle must not throw at shutdown.
    }
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────────────────────────────

  private open(): ReturnType<typeof prepare> {
    if (this.stmts) return this.stmts;
    let db: Db | undefined;
    try {
      if (this.opts.file !== ':memory:') makePrivate(this.opts.file);
      db = new Database(this.opts.file, { timeout: this.opts.busyTimeoutMs ?? 5000 });
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a committed transaction survives a process crash; only an OS crash may lose the last ones.
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
      this.stmts = prepare(db);
      this.db = db;
      this.inode = this.opts.file === ':memory:' ? undefined : fs.statSync(this.opts.file).ino;
      return this.stmts;
    } catch (err) {
      try {
        db?.close();
      } catch {
        // already broken
      }
      throw err;
    }
  }

  private run<R>(op: string, fn: (s: ReturnType<typeof prepare>) => R): R {
    try {
      return fn(this.open());
    } catch (err) {
      throw this.failure(op, err);
    }
  }

  private write<R>(op: string, fn: (s: ReturnType<typeof prepare>) => R): R {
    return this.run(op, (s) => {
      const r = s.db.transaction(() => fn(s)).immediate();
      if (++this.writes % 50 === 0) s.purge.run(this.now(), PURGE_BATCH);
      return r;
    });
  }

  private failure(op: string, err: unknown): StateStoreError {
    if (err instanceof StateStoreError) return err;
    const e = err as { code?: string; message?: string };
    // A handle that hit a corrupt or vanished file is dropped, so the next call opens the file afresh.
    if (e.code && /SQLITE_(CORRUPT|NOTADB|IOERR|CANTOPEN|READONLY)/.test(e.code)) void this.close();
    return new StateStoreError(`state store ${this.opts.file}: ${op} failed: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`, err);
  }
}

interface KvRow {
  value: string;
  version: number;
  expires_at: number | null;
}
interface LeaseRow {
  holder: string;
  fence: number;
  expires_at: number;
}
interface LogRow {
  seq: number;
  at: number;
  value: string;
}

function prepare(db: Db) {
  return {
    db,
    get: db.prepare('SELECT value, version, expires_at FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)'),
    upsert: db.prepare(
      'INSERT INTO kv (key, value, version, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at',
    ),
    del: db.prepare('DELETE FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)'),
    list: db.prepare('SELECT key, value, version, expires_at FROM kv WHERE key >= ? AND key < ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY key LIMIT ?'),
    purge: db.prepare('DELETE FROM kv WHERE rowid IN (SELECT rowid FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)'),
    version: db.prepare("INSERT INTO counters (name, n) VALUES ('version', 1) ON CONFLICT (name) DO UPDATE SET n = n + 1 RETURNING n"),
    leaseGet: db.prepare('SELECT holder, fence, expires_at FROM leases WHERE name = ?'),
    leasePut: db.prepare(
      'INSERT INTO leases (name, holder, fence, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, fence = excluded.fence, expires_at = excluded.expires_at',
    ),
    leaseRenew: db.prepare('UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ? AND fence = ? AND expires_at > ?'),
    leaseRelease: db.prepare('UPDATE leases SET expires_at = 0 WHERE name = ? AND holder = ? AND fence = ? AND expires_at > ?'),
    headBump: db.prepare('INSERT INTO log_heads (log, last_seq) VALUES (?, 1) ON CONFLICT (log) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq'),
    headGet: db.prepare('SELECT last_seq FROM log_heads WHERE log = ?'),
    logPut: db.prepare('INSERT INTO logs (log, seq, at, value) VALUES (?, ?, ?, ?)'),
    logRange: db.prepare('SELECT seq, at, value FROM logs WHERE log = ? AND seq >= ? ORDER BY seq LIMIT ?'),
    logTail: db.prepare('SELECT seq, at, value FROM logs WHERE log = ? AND seq >= ? ORDER BY seq DESC LIMIT ?'),
    logTrim: db.prepare('DELETE FROM logs WHERE log = ? AND seq <= ?'),
    ping: db.prepare('SELECT 1'),
  };
}

function nextVersion(s: ReturnType<typeof prepare>): number {
  return (s.version.get() as { n: number }).n;
}

const expiry = (now: number, ttlMs: number | undefined): number | null => (ttlMs !== undefined && ttlMs > 0 ? now + ttlMs : null);

function toStored<T>(row: KvRow): StoredValue<T> {
  return { value: JSON.parse(row.value) as T, version: row.version, ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}) };
}

function encode(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new StateStoreError('state store: value is not JSON-serialisable');
  return json;
}

/**
 * The store holds secrets (the probe login, pending approvals): its folder and files are the bot user's only.
 * The file is created 0600 before SQLite opens it — SQLite gives its -wal and -shm files the database file's
 * mode — and a store made before this (0644) is narrowed.
 */
function makePrivate(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((fs.statSync(f).mode & 0o077) !== 0) fs.chmodSync(f, 0o600);
    } catch {
      // -wal / -shm do not exist yet
    }
  }
}
