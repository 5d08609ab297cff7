/**
 * Check 4 — login + connection-token issuance (§2.1, §12). The probe user logs in rarely (cookie reused, logins
 * limited: the server allows 10/min per IP) and sends the JWT as Bearer, because the cookie is set for
 * `Domain=localhost` and would not be replayed to 127.0.0.1 by a cookie jar.
 *
 * Only an *authenticated* token request sees a Redis outage (unauthenticated → still 401, §12), which is why
 * this check needs the probe password. The token goes to `artifacts` for checks 5 and 6, never into text.
 */
import { refusesJwt } from '../targets/connection-token';
import { isSelfHttpsRedirect, jsonBody } from '../targets/http';
import type { LoginResult } from '../targets/session';
import { disallowedHostOutcome, isDisallowedHost } from './django-answers';
import { backendUnreachable, is3xx } from './probe-helpers';
import type { Check, CheckOutcome, Evidence } from './types';

const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

export const tokenIssuance: Check = {
  name: 'token-issuance',
  title: 'Login and connection-token issuance',
  ref: 'target-system §2.1, §12, check 4',
  async run(ctx): Promise<CheckOutcome> {
    const { session, http } = ctx.targets;
    const b = ctx.env.backend;
    if (!session.hasPassword) {
      const envVar = `WS_DOCTOR_${ctx.envName.toUpperCase().replace(/-/g, '_')}_SERVICE_PASSWORD`;
      return {
        status: 'unknown',
        summary: `no probe password: set ${envVar} (or WS_DOCTOR_SERVICE_PASSWORD, or backend.serviceAccount.password) for ${b.serviceAccount.email}`,
        signals: ['no-probe-credentials'],
      };
    }

    let relogin = false;
    let login = await session.accessToken(ctx.signal);
    if (login.kind !== 'ok') return loginFailed(login, b.paths.login, session.loginsLastMinute);
    const requestToken = (jwt: string) =>
      http.request(b.paths.wsToken, { method: 'POST', headers: { Authorization: `Bearer ${jwt}` }, signal: ctx.signal });
    let res = await requestToken(login.jwt);
    // A cached JWT may have expired or been revoked (session_version), or come from a store that outlived a
    // key rotation: log in again, once, so a stale cache never becomes the verdict.
    if (res.kind === 'response' && refusesJwt(res.status, res.body, login.cached)) {
      relogin = true;
      session.invalidate();
      login = await session.accessToken(ctx.signal);
      if (login.kind !== 'ok') return loginFailed(login, b.paths.login, session.loginsLastMinute);
      res = await requestToken(login.jwt);
    }

    const path = b.paths.wsToken;
    const base: Evidence = { loginCached: login.cached, relogin, ...(login.loginMs !== undefined ? { loginMs: login.loginMs } : {}) };
    if (res.kind === 'error') {
      const out = backendUnreachable(`POST ${path}`, res);
      return { ...out, evidence: { ...base, ...out.evidence } };
    }
    const evidence: Evidence = { ...base, status: res.status, tokenLatencyMs: res.latencyMs };
    const body = jsonBody(res.body) as { connection_token?: unknown; code?: unknown; expires_in?: unknown } | undefined;
    const s = res.status;

    if (s === 200) {
      const token = body?.connection_token;
      if (typeof token !== 'string' || !TOKEN_RE.test(token)) {
        return {
          status: 'fail',
          summary: `POST ${path} → 200 without a 43-char connection token`,
          evidence: { ...evidence, tokenLength: typeof token === 'string' ? token.length : null },
          signals: ['token-malformed'],
        };
      }
      const ok: Evidence = { ...evidence, tokenLength: token.length, expiresIn: typeof body?.expires_in === 'number' ? body.expires_in : null };
      session.rememberToken(token);
      const expiresIn = typeof body?.expires_in === 'number' ? body.expires_in : undefined;
      const artifacts = { token, issuedAt: Date.now(), ...(expiresIn !== undefined ? { expiresIn } : {}), probeUserId: session.identity.userId };
      if (res.latencyMs > ctx.env.checks.thresholds.tokenLatencyWarnMs) {
        return { status: 'warn', summary: `token issued, but slowly: ${res.latencyMs} ms`, evidence: ok, signals: ['slow-token'], artifacts };
      }
      return { status: 'ok', summary: `token issued in ${res.latencyMs} ms${login.cached ? ' (cached login)' : ''}`, evidence: ok, artifacts };
    }
    if (s === 401 || s === 403) {
      return {
        status: 'fail',
        summary: `POST ${path} → ${s}: the probe's JWT was not accepted${relogin ? ' even after a fresh login' : ''}`,
        evidence,
        signals: ['credentials'],
      };
    }
    if (s === 429) return { status: 'warn', summary: `POST ${path} → 429: throttled (DRF user/anon rates)`, evidence, signals: ['throttled'] };
    if (s === 500) {
      // The view's own 500 is JSON with a code; Django's HTML 500 page means something before the view raised
      // (the DRF throttle reading the cache, §12).
      if (body?.code === 'TOKEN_GENERATION_ERROR') {
        return {
          status: 'fail',
          summary: `POST ${path} → 500 TOKEN_GENERATION_ERROR: the token service raised inside the view (cache and throttle worked)`,
          evidence: { ...evidence, code: 'TOKEN_GENERATION_ERROR' },
          signals: ['token-generation-error'],
        };
      }
      return {
        status: 'fail',
        summary: `POST ${path} → 500 before the view ran: the DRF throttle or auth raised (it reads the web process's cache first, §12)`,
        evidence,
        signals: ['token-endpoint-500'],
      };
    }
    if (isDisallowedHost(res)) return disallowedHostOutcome(`POST ${path}`, res.url, evidence);
    if (s === 503) {
      const code = typeof body?.code === 'string' ? body.code.slice(0, 40) : null;
      return {
        status: 'fail',
        summary: `POST ${path} → 503 ${code ?? ''}: the cache (Redis) is unavailable to Django`.replace('  ', ' '),
        evidence: { ...evidence, code },
        signals: ['token-endpoint-503'],
      };
    }
    if (is3xx(s)) {
      const location = res.headers.get('location') ?? undefined;
      const self = isSelfHttpsRedirect(res.url, location);
      return {
        status: 'fail',
        summary: `POST ${path} → ${s}${self ? ' to itself on https (SSL redirect, R8)' : ' redirect'}`,
        evidence: { ...evidence, selfRedirect: self },
        signals: [self ? 'ssl-redirect' : 'unexpected-redirect'],
      };
    }
    return { status: 'fail', summary: `POST ${path} → ${s}`, evidence, signals: [s === 404 || s === 405 ? 'routing-error' : 'backend-error'] };
  },
};

/** A login that did not yield a JWT, as a finding. */
function loginFailed(login: Exclude<LoginResult, { kind: 'ok' }>, path: string, loginsLastMinute: number): CheckOutcome {
  if (login.kind === 'http' && login.disallowedHost) {
    return disallowedHostOutcome(`POST ${path}`, login.url, { loginStatus: login.status, loginsLastMinute });
  }
  switch (login.kind) {
    case 'no-password':
      return { status: 'unknown', summary: 'no probe password', signals: ['no-probe-credentials'] };
    case 'limited':
      return {
        status: 'unknown',
        summary: `not logging in again yet: the bot's own login limit is spent (next in ${Math.ceil(login.retryInMs / 1000)} s)`,
        evidence: { loginsLastMinute, retryInMs: login.retryInMs },
        signals: ['login-limited'],
      };
    case 'error':
      return backendUnreachable(`POST ${path}`, login);
    case 'http': {
      const s = login.status;
      const evidence: Evidence = { loginStatus: s, loginsLastMinute };
      if (login.noCookie) {
        return { status: 'fail', summary: `POST ${path} → 200 but no access_token cookie`, evidence, signals: ['login-no-cookie'] };
      }
      if (s === 400 || s === 401 || s === 403) {
        return { status: 'fail', summary: `login rejected (${s}): check the probe account's email/password`, evidence, signals: ['credentials'] };
      }
      if (s === 429) return { status: 'warn', summary: `login throttled (429, 10/min per IP)`, evidence, signals: ['throttled'] };
      if (is3xx(s)) {
        const self = isSelfHttpsRedirect(login.url, login.location);
        return {
          status: 'fail',
          summary: `POST ${path} → ${s}${self ? ' to itself on https (SSL redirect, R8)' : ' redirect'}`,
          evidence: { ...evidence, selfRedirect: self },
          signals: [self ? 'ssl-redirect' : 'unexpected-redirect'],
        };
      }
      return {
        status: 'fail',
        summary: `POST ${path} → ${s}${s >= 500 ? ' (login reads the web process\'s cache first, for its rate limit)' : ''}`,
        evidence,
        signals: [s >= 500 ? 'login-error' : 'backend-error'],
      };
    }
  }
}
