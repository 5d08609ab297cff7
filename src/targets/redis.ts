/**
 * Redis clients for checks: one per logical DB, lazily connected, failing fast. A check must get an error
 * in milliseconds when Redis is down, never a command queued until some reconnect that may not come.
 */
import Redis from 'ioredis';
import { redisUrlWithPassword } from '../util/redis-url';

/**
 * With `maxRetriesPerRequest: 0` a command sent while the connection fails rejects with ioredis' generic
 * "Reached the max retries per request limit"; the useful cause (ECONNREFUSED, ENOTFOUND, WRONGPASS) arrives
 * on the client's 'error' event just before. Remember it per server URL so findings can name it.
 */
const lastConnectionError = new Map<string, { err: Error; at: number }>();

/** The real cause behind a Redis command failure, when ioredis only reported its retry limit. */
export function redisFailureCause(url: string, err: unknown): unknown {
  if (!(err instanceof Error) || err.name !== 'MaxRetriesPerRequestError') return err;
  const last = lastConnectionError.get(url);
  return last && Date.now() - last.at < 30_000 ? last.err : err;
}

export interface RedisTargetOptions {
  url: string;
  password?: string;
  connectTimeoutMs?: number;
}

export class RedisTarget {
  private readonly clients = new Map<number, Redis>();

  constructor(private readonly opts: RedisTargetOptions) {}

  client(db: number): Redis {
    let c = this.clients.get(db);
    if (!c) {
      c = new Redis(redisUrlWithPassword(this.opts.url, this.opts.password), {
        db,
        // RESP2, chosen on purpose (ioredis 6 defaults to RESP3 via HELLO 3): the watched stack's own clients
        // (redis-py under channels_redis, django-redis and Celery) speak RESP2, so the bot sees the server as they
        // do; INFO/CLIENT LIST/SCAN replies keep the shapes the checks parse; no HELLO round trip on each fresh
        // connection; and proxies or managed Redis that refuse HELLO with an error other than "unknown command"
        // (which ioredis' automatic downgrade does not recognise) still answer.
        protocol: 2,
        ...(this.opts.password !== undefined ? { password: this.opts.password } : {}),
        lazyConnect: true,
        enableOfflineQueue: true,
        maxRetriesPerRequest: 0,
        connectTimeout: this.opts.connectTimeoutMs ?? 2000,
        // Reconnect in the background with a short backoff so a Redis that comes back is seen on the next run.
        retryStrategy: (times) => Math.min(times * 200, 2000),
        enableReadyCheck: false,
      });
      // Errors surface through the command promises (an unhandled 'error' event would crash the bot); the
      // last one is kept to explain them.
      c.on('error', (err: Error) => lastConnectionError.set(this.opts.url, { err, at: Date.now() }));
      this.clients.set(db, c);
    }
    return c;
  }

  /**
   * Close every client, bounded: a polite QUIT first, but a Redis that accepts and never answers would make
   * QUIT wait forever (and keep a one-shot CLI alive), so after `graceMs` the socket is simply dropped.
   * `disconnect()` also stops the background reconnect timer of a client whose server is gone.
   */
  async close(graceMs = 250): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(
      all.map(async (c) => {
        if (c.status === 'ready' || c.status === 'connect') {
          let timer: NodeJS.Timeout | undefined;
          const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
          await Promise.race([c.quit().catch(() => undefined), grace]);
          clearTimeout(timer);
        }
        c.disconnect();
      }),
    );
  }
}
