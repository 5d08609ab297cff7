/**
 * The demo backend's Redis: one ioredis client per logical DB, used the way Django's cache and channels_redis
 * use theirs (target-system §4):
 *
 * - Django cache (`CACHE_URL`): DB 2, or DB 4 when CACHE_URL is unset (fault `wrong-cache-db`). Keys carry the
 *   `allthrive:1:` prefix.
 * - Channel layer (`REDIS_URL`): DB 3, raw `asgi:` keys.
 *
 * Clients never queue commands while disconnected and time commands out, so a vanished Redis fails requests
 * fast instead of hanging them, and they reconnect by themselves when it returns. Faults `redis-down` and
 * `channel-layer-down` make operations fail with redis-py's own message without touching the redis-server.
 */
import Redis from 'ioredis';
import type { FaultSwitches } from './faults';

export const CACHE_KEY_PREFIX = 'allthrive:1:';
export const CHANNEL_LAYER_PREFIX = 'asgi';

export interface DemoRedisDbs {
  /** Django cache DB when CACHE_URL is set (local compose). Default 2. */
  cache: number;
  /** Django cache DB when CACHE_URL is unset. Default 4. */
  cacheFallback: number;
  /** Channels layer DB. Default 3. */
  channelLayer: number;
}

export const DEFAULT_DBS: DemoRedisDbs = { cache: 2, cacheFallback: 4, channelLayer: 3 };

/** What redis-py raises (`redis.exceptions.ConnectionError` / `TimeoutError`), as Python would print it. */
export class RedisConnectionError extends Error {
  constructor(
    message: string,
    readonly pyType = 'redis.exceptions.ConnectionError',
  ) {
    super(message);
    this.name = 'RedisConnectionError';
  }
}

/** The host:port redis-py would name: the compose service `redis:6379` for simulated outages. */
const SIMULATED = 'redis:6379';

export class DemoStore {
  private readonly clients = new Map<number, Redis>();
  private readonly address: string;
  private closed = false;

  constructor(
    private readonly redisUrl: string,
    private readonly faults: FaultSwitches,
    readonly dbs: DemoRedisDbs = DEFAULT_DBS,
  ) {
    const u = new URL(redisUrl);
    this.address = `${u.hostname || 'localhost'}:${u.port || '6379'}`;
    for (const db of new Set([dbs.cache, dbs.cacheFallback, dbs.channelLayer])) this.client(db);
  }

  /** The DB the Django cache uses right now. */
  cacheDb(): number {
    return this.faults.isOn('wrong-cache-db') ? this.dbs.cacheFallback : this.dbs.cache;
  }

  /** Django's key function: `allthrive:1:<key>`. */
  key(k: string): string {
    return CACHE_KEY_PREFIX + k;
  }

  /** Run a Django-cache operation; fails like redis-py when Redis is (or is simulated) unreachable. */
  async cache<T>(op: (r: Redis) => Promise<T>): Promise<T> {
    if (this.faults.isOn('redis-down')) throw simulatedOutage();
    if (this.faults.isOn('cache-unreachable')) throw simulatedOutage(CACHE_ONLY);
    return await this.run(this.cacheDb(), op);
  }

  /** Run a channel-layer operation (DB 3). */
  async channel<T>(op: (r: Redis) => Promise<T>): Promise<T> {
    if (this.faults.isOn('redis-down') || this.faults.isOn('channel-layer-down')) throw simulatedOutage();
    return await this.run(this.dbs.channelLayer, op);
  }

  /** Raw client of one DB (no fault simulation): for fault side effects and tests. */
  raw(db: number): Redis {
    return this.client(db);
  }

  /** Resolve when every client is connected, or after `timeoutMs` (the backend starts anyway, like Django). */
  async ready(timeoutMs = 3000): Promise<boolean> {
    const all = [...this.clients.values()].map(
      (c) =>
        new Promise<boolean>((resolve) => {
          if (c.status === 'ready') return resolve(true);
          const t = setTimeout(() => (c.off('ready', onReady), resolve(false)), timeoutMs);
          const onReady = () => (clearTimeout(t), resolve(true));
          c.once('ready', onReady);
        }),
    );
    return (await Promise.all(all)).every(Boolean);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.clients.values()) c.disconnect(false);
    this.clients.clear();
  }

  private client(db: number): Redis {
    let c = this.clients.get(db);
    if (!c) {
      if (this.closed) throw new RedisConnectionError(`Error 111 connecting to ${this.address}. Connection refused.`);
      c = new Redis(this.redisUrl, {
        db,
        // RESP2 like the real stack's redis-py clients this store stands in for (see targets/redis.ts).
        protocol: 2,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 1000,
        commandTimeout: 2000,
        retryStrategy: (times) => Math.min(100 * times, 1000),
        lazyConnect: false,
      });
      c.on('error', () => {
        /* reported per command; ioredis keeps reconnecting */
      });
      this.clients.set(db, c);
    }
    return c;
  }

  private async run<T>(db: number, op: (r: Redis) => Promise<T>): Promise<T> {
    try {
      return await op(this.client(db));
    } catch (err) {
      throw this.translate(err);
    }
  }

  /** ioredis errors → what redis-py would have said. Redis reply errors (WRONGTYPE …) pass unchanged. */
  private translate(err: unknown): Error {
    if (err instanceof RedisConnectionError) return err;
    const msg = err instanceof Error ? err.message : String(err);
    if (/timed out/i.test(msg)) return new RedisConnectionError('Timeout reading from socket', 'redis.exceptions.TimeoutError');
    if (/writeable|Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|max retries|ETIMEDOUT|connect/i.test(msg)) {
      return new RedisConnectionError(`Error 111 connecting to ${this.address}. Connection refused.`);
    }
    return err instanceof Error ? err : new Error(msg);
  }
}

/** The host a mistyped CACHE_URL names (fault `cache-unreachable`). */
const CACHE_ONLY = 'redis-cache:6379';

function simulatedOutage(address = SIMULATED): RedisConnectionError {
  return new RedisConnectionError(`Error 111 connecting to ${address}. Connection refused.`);
}

/** Frames of a plausible redis-py traceback, for the ERROR lines that carry one. */
export const REDIS_TRACEBACK_FRAMES = [
  '  File "/usr/local/lib/python3.12/site-packages/redis/asyncio/connection.py", line 284, in connect',
  '    await self.retry.call_with_retry(',
];
