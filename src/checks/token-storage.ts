/**
 * Check 5 — the issued token is in the Django cache DB with a TTL ≤ 60 s (§2.2, §12). Only EXISTS/PTTL: the
 * value is a pickle, and a GET would teach nothing a TypeScript bot can read. A token found in the fallback DB
 * (4 when `CACHE_URL` is unset) instead of the configured one is config drift: handshakes on a server with
 * the right DB would then see "Invalid or expired token".
 *
 * Runs between issuance and the handshake (which consumes the token) — chat-handshake lists it in `after`.
 */
import { errText, hostOf, redisCall } from './probe-helpers';
import { redisFailureCause } from '../targets/redis';
import type { Check, CheckOutcome } from './types';

export function tokenKey(prefix: string, token: string): string {
  return `${prefix}ws_conn_token:${token}`;
}

export const tokenStorage: Check = {
  name: 'token-storage',
  title: 'Connection token stored in the cache DB',
  ref: 'target-system §2.2, §12, check 5',
  after: ['token-issuance'],
  async run(ctx): Promise<CheckOutcome> {
    const issued = await ctx.resultOf('token-issuance');
    const token = issued?.artifacts.token;
    if (typeof token !== 'string') {
      return { status: 'unknown', summary: `no token to look up (token-issuance: ${issued?.finding.status ?? 'not run'})` };
    }
    const artifacts = { ...issued?.artifacts };
    const { dbs, cacheKeyPrefix, commandTimeoutMs, url } = ctx.env.redis;
    const key = tokenKey(cacheKeyPrefix, token);
    const issuedAt = typeof artifacts.issuedAt === 'number' ? artifacts.issuedAt : Date.now();
    const cache = ctx.targets.redis(dbs.cache);
    let exists: number;
    let pttl: number;
    try {
      [exists, pttl] = await redisCall(Promise.all([cache.exists(key), cache.pttl(key)]), ctx.signal, commandTimeoutMs);
    } catch (err) {
      // The backend just stored the token, so its Redis works: if the bot cannot reach Redis, say so.
      return {
        status: 'fail',
        summary: `bot cannot reach Redis at ${hostOf(url)} (${errText(redisFailureCause(url, err))}); the backend did issue a token, so its own Redis works — check redis.url/port mapping`,
        evidence: { tokenIssued: true, botReachesRedis: false, error: errText(redisFailureCause(url, err), 40) },
        signals: ['redis-down'],
        artifacts,
      };
    }
    const ageMs = Date.now() - issuedAt;
    const maxMs = ctx.env.checks.thresholds.tokenTtlMaxSeconds * 1000;
    if (exists === 1) {
      const evidence = { db: dbs.cache, pttlMs: pttl, ageMs };
      if (pttl > 0 && pttl <= maxMs) {
        return { status: 'ok', summary: `token stored in DB ${dbs.cache}, TTL ${Math.round(pttl / 1000)} s`, evidence, artifacts: { ...artifacts, stored: true } };
      }
      return {
        status: 'warn',
        summary: `token stored in DB ${dbs.cache} but TTL is ${pttl < 0 ? 'not set' : `${Math.round(pttl / 1000)} s`} (expected ≤ ${maxMs / 1000} s)`,
        evidence,
        signals: ['token-ttl-unexpected'],
        artifacts: { ...artifacts, stored: true },
      };
    }
    let inFallback = 0;
    if (dbs.cacheFallback !== dbs.cache) {
      try {
        inFallback = await redisCall(ctx.targets.redis(dbs.cacheFallback).exists(key), ctx.signal, commandTimeoutMs);
      } catch {
        inFallback = 0;
      }
    }
    if (inFallback === 1) {
      return {
        status: 'fail',
        summary: `token is in DB ${dbs.cacheFallback}, not the cache DB ${dbs.cache}: CACHE_URL unset or pointing elsewhere (config drift)`,
        evidence: { db: dbs.cache, foundInDb: dbs.cacheFallback, ageMs },
        signals: ['wrong-cache-db'],
        artifacts,
      };
    }
    return {
      status: 'fail',
      summary: `issued token not found in DB ${dbs.cache} nor DB ${dbs.cacheFallback} (${ageMs} ms after issuance)`,
      evidence: { db: dbs.cache, fallbackDb: dbs.cacheFallback, ageMs },
      signals: ['token-not-stored'],
      artifacts,
    };
  },
};
