/**
 * Side effects of the fault switches that change real state instead of the backend's own behaviour:
 *
 * - `leaked-counter` / `rate-limited` write the probe user's `ws_connections:` / `ws_rate:` counter into the cache DB;
 * - `redis-hang` stops the real redis-server process (SIGSTOP, SIGCONT to end it): the kernel still accepts
 *   connections, nothing answers — a hung Redis. Only for a redis-server this program started (its pid is given);
 *   `CLIENT PAUSE … ALL` cannot be lifted early (CLIENT UNPAUSE waits behind the pause itself);
 * - `redis-oom` makes the real redis-server full with `noeviction` (maxmemory below used memory), so writes fail
 *   with Redis' own `OOM command not allowed` error.
 *
 * The two server-wide faults use their own connection: a paused client's queue would hold the UNPAUSE back.
 */
import Redis from 'ioredis';
import type { FaultName } from './faults';
import type { DemoStore } from './store';

/** Longest pause, so a forgotten switch cannot hang a shared redis-server for good. */
const MAX_PAUSE_MS = 60_000;

export class FaultEffects {
  private admin: Redis | undefined;
  private savedMemory: { maxmemory: string; policy: string } | undefined;

  private stopped: number | undefined;
  private resumeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redisUrl: string,
    private readonly store: () => DemoStore,
    private readonly probeUserId: () => number,
    private readonly redisPid?: () => number | undefined,
  ) {}

  private resume(): void {
    clearTimeout(this.resumeTimer);
    if (this.stopped === undefined) return;
    try {
      process.kill(this.stopped, 'SIGCONT');
    } catch {
      /* already gone */
    }
    this.stopped = undefined;
  }

  async apply(name: FaultName, on: boolean): Promise<void> {
    const store = this.store();
    const uid = this.probeUserId();
    switch (name) {
      case 'leaked-counter': {
        const key = store.key(`ws_connections:user:${uid}`);
        if (on) await store.raw(store.cacheDb()).set(key, '5', 'EX', 86400);
        else await Promise.all([store.raw(store.dbs.cache).del(key), store.raw(store.dbs.cacheFallback).del(key)]);
        return;
      }
      case 'rate-limited': {
        const key = store.key(`ws_rate:user:${uid}`);
        if (on) await store.raw(store.cacheDb()).set(key, '10', 'EX', 60);
        else await Promise.all([store.raw(store.dbs.cache).del(key), store.raw(store.dbs.cacheFallback).del(key)]);
        return;
      }
      case 'redis-hang': {
        const pid = this.redisPid?.();
        if (pid === undefined) throw new Error('redis-hang needs the pid of a redis-server the demo started (option redisPid)');
        if (on) {
          process.kill(pid, 'SIGSTOP');
          this.stopped = pid;
          // Never leave it stopped for good, whatever happens to the switch.
          this.resumeTimer = setTimeout(() => this.resume(), MAX_PAUSE_MS);
          this.resumeTimer.unref();
        } else this.resume();
        return;
      }
      case 'redis-oom':
        return on ? this.fillMemory() : this.restoreMemory();
      default:
        return;
    }
  }

  async close(): Promise<void> {
    this.resume();
    this.admin?.disconnect(false);
    this.admin = undefined;
  }

  private async fillMemory(): Promise<void> {
    const c = this.client();
    const [, maxmemory = '0'] = (await c.call('CONFIG', ['GET', 'maxmemory'])) as string[];
    const [, policy = 'noeviction'] = (await c.call('CONFIG', ['GET', 'maxmemory-policy'])) as string[];
    this.savedMemory ??= { maxmemory, policy };
    await c.call('CONFIG', ['SET', 'maxmemory-policy', 'noeviction']);
    await c.call('CONFIG', ['SET', 'maxmemory', '1']);
  }

  private async restoreMemory(): Promise<void> {
    const saved = this.savedMemory ?? { maxmemory: '0', policy: 'noeviction' };
    this.savedMemory = undefined;
    const c = this.client();
    await c.call('CONFIG', ['SET', 'maxmemory', saved.maxmemory]);
    await c.call('CONFIG', ['SET', 'maxmemory-policy', saved.policy]);
  }

  private client(): Redis {
    this.admin ??= new Redis(this.redisUrl, { maxRetriesPerRequest: 1, enableReadyCheck: false, lazyConnect: false });
    this.admin.on('error', () => undefined);
    return this.admin;
  }
}
