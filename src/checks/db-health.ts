/**
 * Check 2 — Django stack + DB. `/api/v1/db/health/` goes through the whole middleware chain, so unlike the
 * liveness path it shows the SSL-redirect incident (§9.1: a 301 whose Location is the same URL on https),
 * a DB outage (503) and a cache/Redis failure in middleware or throttling (500).
 */
import { isSelfHttpsRedirect, redirectLocation } from '../targets/http';
import { disallowedHostOutcome, isDisallowedHost, SSL_SIGNAL, sslRedirectKind } from './django-answers';
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
        const botSends = ctx.env.backend.forwardedProto !== undefined;
        const { kind, withHeaderStatus } = await sslRedirectKind(ctx.targets.http, path, botSends, ctx.signal);
        const why =
          kind === 'proxy-header-missing'
            ? `with X-Forwarded-Proto: https it is ${withHeaderStatus}: the request reached Django without that header (proxy not sending it, or the bot bypassing the proxy)`
            : kind === 'setting-ignores-header'
              ? `also with X-Forwarded-Proto: https (${withHeaderStatus}): Django no longer trusts the header (SECURE_PROXY_SSL_HEADER changed or removed)`
              : `the second probe with X-Forwarded-Proto failed (${withHeaderStatus})`;
        return {
          status: 'fail',
          summary: `GET ${path} → ${s} to itself on https; ${why}`,
          evidence: { ...ev, selfRedirect: true, withForwardedProto: withHeaderStatus, botSendsForwardedProto: botSends, probedScheme: res.url.startsWith('https:') ? 'https' : 'http' },
          signals: ['ssl-redirect', SSL_SIGNAL[kind]],
        };
      }
      return { status: 'warn', summary: `GET ${path} → ${s} redirect elsewhere`, evidence: ev, signals: ['unexpected-redirect'] };
    }
    if (isDisallowedHost(res)) return disallowedHostOutcome(`GET ${path}`, res.url, evidence);
    if (s === 500) {
      return {
        status: 'fail',
        summary: `GET ${path} → 500: an exception in the request path before the DB check (the DRF throttle reads the web process's cache first)`,
        evidence,
        signals: ['token-or-cache-500'],
      };
    }
    return { status: 'fail', summary: `GET ${path} → ${s}`, evidence, signals: ['backend-error'] };
  },
};
