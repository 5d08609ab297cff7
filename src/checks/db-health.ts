/**
 * Check 2 — Django stack + DB. `/api/v1/db/health/` goes through the whole middleware chain, so unlike the
 * liveness path it shows the SSL-redirect incident (§9.1: a 301 whose Location is the same URL on https),
 * a DB outage (503) and a cache/Redis failure in middleware or throttling (500).
 */
import { isSelfHttpsRedirect, redirectLocation } from '../targets/http';
import { backendUnreachable, is3xx } from './probe-helpers';
import type { Check } from './types';

export const dbHealth: Check = {
  name: 'db-health',
  title: 'Django + database health',
  ref: 'target-system §9.1, check 2',
  async run(ctx) {
    const path = ctx.env.backend.paths.dbHealth;
    const res = await ctx.targets.http.request(path, { signal: ctx.signal });
    if (res.kind === 'error') return backendUnreachable(`GET ${path}`, res);
    const evidence = { status: res.status, latencyMs: res.latencyMs };
    const s = res.status;
    if (s === 200) return { status: 'ok', summary: `GET ${path} → 200 in ${res.latencyMs} ms`, evidence };
    if (s === 503) return { status: 'fail', summary: `GET ${path} → 503: the database is down or unreachable`, evidence, signals: ['db-down'] };
    if (is3xx(s)) {
      const location = redirectLocation(res);
      const ev = { ...evidence, location: location ? (location.split('?')[0] ?? null) : null };
      if (isSelfHttpsRedirect(res.url, location)) {
        return {
          status: 'fail',
          summary: `GET ${path} → ${s} to itself on https: SECURE_SSL_REDIRECT without a matching SECURE_PROXY_SSL_HEADER (the SSL-redirect incident, R8)`,
          evidence: { ...ev, selfRedirect: true },
          signals: ['ssl-redirect'],
        };
      }
      return { status: 'warn', summary: `GET ${path} → ${s} redirect elsewhere`, evidence: ev, signals: ['unexpected-redirect'] };
    }
    if (s === 500) {
      return {
        status: 'fail',
        summary: `GET ${path} → 500: an exception in the request path, most likely the cache (Redis) — see the redis check`,
        evidence,
        signals: ['token-or-cache-500'],
      };
    }
    return { status: 'fail', summary: `GET ${path} → ${s}`, evidence, signals: ['backend-error'] };
  },
};
