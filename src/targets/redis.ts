/**
 * Redis clients for checks: one per logical DB, lazily connected, failing fast. A check must get an error
 * in milliseconds when Redis is down, never a command queued until some reconnect that may not come.
 */
import Redis from 'ioredis';

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
      c = new Redis(this.opts.url, {
        db,
        ...(this.opts.password !== undefined ? { password: this.opts.password } : {}),
        lazyConnect: true,
        enableOfflineQueue: true,
        maxRetriesPerRequest: 0,
        connectTimeout: this.opts.connectTimeoutMs ?? 2000,
        // Reconnect in the background with a short backoff so a Redis that comes back is seen on the next run.
        retryStrategy: (times) => Math.min(times * 200, 2000),
        enableReadyCheck: false,
      });
      // Errors surface through the command promises; an unhandled 'error' event would crash the bot.
      c.on('error', () => undefined);
      this.clients.set(db, c);
    }
    return c;
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
