/**
 * Check 9 (WebSocket state) — chat channel groups in the channel-layer DB and the per-user connection counters
 * in the cache DB (§3.1, §4, §12). A counter leaks upward when a server dies without running `disconnect`;
 * at 5 (DEBUG off) that user's every handshake is a 403 for up to 24 h. Fix: R4 (DEL the counter).
 * Counting uses a bounded SCAN + MGET, never KEYS; counter values are raw ints, so MGET is safe (no pickle).
 */
import { globEscape, scanKeys } from '../targets/redis-scan';
import { redisCall } from './probe-helpers';
import { redisUnreachable } from './redis';
import type { Check, CheckOutcome, Evidence } from './types';

export const wsCounters: Check = {
  name: 'ws-counters',
  title: 'Chat groups and connection counters',
  ref: 'target-system §3.1, §4, §12, check 9',
  async run(ctx): Promise<CheckOutcome> {
    const r = ctx.env.redis;
    const t = ctx.env.checks.thresholds;
    const call = <T>(p: Promise<T>) => redisCall(p, ctx.signal, r.commandTimeoutMs);
    const counterPrefix = `${r.cacheKeyPrefix}ws_connections:user:`;
    let groups: { keys: string[]; complete: boolean };
    let counters: { keys: string[]; complete: boolean };
    const values: Array<string | null> = [];
    try {
      [groups, counters] = await Promise.all([
        call(scanKeys(ctx.targets.redis(r.dbs.channelLayer), `${globEscape(r.channelLayerPrefix)}:group:chat_*`, r.scanLimit, ctx.signal)),
        call(scanKeys(ctx.targets.redis(r.dbs.cache), `${globEscape(counterPrefix)}*`, r.scanLimit, ctx.signal)),
      ]);
      const cache = ctx.targets.redis(r.dbs.cache);
      for (let i = 0; i < counters.keys.length; i += 500) values.push(...(await call(cache.mget(counters.keys.slice(i, i + 500)))));
    } catch (err) {
      return redisUnreachable(r.url, err, 'unknown');
    }

    const parsed = counters.keys.map((k, i) => ({ uid: k.slice(counterPrefix.length), n: /^\d+$/.test(values[i] ?? '') ? Number(values[i]) : 0 }));
    const leaked = parsed.filter((c) => c.n >= t.leakedCounterMin).sort((a, b) => b.n - a.n);
    const evidence: Evidence = {
      chatGroups: groups.keys.length,
      counters: parsed.length,
      countedConnections: parsed.reduce((s, c) => s + c.n, 0),
      leakedCounters: leaked.length,
      maxCounter: parsed.reduce((m, c) => Math.max(m, c.n), 0),
      complete: groups.complete && counters.complete,
    };
    if (leaked.length > 0) {
      evidence.leakedUsers = leaked.slice(0, 5).map((c) => c.uid).join(',');
      return {
        status: 'warn',
        summary: `${leaked.length} user counter(s) at ≥ ${t.leakedCounterMin} open sockets (user ${evidence.leakedUsers}): with DEBUG off their handshakes get 403 — R4 clears them`,
        evidence,
        signals: ['leaked-counter'],
      };
    }
    return {
      status: 'ok',
      summary: `${evidence.chatGroups} chat group(s), ${evidence.counters} user counter(s), none ≥ ${t.leakedCounterMin}${evidence.complete ? '' : ' (partial scan)'}`,
      evidence,
    };
  },
};
