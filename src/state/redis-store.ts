/**
 * The shared StateStore, for several replicas: a Redis that is not the one being diagnosed (the config refuses
 * the watched Redis's own DBs, config/schema.ts `watchedRedisClash`). Every operation that reads and writes is
 * one Lua script, so it is atomic on the server whichever replica runs it; lease times come from the server's
 * clock (`TIME`), so replicas with skewed clocks still agree on who holds a lease.
 *
 * Layout under `keyPrefix` (default `wsd:`):
 *   kv:<key>      hash {v: JSON, ver}, PEXPIRE for TTLs        idx      sorted set of keys (lexical, for list)
 *   ver           store-wide version counter                    lease:<n> hash {holder, fence, exp}
 *   fence:<n>     fence counter of lease n (never reset)        log:<n>  stream, entry ids `<seq>-0`
 *   logseq:<n>    last seq of log n (survives trims)
 *
 * Whether data survives a restart of that Redis is its own persistence setting (AOF recommended; the contract
 * test runs it with `appendonly yes`).
 */
import Redis from 'ioredis';
import { redisUrlWithPassword } from '../util/redis-url';
import { RedisScript } from '../util/redis-script';
import type { Lease, LogRecord, StateStore, StoredValue } from './store';
import { StateStoreError } from './store';

export interface RedisStoreOptions {
  /** `redis://host:port/<db>` */
  url: string;
  password?: string;
  keyPrefix?: string;
  /** Longest wait for one command (connection included) before the call fails. Default 1000 ms. */
  commandTimeoutMs?: number;
}

const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// KEYS: kv, ver, idx · ARGV: json, ttl ('' = none), key, expected version ('' = unconditional)
const PUT = new RedisScript(
  `if ARGV[4] ~= '' then
     local cur = redis.call('HGET', KEYS[1], 'ver') or '0'
     if cur ~= ARGV[4] then return false end
   end
   local v = redis.call('INCR', KEYS[2])
   redis.call('HSET', KEYS[1], 'v', ARGV[1], 'ver', v)
   if ARGV[2] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) else redis.call('PERSIST', KEYS[1]) end
   redis.call('ZADD', KEYS[3], 0, ARGV[3])
   return v`,
  3,
);

// KEYS: kv · → {v, ver, pttl} or false
const GET = new RedisScript(
  `local r = redis.call('HMGET', KEYS[1], 'v', 'ver')
   if not r[1] then return false end
   return {r[1], r[2], redis.call('PTTL', KEYS[1])}`,
  1,
);

// KEYS: kv, idx · ARGV: key
const DEL = new RedisScript(`redis.call('ZREM', KEYS[2], ARGV[1]); return redis.call('DEL', KEYS[1])`, 2);

// KEYS: idx · ARGV: min, max, limit, kv prefix · → flat {key, v, ver, pttl, …}; drops index entries of expired keys
const LIST = new RedisScript(
  `local out, n, offset, limit = {}, 0, 0, tonumber(ARGV[3])
   while n < limit and offset < 20000 do
     local keys = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', offset, 200)
     if #keys == 0 then break end
     offset = offset + #keys
     for _, k in ipairs(keys) do
       local r = redis.call('HMGET', ARGV[4] .. k, 'v', 'ver')
       if r[1] then
         if n < limit then
           table.insert(out, k); table.insert(out, r[1]); table.insert(out, r[2]); table.insert(out, redis.call('PTTL', ARGV[4] .. k))
           n = n + 1
         end
       else
         redis.call('ZREM', KEYS[1], k); offset = offset - 1
       end
     end
   end
   return out`,
  1,
);

// KEYS: kv, ver, idx · ARGV: by, ttl ('' = none), key
const INCR = new RedisScript(
  `local cur = redis.call('HGET', KEYS[1], 'v')
   local base = 0
   if cur then base = tonumber(cur); if not base then return redis.error_reply('not a number') end end
   local n = base + tonumber(ARGV[1])
   local v = redis.call('INCR', KEYS[2])
   redis.call('HSET', KEYS[1], 'v', string.format('%.17g', n), 'ver', v)
   if (not cur) and ARGV[2] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
   redis.call('ZADD', KEYS[3], 0, ARGV[3])
   return string.format('%.17g', n)`,
  3,
);

// KEYS: lease, fence · ARGV: holder, ttl · → {fence, exp} or false
const ACQUIRE = new RedisScript(
  `${NOW}
   local cur = redis.call('HMGET', KEYS[1], 'holder', 'fence', 'exp')
   local exp = now + tonumber(ARGV[2])
   if cur[1] and tonumber(cur[3]) > now then
     if cur[1] ~= ARGV[1] then return false end
     redis.call('HSET', KEYS[1], 'exp', exp); redis.call('PEXPIRE', KEYS[1], ARGV[2])
     return {cur[2], tostring(exp)}
   end
   local f = redis.call('INCR', KEYS[2])
   redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'fence', f, 'exp', exp); redis.call('PEXPIRE', KEYS[1], ARGV[2])
   return {tostring(f), tostring(exp)}`,
  2,
);

// KEYS: lease · ARGV: holder, fence, ttl ('' = release) · → exp, 1 (released) or false
const RENEW = new RedisScript(
  `${NOW}
   local cur = redis.call('HMGET', KEYS[1], 'holder', 'fence', 'exp')
   if cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] or not cur[3] or tonumber(cur[3]) <= now then return false end
   if ARGV[3] == '' then redis.call('DEL', KEYS[1]); return 1 end
   local exp = now + tonumber(ARGV[3])
   redis.call('HSET', KEYS[1], 'exp', exp); redis.call('PEXPIRE', KEYS[1], ARGV[3])
   return tostring(exp)`,
  1,
);

// KEYS: log, logseq · ARGV: json · → seq
const APPEND = new RedisScript(
  `${NOW}
   local s = redis.call('INCR', KEYS[2])
   redis.call('XADD', KEYS[1], s .. '-0', 'at', now, 'v', ARGV[1])
   return s`,
  2,
);

// KEYS: log, logseq · ARGV: keep
const TRIM = new RedisScript(
  `local last = tonumber(redis.call('GET', KEYS[2]) or '0')
   local first = last - tonumber(ARGV[1])
   if first >= 1 then redis.call('XTRIM', KEYS[1], 'MINID', (first + 1) .. '-0') end
   return 1`,
  2,
);

export class RedisStore implements StateStore {
  readonly description: string;
  private readonly client: Redis;
  private readonly p: string;
  private lastError: Error | undefined;

  constructor(private readonly opts: RedisStoreOptions) {
    const u = new URL(opts.url);
    this.description = `redis (${u.hostname}:${u.port || '6379'} db ${u.pathname.replace(/^\//, '') || '0'})`;
    this.p = opts.keyPrefix ?? 'wsd:';
    const timeout = opts.commandTimeoutMs ?? 1000;
    this.client = new Redis(redisUrlWithPassword(opts.url, opts.password), {
      // RESP2: the reply shapes the scripts return are plain arrays and strings.
      protocol: 2,
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      lazyConnect: true,
      enableOfflineQueue: true,
      maxRetriesPerRequest: 0,
      connectTimeout: timeout,
      commandTimeout: timeout,
      retryStrategy: (times) => Math.min(times * 200, 2000),
      enableReadyCheck: false,
    });
    // Errors surface through the calls; an unhandled 'error' event would crash the bot.
    this.client.on('error', (err: Error) => (this.lastError = err));
  }

  async get<T>(key: string): Promise<StoredValue<T> | undefined> {
    const r = (await this.call('get', (c) => GET.run(c, [this.p + 'kv:' + key]))) as [string, string, number] | null;
    return r ? stored<T>(r[0], r[1], Number(r[2])) : undefined;
  }

  async put<T>(key: string, value: T, opts: { ttlMs?: number } = {}): Promise<number> {
    return Number(await this.call('put', (c) => PUT.run(c, [...this.kvKeys(key), encode(value), ttl(opts.ttlMs), key, ''])));
  }

  async cas<T>(key: string, expectedVersion: number, value: T, opts: { ttlMs?: number } = {}): Promise<number | undefined> {
    const r = await this.call('cas', (c) => PUT.run(c, [...this.kvKeys(key), encode(value), ttl(opts.ttlMs), key, String(expectedVersion)]));
    return r === null ? undefined : Number(r);
  }

  async delete(key: string): Promise<boolean> {
    return Number(await this.call('delete', (c) => DEL.run(c, [this.p + 'kv:' + key, this.p + 'idx', key]))) > 0;
  }

  async list<T>(prefix: string, opts: { limit?: number } = {}): Promise<Array<{ key: string } & StoredValue<T>>> {
    // Lexical range [prefix, prefix + 0xFF): every key starting with the prefix's bytes.
    const min = Buffer.concat([Buffer.from('['), Buffer.from(prefix)]);
    const max = Buffer.concat([Buffer.from('('), Buffer.from(prefix), Buffer.from([0xff])]);
    const flat = (await this.call('list', (c) => LIST.run(c, [this.p + 'idx', min, max, opts.limit ?? 1000, this.p + 'kv:']))) as Array<string | number>;
    const out: Array<{ key: string } & StoredValue<T>> = [];
    for (let i = 0; i + 3 < flat.length; i += 4) {
      // A value that is not JSON is left out (as in the SQLite store): one bad row must not hide the good ones.
      try {
        out.push({ key: String(flat[i]), ...stored<T>(String(flat[i + 1]), String(flat[i + 2]), Number(flat[i + 3])) });
      } catch {
        continue;
      }
    }
    return out;
  }

  async incr(key: string, opts: { by?: number; ttlMs?: number } = {}): Promise<number> {
    return Number(await this.call('incr', (c) => INCR.run(c, [...this.kvKeys(key), opts.by ?? 1, ttl(opts.ttlMs), key])));
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
    const r = (await this.call('acquireLease', (c) => ACQUIRE.run(c, [this.p + 'lease:' + name, this.p + 'fence:' + name, holder, Math.max(1, Math.round(ttlMs))]))) as
      | [string, string]
      | null;
    return r ? { name, holder, fence: Number(r[0]), expiresAt: Number(r[1]) } : undefined;
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    const r = await this.call('renewLease', (c) => RENEW.run(c, [this.p + 'lease:' + lease.name, lease.holder, String(lease.fence), Math.max(1, Math.round(ttlMs))]));
    return r === null ? undefined : { ...lease, expiresAt: Number(r) };
  }

  async releaseLease(lease: Lease): Promise<boolean> {
    return (await this.call('releaseLease', (c) => RENEW.run(c, [this.p + 'lease:' + lease.name, lease.holder, String(lease.fence), '']))) !== null;
  }

  async append<T>(log: string, value: T): Promise<number> {
    return Number(await this.call('append', (c) => APPEND.run(c, [this.p + 'log:' + log, this.p + 'logseq:' + log, encode(value)])));
  }

  async range<T>(log: string, opts: { fromSeq?: number; limit?: number; newestFirst?: boolean } = {}): Promise<LogRecord<T>[]> {
    const key = this.p + 'log:' + log;
    const from = `${Math.max(0, opts.fromSeq ?? 0)}-0`;
    const count = opts.limit ?? 1000;
    const entries = (await this.call('range', (c) =>
      opts.newestFirst ? c.xrevrange(key, '+', from, 'COUNT', count) : c.xrange(key, from, '+', 'COUNT', count),
    )) as Array<[string, string[]]>;
    return entries.map(([id, fields]) => {
      const f = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] ?? '', fields[i + 1] ?? '');
      return { seq: Number(id.split('-')[0]), at: Number(f.get('at')), value: JSON.parse(f.get('v') ?? 'null') as T };
    });
  }

  async trim(log: string, keep: number): Promise<void> {
    await this.call('trim', (c) => TRIM.run(c, [this.p + 'log:' + log, this.p + 'logseq:' + log, Math.max(0, keep)]));
  }

  async ping(): Promise<void> {
    await this.call('ping', (c) => c.ping());
  }

  async close(): Promise<void> {
    const c = this.client;
    if (c.status === 'ready' || c.status === 'connect') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([c.quit().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 250)))]);
      clearTimeout(timer);
    }
    c.disconnect();
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────────────────────────────

  private kvKeys(key: string): [string, string, string] {
    return [this.p + 'kv:' + key, this.p + 'ver', this.p + 'idx'];
  }

  private async call<R>(op: string, fn: (c: Redis) => Promise<R>): Promise<R> {
    try {
      if (this.client.status === 'wait') await this.client.connect();
      return await fn(this.client);
    } catch (err) {
      const e = err as Error;
      const why = this.lastError && this.lastError.message !== e.message ? `${e.message} (${this.lastError.message})` : e.message;
      throw new StateStoreError(`state store ${this.description}: ${op} failed: ${why}`, err);
    }
  }
}

function stored<T>(v: string, ver: string, pttl: number): StoredValue<T> {
  return { value: JSON.parse(v) as T, version: Number(ver), ...(pttl > 0 ? { expiresAt: Date.now() + pttl } : {}) };
}

const ttl = (ms: number | undefined): string => (ms !== undefined && ms > 0 ? String(Math.max(1, Math.round(ms))) : '');

function encode(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new StateStoreError('state store: value is not JSON-serialisable');
  return json;
}
