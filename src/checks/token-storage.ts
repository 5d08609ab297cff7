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
    const lookedUpAt = Date.now();
    const ageMs = lookedUpAt - issuedAt;
    const maxMs = ctx.env.checks.thresholds.tokenTtlMaxSeconds * 1000;
    // The endpoint advertises `expires_in` (60): a key that lives far less than that fails slow clients (§13).
    const advertisedMs = (typeof artifacts.expiresIn === 'number' ? artifacts.expiresIn : 60) * 1000;
    if (exists === 1) {
      const lifetimeMs = ageMs + pttl;
      const evidence = { db: dbs.cache, pttlMs: pttl, ageMs, advertisedTtlS: advertisedMs / 1000 };
      const stored = { ...artifacts, stored: true, expiresAt: pttl > 0 ? lookedUpAt + pttl : null };
      if (pttl > 0 && pttl <= maxMs && lifetimeMs >= advertisedMs / 2) {
        return { status: 'ok', summary: `token stored in DB ${dbs.cache}, TTL ${Math.round(pttl / 1000)} s`, evidence, artifacts: stored };
      }
      if (pttl > 0 && lifetimeMs < advertisedMs / 2) {
        return {
          status: 'warn',
          summary: `token stored in DB ${dbs.cache} with a TTL of about ${(lifetimeMs / 1000).toFixed(1)} s, while the endpoint advertises expires_in ${advertisedMs / 1000} s: clients slower than that get 403`,
          evidence,
          signals: ['token-ttl-short'],
          artifacts: stored,
        };
      }
      return {
        status: 'warn',
        summary: `token stored in DB ${dbs.cache} but TTL is ${pttl < 0 ? 'not set' : `${Math.round(pttl / 1000)} s`} (expected ≤ ${maxMs / 1000} s)`,
        evidence,
        signals: ['token-ttl-unexpected'],
        artifacts: stored,
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
    // Not in either DB: expired already (TTL far below expires_in), or stored in a Redis the bot does not see.
    // The handshake tells the two apart: the server finds its own token only in the second case.
    return {
      status: 'fail',
      summary: `issued token not found in DB ${dbs.cache} nor DB ${dbs.cacheFallback} (${ageMs} ms after issuance): expired already, or stored in a Redis the bot does not see`,
      evidence: { db: dbs.cache, fallbackDb: dbs.cacheFallback, ageMs },
      signals: ['token-not-stored'],
      artifacts,
    };
  },
};
