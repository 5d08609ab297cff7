/**
 * The probe user's login, kept across runs. The login endpoint allows only 10 logins/min per IP (§2.1) and
 * the access JWT lives 15 min, so the bot logs in rarely: it reuses the `access_token` cookie for
 * `cookieReuseSeconds` and refuses to log in more than `loginPerMinute` times in any 60 s window.
 *
 * The cookie is set with `Domain=localhost` (§12), so it is never handed to a cookie jar: the JWT is kept
 * here and sent by the caller as `Authorization: Bearer`. Nothing in this file logs or returns it in text.
 *
 * With a LoginCache (core/login-cache.ts: the state store) the login also outlives the process: a one-shot
 * `ws-doctor status` from cron would otherwise log in on every run (a round trip on the critical path, and
 * the server's login limit spent). A cached JWT the server refuses is dropped and replaced by one fresh login.
 */
import type { HttpErrorKind, HttpTarget } from './http';

export type LoginResult =
  | { kind: 'ok'; jwt: string; cached: boolean; loginMs?: number }
  /** The bot's own limiter said no: no request was sent. */
  | { kind: 'limited'; retryInMs: number }
  | { kind: 'no-password' }
  /** The server answered, but not with a usable cookie. */
  | { kind: 'http'; status: number; location?: string; url: string; noCookie?: boolean; disallowedHost?: boolean }
  | { kind: 'error'; error: HttpErrorKind; message: string; latencyMs: number };

/** A login as kept between processes (a secret: its store must be private to the bot). */
export interface CachedLogin {
  jwt: string;
  /** Epoch ms of the login, so a shorter `cookieReuseSeconds` set since applies to it too. */
  loggedInAt: number;
  /** Epoch ms after which it is not used (the reuse window, never past the cookie's own Max-Age). */
  validUntil: number;
  userId?: number;
  username?: string;
}

/** Where the login is kept between processes. Every method may reject: the session then just logs in. */
export interface LoginCache {
  load(): Promise<CachedLogin | undefined>;
  save(login: CachedLogin): Promise<void>;
  drop(): Promise<void>;
}

export interface ProbeSessionOptions {
  http: HttpTarget;
  loginPath: string;
  email: string;
  password?: string;
  cookieReuseSeconds: number;
  loginPerMinute: number;
  /** Keeps the login between processes (the state store); none = this process only. */
  cache?: LoginCache;
  /** Injectable clock for tests. */
  now?: () => number;
}

/** Who the probe logs in as, so the bot can tell its own traffic (and counters) from the stack's. */
export interface ProbeIdentity {
  userId?: number;
  username?: string;
}

/** `user_id` claim of a simplejwt access token (read, not verified: the server verifies it). */
export function jwtUserId(jwt: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { user_id?: unknown };
    const id = typeof payload.user_id === 'string' ? Number(payload.user_id) : payload.user_id;
    return typeof id === 'number' && Number.isInteger(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** `username` from the login body (`data.username` or `data.user.username`), when the serializer gives it. */
function usernameOf(body: string): string | undefined {
  try {
    const d = (JSON.parse(body) as { data?: { username?: unknown; user?: { username?: unknown } } }).data;
    const u = d?.username ?? d?.user?.username;
    return typeof u === 'string' && u.length > 0 && u.length <= 150 ? u : undefined;
  } catch {
    return undefined;
  }
}

/** How many recent token prefixes the session remembers (a few runs' worth). */
const OWN_TOKENS = 64;

export class ProbeSession {
  /** Learned at login; kept when the cookie is dropped (the user does not change). */
  readonly identity: ProbeIdentity = {};
  /** First 8 characters of the connection tokens the bot was issued (the backend logs only that much). */
  readonly tokenPrefixes: string[] = [];

  /** Remember a token the bot was issued, so its refusals in the backend's log are known as the bot's own. */
  rememberToken(token: string): void {
    this.tokenPrefixes.push(token.slice(0, 8));
    if (this.tokenPrefixes.length > OWN_TOKENS) this.tokenPrefixes.shift();
  }
  private jwt: string | undefined;
  private validUntil = 0;
  private readonly logins: number[] = [];
  private inFlight: Promise<LoginResult> | undefined;
  /** The cache is read once per process, before the first login (concurrent callers share the read). */
  private cacheRead: Promise<void> | undefined;
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

  /** Drop the cached cookie, here and in the LoginCache (the server refused it). */
  invalidate(): void {
    this.jwt = undefined;
    this.validUntil = 0;
    void this.opts.cache?.drop().catch(() => undefined);
  }

  /** A valid access JWT: the cached one, or a fresh login if the limiter allows it. */
  async accessToken(signal?: AbortSignal): Promise<LoginResult> {
    if (!this.hasPassword) return { kind: 'no-password' };
    if (this.opts.cache) await (this.cacheRead ??= this.readCache(this.opts.cache));
    if (this.jwt !== undefined && this.now() < this.validUntil) return { kind: 'ok', jwt: this.jwt, cached: true };
    // Concurrent runs share one login instead of spending the rate limit twice.
    this.inFlight ??= this.login(signal).finally(() => (this.inFlight = undefined));
    return await this.inFlight;
  }

  /** Adopts the kept login when it is well-formed and still inside its window; anything else is ignored. */
  private async readCache(cache: LoginCache): Promise<void> {
    const c = await cache.load().catch(() => undefined);
    if (!c || typeof c.jwt !== 'string' || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(c.jwt) || typeof c.loggedInAt !== 'number' || typeof c.validUntil !== 'number') return;
    const until = Math.min(c.validUntil, c.loggedInAt + this.opts.cookieReuseSeconds * 1000);
    if (this.jwt !== undefined || this.now() >= until || c.loggedInAt > this.now()) return;
    this.jwt = c.jwt;
    this.validUntil = until;
    if (typeof c.userId === 'number') this.identity.userId = c.userId;
    if (typeof c.username === 'string') this.identity.username = c.username;
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
      // Django's HTML 400 page (the login view answers its own 400s in JSON): ALLOWED_HOSTS refused the Host.
      const disallowedHost = res.status === 400 && /Bad Request \(400\)|DisallowedHost/.test(res.body);
      return {
        kind: 'http',
        status: res.status,
        url: res.url,
        ...(location ? { location } : {}),
        ...(res.status === 200 ? { noCookie: true } : {}),
        ...(disallowedHost ? { disallowedHost } : {}),
      };
    }
    const reuseMs = this.opts.cookieReuseSeconds * 1000;
    // Never reuse a cookie past its own Max-Age (less a minute of margin).
    const ttlMs = cookie.maxAgeSeconds !== undefined ? Math.min(reuseMs, (cookie.maxAgeSeconds - 60) * 1000) : reuseMs;
    this.jwt = cookie.value;
    const uid = jwtUserId(cookie.value);
    if (uid !== undefined) this.identity.userId = uid;
    const username = usernameOf(res.body);
    if (username !== undefined) this.identity.username = username;
    const loggedInAt = this.now();
    this.validUntil = loggedInAt + Math.max(ttlMs, 0);
    if (this.opts.cache && ttlMs > 0) {
      const kept: CachedLogin = { jwt: cookie.value, loggedInAt, validUntil: this.validUntil, ...this.identity };
      // Not awaited: the probe does not wait on the bot's own store; one that fails only costs the next run a login.
      void this.opts.cache.save(kept).catch(() => undefined);
    }
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
