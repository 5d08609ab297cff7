/**
 * `npm run bench -- state`: p99 of the state store's operations (get, put, cas, incr, append, range of 10,
 * lease acquire/renew), embedded SQLite on a real file and the shared store on a loopback redis-server.
 * Baseline: what the old history did per write — append one JSON line to a file and fsync it — so the ratio says
 * what a transactional store costs against the cheapest durable write there is. Targets: p99 ≤ 2 ms embedded,
 * ≤ 5 ms on loopback Redis.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedisServer } from '../src/demo/redis-process';
import { RedisStore } from '../src/state/redis-store';
import { SqliteStore } from '../src/state/sqlite-store';
import type { StateStore } from '../src/state/store';
import { median, percentile, type BenchResult } from './types';

const ROUNDS = 300;

async function timeOps(store: StateStore): Promise<{ all: number[]; byOp: Record<string, number> }> {
  const ops: Record<string, (i: number) => Promise<unknown>> = {
    get: (i) => store.get(`bench:k${i % 50}`),
    put: (i) => store.put(`bench:k${i % 50}`, { i, at: Date.now(), note: 'x'.repeat(200) }),
    cas: async (i) => {
      const cur = await store.get<number>('bench:cas');
      return store.cas('bench:cas', cur?.version ?? 0, i);
    },
    incr: () => store.incr('bench:n', { ttlMs: 60000 }),
    append: (i) => store.append('bench-log', { i, finding: 'y'.repeat(300) }),
    range: () => store.range('bench-log', { newestFirst: true, limit: 10 }),
    lease: async () => {
      const l = await store.acquireLease('bench:lease', 'me', 10000);
      return l && store.renewLease(l, 10000);
    },
  };
  const all: number[] = [];
  const byOp: Record<string, number> = {};
  for (const [name, op] of Object.entries(ops)) {
    for (let i = 0; i < 20; i++) await op(i); // warm-up
    const xs: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t = process.hrtime.bigint();
      await op(i);
      xs.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    all.push(...xs);
    byOp[`${name}P99Ms`] = round(percentile(xs, 99));
  }
  return { all, byOp };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

export async function benchState(): Promise<BenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-bench-state-'));
  const redis = await startRedisServer();
  const embedded = new SqliteStore({ file: path.join(dir, 'state.sqlite') });
  const shared = new RedisStore({ url: `${redis.url}/1` });
  try {
    const e = await timeOps(embedded);
    const r = await timeOps(shared);
    const line = path.join(dir, 'history.jsonl');
    const fd = fs.openSync(line, 'a');
    const base: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t = process.hrtime.bigint();
      fs.writeSync(fd, JSON.stringify({ i, finding: 'y'.repeat(300) }) + '\n');
      fs.fsyncSync(fd);
      base.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    fs.closeSync(fd);
    const eP99 = percentile(e.all, 99);
    const rP99 = percentile(r.all, 99);
    const extra: Record<string, number> = { embeddedP99Ms: round(eP99), redisP99Ms: round(rP99), redisMedianMs: round(median(r.all)) };
    for (const [k, v] of Object.entries(e.byOp)) extra[`embedded.${k}`] = v;
    for (const [k, v] of Object.entries(r.byOp)) extra[`redis.${k}`] = v;
    const baseMedian = median(base);
    return {
      name: 'state',
      ours: { medianMs: round(median(e.all)), extra },
      baseline: { medianMs: round(baseMedian), command: 'append one JSON line + fsync (the old history.jsonl write)' },
      ratio: round(median(e.all) / baseMedian),
      target: 'p99 ≤ 2 ms embedded, ≤ 5 ms loopback Redis',
      pass: eP99 <= 2 && rP99 <= 5,
    };
  } finally {
    await embedded.close();
    await shared.close();
    await redis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
