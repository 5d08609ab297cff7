/**
 * The StateStore contract, one suite run against every implementation on its real backing (a SQLite file,
 * a redis-server): TTL expiry, compare-and-set (also raced from a second process), counters, leases with
 * expiry, takeover and fencing, append/range/trim, persistence across a restart, and a store that cannot be
 * reached (every call rejects with StateStoreError quickly, nothing hangs, nothing crashes).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { StateStoreError, type StateStore } from '../../src/state/store';
import type { StoreSpec } from './state-stores';
import { openStore } from './state-stores';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ContractTarget {
  /** A fresh, empty store description (own file / own key prefix) for one test. */
  fresh(): StoreSpec;
  /** Restart whatever backs the store (the Redis server; nothing for a file) between close and reopen. */
  restartBacking?(): Promise<void>;
  /** A description of the same kind of store that cannot be reached. */
  unreachable(): StoreSpec;
}

/** Runs test/support/state-worker.ts in its own Node process. */
export function worker(job: object): Promise<Record<string, unknown>> {
  const script = path.join(__dirname, 'state-worker.ts');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-r', 'tsx/cjs', script, JSON.stringify(job)], { timeout: 60000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`worker failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>);
    });
  });
}

export function stateStoreContract(name: string, target: ContractTarget): void {
  describe(`StateStore contract: ${name}`, () => {
    let spec: StoreSpec;
    let store: StateStore;
    beforeEach(() => {
      spec = target.fresh();
      store = openStore(spec);
    });
    afterEach(async () => {
      await store.close();
    });

    it('get/put/delete: versions increase on every write; a missing key is undefined', async () => {
      expect(await store.get('k:missing')).toBeUndefined();
      const v1 = await store.put('k:a', { n: 1, s: 'é✓' });
      const v2 = await store.put('k:a', { n: 2, s: 'é✓' });
      expect(v2).toBeGreaterThan(v1);
      expect(await store.get('k:a')).toEqual({ value: { n: 2, s: 'é✓' }, version: v2 });
      expect(await store.delete('k:a')).toBe(true);
      expect(await store.delete('k:a')).toBe(false);
      expect(await store.get('k:a')).toBeUndefined();
      // Re-created after a delete: never a version a stale reader might still hold.
      expect(await store.put('k:a', 1)).toBeGreaterThan(v2);
    });

    it('TTL: a value is gone after it expires (get, list, cas see nothing); others stay', async () => {
      await store.put('ttl:short', 'x', { ttlMs: 150 });
      await store.put('ttl:long', 'y', { ttlMs: 60000 });
      await store.put('ttl:none', 'z');
      const live = await store.get('ttl:short');
      expect(live?.expiresAt).toBeGreaterThan(Date.now());
      await sleep(300);
      expect(await store.get('ttl:short')).toBeUndefined();
      expect((await store.list('ttl:')).map((r) => r.key)).toEqual(['ttl:long', 'ttl:none']);
      // An expired key counts as absent for compare-and-set.
      expect(await store.cas('ttl:short', 0, 'again')).toBeDefined();
    });

    it('compare-and-set: only the writer holding the current version wins', async () => {
      expect(await store.cas('cas:k', 0, 'first')).toBeDefined();
      expect(await store.cas('cas:k', 0, 'second')).toBeUndefined();
      const cur = await store.get<string>('cas:k');
      const next = await store.cas('cas:k', cur!.version, 'third');
      expect(next).toBeGreaterThan(cur!.version);
      expect(await store.cas('cas:k', cur!.version, 'stale')).toBeUndefined();
      expect((await store.get('cas:k'))?.value).toBe('third');
    });

    it('compare-and-set raced by two processes loses no update', async () => {
      const n = 300;
      // Both start at the same moment (process start-up times differ), so their read-modify-writes interleave.
      const startAt = Date.now() + 2500;
      await Promise.all([worker({ spec, op: 'cas-incr', key: 'race:n', n, startAt }), worker({ spec, op: 'cas-incr', key: 'race:n', n, startAt })]);
      expect((await store.get<number>('race:n'))?.value).toBe(2 * n);
    }, 90000);

    it('list: by prefix, in key order, bounded', async () => {
      for (const k of ['p:b', 'p:a', 'p:c', 'q:a', 'p']) await store.put(k, k);
      expect((await store.list('p:')).map((r) => r.key)).toEqual(['p:a', 'p:b', 'p:c']);
      expect((await store.list('p:', { limit: 2 })).map((r) => r.value)).toEqual(['p:a', 'p:b']);
      expect(await store.list('nothing:')).toEqual([]);
    });

    it('incr: atomic counters whose window starts with the first increment', async () => {
      expect(await store.incr('c:n')).toBe(1);
      expect(await store.incr('c:n', { by: 4 })).toBe(5);
      expect(await Promise.all(Array.from({ length: 20 }, () => store.incr('c:par')))).toHaveLength(20);
      expect((await store.get('c:par'))?.value).toBe(20);
      expect(await store.incr('c:win', { ttlMs: 200 })).toBe(1);
      await sleep(100);
      expect(await store.incr('c:win', { ttlMs: 200 })).toBe(2); // same window: the expiry did not move
      await sleep(200);
      expect(await store.incr('c:win', { ttlMs: 200 })).toBe(1); // a new window
    });

    it('leases: one holder at a time; renew keeps the fence; release frees it', async () => {
      const a = await store.acquireLease('lock:web', 'A', 5000);
      expect(a).toMatchObject({ name: 'lock:web', holder: 'A' });
      expect(await store.acquireLease('lock:web', 'B', 5000)).toBeUndefined();
      const again = await store.acquireLease('lock:web', 'A', 5000);
      expect(again?.fence).toBe(a!.fence);
      const renewed = await store.renewLease(a!, 8000);
      expect(renewed?.fence).toBe(a!.fence);
      expect(renewed!.expiresAt).toBeGreaterThan(a!.expiresAt);
      expect(await store.releaseLease(a!)).toBe(true);
      expect(await store.releaseLease(a!)).toBe(false);
      const b = await store.acquireLease('lock:web', 'B', 5000);
      expect(b!.fence).toBeGreaterThan(a!.fence);
    });

    it('leases: expiry lets another process take over with a larger fence; the old holder has lost it', async () => {
      const a = await store.acquireLease('lock:sched', 'A', 200);
      await sleep(300);
      const taken = (await worker({ spec, op: 'lease', key: 'lock:sched', holder: 'B', ttlMs: 5000 })).lease as { holder: string; fence: number } | null;
      expect(taken).toMatchObject({ holder: 'B' });
      expect(taken!.fence).toBeGreaterThan(a!.fence);
      expect(await store.renewLease(a!, 5000)).toBeUndefined();
      expect(await store.releaseLease(a!)).toBe(false);
      expect(await store.acquireLease('lock:sched', 'A', 5000)).toBeUndefined();
    }, 60000);

    it('append/range/trim: ordered seqs, oldest or newest first, bounded', async () => {
      const seqs: number[] = [];
      for (let i = 1; i <= 10; i++) seqs.push(await store.append('audit', { i }));
      expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect((await store.range<{ i: number }>('audit', { limit: 3 })).map((r) => r.value.i)).toEqual([1, 2, 3]);
      expect((await store.range<{ i: number }>('audit', { fromSeq: 8 })).map((r) => r.seq)).toEqual([8, 9, 10]);
      expect((await store.range<{ i: number }>('audit', { newestFirst: true, limit: 2 })).map((r) => r.seq)).toEqual([10, 9]);
      const r = await store.range('audit', { limit: 1 });
      expect(r[0]?.at).toBeGreaterThan(Date.now() - 60000);
      await store.trim('audit', 4);
      expect((await store.range('audit')).map((x) => x.seq)).toEqual([7, 8, 9, 10]);
      // Trimming never rewinds the sequence.
      expect(await store.append('audit', { i: 11 })).toBe(11);
      expect(await store.range('other-log')).toEqual([]);
      const par = await Promise.all(Array.from({ length: 20 }, (_, i) => store.append('par', i)));
      expect(new Set(par).size).toBe(20);
    });

    it('persists across a restart (a new store on the same backing sees everything)', async () => {
      await store.put('keep:a', { x: 1 });
      await store.put('keep:ttl', 'soon', { ttlMs: 60000 });
      await store.append('keep-log', 'one');
      const lease = await store.acquireLease('keep:lease', 'A', 60000);
      await store.close();
      await target.restartBacking?.();
      store = openStore(spec);
      expect((await store.get('keep:a'))?.value).toEqual({ x: 1 });
      expect((await store.get('keep:ttl'))?.value).toBe('soon');
      expect((await store.range('keep-log')).map((r) => r.value)).toEqual(['one']);
      expect(await store.acquireLease('keep:lease', 'B', 1000)).toBeUndefined();
      expect((await store.renewLease(lease!, 1000))?.fence).toBe(lease!.fence);
    }, 60000);

    it('unreachable: every call rejects with StateStoreError, quickly, naming the store', async () => {
      const dead = openStore(target.unreachable());
      try {
        const started = Date.now();
        const calls: Array<Promise<unknown>> = [
          dead.get('x'),
          dead.put('x', 1),
          dead.cas('x', 0, 1),
          dead.incr('x'),
          dead.acquireLease('l', 'A', 1000),
          dead.append('log', 1),
          dead.range('log'),
          dead.ping(),
        ];
        const results = await Promise.allSettled(calls);
        for (const r of results) {
          expect(r.status).toBe('rejected');
          if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StateStoreError);
        }
        expect(Date.now() - started).toBeLessThan(5000);
        expect(String((results[0] as PromiseRejectedResult).reason.message)).toMatch(/state store/);
      } finally {
        await dead.close();
      }
    }, 30000);
  });
}
