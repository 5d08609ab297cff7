/**
 * Check 9 (server part) — the Redis every part of the stack shares (§4): reachable, fast, not near maxmemory
 * (ElastiCache evicts with volatile-lru, and every key has a TTL — group memberships included), and how many
 * keys each DB holds. The bot reaches Redis directly; locally compose publishes no port (§7), so an
 * unreachable Redis may be the bot's network view, not an outage — the summary says which host was tried.
 */
import { elapsed } from '../targets/http';
import { errText, hostOf, redisCall } from './probe-helpers';
import { redisFailureCause } from '../targets/redis';
import type { Check, CheckOutcome, Evidence, Status } from './types';

/** `INFO` text → field map. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** Whether a Redis failure is "accepted but never answered" (a hung or paused server), not a refusal. */
export function isRedisTimeout(text: string): boolean {
  return /no Redis answer within|timed out|ETIMEDOUT/i.test(text);
}

/**
 * A Redis failure as a finding: auth problems are named; a timeout is `redis-down` + `redis-timeout` (the server
 * holds the connection but does not answer), so diagnosis attributes the stack's hanging requests to Redis.
 */
export function redisUnreachable(url: string, err: unknown, status: Status = 'fail'): CheckOutcome {
  const text = errText(redisFailureCause(url, err));
  const auth = /NOAUTH|WRONGPASS|invalid password|AUTH/i.test(text);
  const hung = !auth && isRedisTimeout(text);
  return {
    status,
    summary: auth
      ? `Redis at ${hostOf(url)} refused the bot's AUTH (${text})`
      : hung
        ? `Redis at ${hostOf(url)} does not answer (${text}): the server holds connections without replying`
        : `bot cannot reach Redis at ${hostOf(url)} (${text})`,
    evidence: { error: text.slice(0, 40), timeout: hung },
    signals: auth ? ['redis-auth'] : hung ? ['redis-down', 'redis-timeout'] : ['redis-down'],
  };
}

/** Extra time the first PING (which also connects) may take before it counts as slow. */
const FIRST_ANSWER_ALLOWANCE_MS = 200;
/** Plain PINGs after the first; the fastest one is compared with the warn level. */
const ROUND_TRIPS = 3;

export const redisServer: Check = {
  name: 'redis',
  title: 'Redis reachable, latency, memory, DB sizes',
  ref: 'target-system §4, check 9',
  async run(ctx): Promise<CheckOutcome> {
    const { dbs, url, commandTimeoutMs } = ctx.env.redis;
    const t = ctx.env.checks.thresholds;
    const call = <T>(p: Promise<T>) => redisCall(p, ctx.signal, commandTimeoutMs);
    const main = ctx.targets.redis(dbs.cache);
    let pingMs: number;
    let firstAnswerMs: number;
    let roundTripMs: number;
    let reconnecting = false;
    let info: Record<string, string>;
    const sizes: Evidence = {};
    try {
      // The first PING also connects (lazy client) and is what the user waited for: a Redis busy with a slow
      // command answers it late, and the second, a plain round trip, fast. Both are timed; the slower one is
      // the latency reported, so "PONG in 1 ms" is never said of a Redis that took 2 s to answer.
      // A client that is reconnecting (Redis went away and came back: a restart, `heal`) waits out its own
      // back-off before this PING is even sent; that wait is the client's, not Redis's, so it is reported
      // but not held against Redis.
      // Only the back-off state counts: 'connecting' may be a sibling check's first use of this lazy client.
      reconnecting = main.status === 'reconnecting';
      const t0 = performance.now();
      await call(main.ping());
      firstAnswerMs = elapsed(t0);
      // Then a few plain round trips; the fastest is Redis's own latency. A single one on a busy bot host
      // (twelve checks share this event loop, and the CPU with the stack) measures the host as often as
      // Redis; a Redis that is slow for everyone is slow on every one of them.
      const trips: number[] = [];
      for (let i = 0; i < ROUND_TRIPS; i++) {
        const t1 = performance.now();
        await call(main.ping());
        trips.push(elapsed(t1));
      }
      roundTripMs = Math.min(...trips);
      pingMs = Math.max(reconnecting ? 0 : firstAnswerMs, ...trips);
      info = { ...parseInfo(await call(main.info('memory'))), ...parseInfo(await call(main.info('stats'))) };
      const named: Array<[string, number]> = [
        ['broker', dbs.broker],
        ['cache', dbs.cache],
        ['channelLayer', dbs.channelLayer],
      ];
      const counts = await Promise.all(named.map(([, db]) => call(ctx.targets.redis(db).dbsize())));
      named.forEach(([n], i) => (sizes[`dbsize_${n}`] = counts[i] ?? null));
    } catch (err) {
      return redisUnreachable(url, err);
    }

    const used = Number(info.used_memory ?? NaN);
    const max = Number(info.maxmemory ?? 0);
    const memPct = max > 0 && Number.isFinite(used) ? Math.round((used / max) * 1000) / 10 : null;
    const evidence: Evidence = { pingMs, firstAnswerMs, roundTripMs, reconnected: reconnecting, usedMemoryMb: Number.isFinite(used) ? Math.round(used / 1048576) : null, memoryPercent: memPct, maxmemoryPolicy: info.maxmemory_policy ?? null, ...sizes };

    const problems: string[] = [];
    const signals: string[] = [];
    let status: Status = 'ok';
    const policy = info.maxmemory_policy ?? '';
    const evicted = Number(info.evicted_keys ?? 0);
    evidence.evictedKeys = Number.isFinite(evicted) ? evicted : null;
    // With `noeviction` a full Redis evicts nothing: it refuses every write (tokens, throttles, group_add).
    if (memPct !== null && policy === 'noeviction' && used >= max) {
      status = 'fail';
      problems.push(`memory full (${memPct}% of maxmemory) with maxmemory-policy noeviction: writes are refused (OOM), nothing is evicted`);
      signals.push('redis-oom');
    } else if (memPct !== null && memPct >= t.redisMemoryFailPercent) {
      status = 'fail';
      problems.push(
        policy === 'noeviction'
          ? `memory ${memPct}% of maxmemory (noeviction: writes fail once full)`
          : `memory ${memPct}% of maxmemory (${policy || 'eviction'}: ${evicted} keys evicted so far, tokens and channel groups among the candidates)`,
      );
      signals.push('redis-memory-high');
    } else if (memPct !== null && memPct >= t.redisMemoryWarnPercent) {
      status = 'warn';
      problems.push(`memory ${memPct}% of maxmemory`);
      signals.push('redis-memory-high');
    }
    // Slow is either the fastest round trip above the warn level (slow for everyone), or any one answer held
    // far beyond it (a Redis busy with a slow command: the 2 s case). The first answer also paid for
    // connecting (TCP, the client's ready check, SELECT), which a fresh one-shot CLI or a loaded bot host
    // spends tens of ms on without Redis being slow: hence the allowance of a few round trips there.
    const firstLimitMs = Math.max(4 * t.redisPingWarnMs, t.redisPingWarnMs + FIRST_ANSWER_ALLOWANCE_MS);
    if (roundTripMs > t.redisPingWarnMs || pingMs > firstLimitMs) {
      if (status === 'ok') status = 'warn';
      problems.push(roundTripMs > t.redisPingWarnMs ? `PING ${roundTripMs}–${pingMs} ms` : `a PING answered only after ${pingMs} ms`);
      signals.push('redis-slow');
    }
    const summary = problems.length
      ? `Redis ${problems.join('; ')}`
      : `Redis PONG in ${pingMs - roundTripMs > 5 ? `${roundTripMs}–${pingMs}` : pingMs} ms${memPct !== null ? `, memory ${memPct}%` : ''}, keys: DB ${dbs.broker}=${sizes.dbsize_broker}, DB ${dbs.cache}=${sizes.dbsize_cache}, DB ${dbs.channelLayer}=${sizes.dbsize_channelLayer}`;
    return { status, summary, evidence, ...(signals.length ? { signals } : {}) };
  },
};
