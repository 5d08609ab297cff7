/**
 * The probe user's login, kept across runs. The login endpoint allows only 10 logins/min per IP (§2.1) and
 * the access JWT lives 15 min, so the bot logs in rarely: it reuses the `access_token` cookie for
 * `cookieReuseSeconds` and refuses to log in more than `loginPerMinute` times in any 60 s window.
 *
 * The cookie is set with `Domain=localhost` (§12), so it is never handed to a cookie jar: the JWT is kept
 * here and sent by the caller as `Authorization: Bearer`. Nothing in this file logs or returns it in text.
 */
import type { HttpErrorKind, HttpTarget } from './http';

export type LoginResult =
  | { kind: 'ok'; jwt: string; cached: boolean; loginMs?: number }
  /** The bot's own limiter said no: no request was sent. */
  | { kind: 'limited'; retryInMs: number }
  | { kind: 'no-password' }
  /** The server answered, but not with a usable cookie. */
  | { kind: 'http'; status: number; location?: string; url: string; noCookie?: boolean }
  | { kind: 'error'; error: HttpErrorKind; message: string; latencyMs: number };

export interface ProbeSessionOptions {
  http: HttpTarget;
  loginPath: string;
  email: string;
  password?: string;
  cookieReuseSeconds: number;
  loginPerMinute: number;
  /** Injectable clock for tests. */
  now?: () => number;
}

export class ProbeSession {
  private jwt: string | undefined;
  private validUntil = 0;
  private readonly logins: number[] = [];
  private inFlight: Promise<LoginResult> | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: ProbeSessionOptions) {
    this.now = opts.now ?? Date.now;
  }

  get hasPassword(): boolean {
    return this.opts.password !== undefined && this.opts.password !== '';
  }

  /** Logins sent in the last 60 s (for evidence). */
  get loginsLastMinute(): number {
    this.prune();
    return this.logins.length;
  }

  /** Drop the cached cookie (the server said `token_not_valid`). */
  invalidate(): void {
    this.jwt = undefined;
    this.validUntil = 0;
  }

  /** A valid access JWT: the cached one, or a fresh login if the limiter allows it. */
  async accessToken(signal?: AbortSignal): Promise<LoginResult> {
    if (!this.hasPassword) return { kind: 'no-password' };
    if (this.jwt !== undefined && this.now() < this.validUntil) return { kind: 'ok', jwt: this.jwt, cached: true };
    // Concurrent runs share one login instead of spending the rate limit twice.
    this.inFlight ??= this.login(signal).finally(() => (this.inFlight = undefined));
    return await this.inFlight;
  }

  private prune(): void {
    const cutoff = this.now() - 60_000;
    while (this.logins.length > 0 && (this.logins[0] ?? 0) <= cutoff) this.logins.shift();
  }

  private async login(signal?: AbortSignal): Promise<LoginResult> {
    this.prune();
    if (this.logins.length >= this.opts.loginPerMinute) {
      return { kind: 'limited', retryInMs: (this.logins[0] ?? this.now()) + 60_000 - this.now() };
    }
    this.logins.push(this.now());
    const res = await this.opts.http.request(this.opts.loginPath, {
      method: 'POST',
      json: { email: this.opts.email, password: this.opts.password },
      ...(signal ? { signal } : {}),
    });
    if (res.kind === 'error') return { kind: 'error', error: res.error, message: res.message, latencyMs: res.latencyMs };
    const cookie = res.status === 200 ? accessCookie(res.headers.getSetCookie()) : undefined;
    if (!cookie) {
      const location = res.headers.get('location') ?? undefined;
      return { kind: 'http', status: res.status, url: res.url, ...(location ? { location } : {}), ...(res.status === 200 ? { noCookie: true } : {}) };
    }
    const reuseMs = this.opts.cookieReuseSeconds * 1000;
    // Never reuse a cookie past its own Max-Age (less a minute of margin).
    const ttlMs = cookie.maxAgeSeconds !== undefined ? Math.min(reuseMs, (cookie.maxAgeSeconds - 60) * 1000) : reuseMs;
    this.jwt = cookie.value;
    this.validUntil = this.now() + Math.max(ttlMs, 0);
    return { kind: 'ok', jwt: cookie.value, cached: false, loginMs: res.latencyMs };
  }
}

/** The `access_token` cookie among Set-Cookie headers, with its Max-Age when given. */
export function accessCookie(setCookies: string[], name = 'access_token'): { value: string; maxAgeSeconds?: number } | undefined {
  for (const sc of setCookies) {
    const [pair, ...attrs] = sc.split(';');
    const eq = pair?.indexOf('=') ?? -1;
    if (!pair || eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    const value = pair.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (value === '') continue; // a deletion cookie
    const maxAge = attrs.map((a) => /^\s*max-age\s*=\s*(-?\d+)/i.exec(a)?.[1]).find((v) => v !== undefined);
    return maxAge !== undefined ? { value, maxAgeSeconds: Number(maxAge) } : { value };
  }
  return undefined;
}
