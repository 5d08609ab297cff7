/**
 * Users and JWT authentication shared by the HTTP views and the WebSocket middleware (target-system §2.1, §2.3):
 * simplejwt-style access tokens, a user lookup that goes to "the database" (fails under `db-down`), and the
 * `session_version` claim checked against `session:version:<uid>` in the cache, failing open on cache errors.
 */
import type { FaultSwitches } from './faults';
import { JwtSigner } from './jwt';
import type { DemoStore } from './store';
import type { DemoUser, UserDirectory } from './users';

/** What psycopg raises through Django when PostgreSQL is gone. */
export class DatabaseUnavailableError extends Error {
  readonly pyType = 'django.db.utils.OperationalError';
  constructor() {
    super('connection to server at "db", port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?');
    this.name = 'DatabaseUnavailableError';
  }
}

export type JwtAuthResult =
  | { ok: true; user: Readonly<DemoUser> }
  | { ok: false; reason: 'token_not_valid' | 'user_not_found' };

const SESSION_VERSION_TTL_S = 30 * 24 * 3600;

export class AuthService {
  constructor(
    readonly users: UserDirectory,
    readonly jwt: JwtSigner,
    private readonly store: DemoStore,
    private readonly faults: FaultSwitches,
  ) {}

  /** `User.objects.get(id=…)`: throws when the database is down. */
  lookupUser(id: number): Readonly<DemoUser> | undefined {
    if (this.faults.isOn('db-down')) throw new DatabaseUnavailableError();
    return this.users.byId(id);
  }

  /** `authenticate(email|username, password)`. */
  checkPassword(login: string, password: string): Readonly<DemoUser> | undefined {
    if (this.faults.isOn('db-down')) throw new DatabaseUnavailableError();
    const u = this.users.byLogin(login);
    return u && u.password === password ? u : undefined;
  }

  /** Signature + expiry only (what the cookie middleware checks before copying the cookie into Authorization). */
  isValidAccessToken(token: string): boolean {
    return this.jwt.verify(token, 'access') !== null;
  }

  /** simplejwt's JWTAuthentication + the session-version check. DB errors propagate. */
  async authenticateAccessToken(token: string): Promise<JwtAuthResult> {
    const claims = this.jwt.verify(token, 'access');
    if (!claims) return { ok: false, reason: 'token_not_valid' };
    const user = this.lookupUser(claims.user_id);
    if (!user) return { ok: false, reason: 'user_not_found' };
    const current = await this.currentSessionVersion(user.id);
    if (current !== null && current !== claims.session_version) return { ok: false, reason: 'token_not_valid' };
    return { ok: true, user };
  }

  /** `session:version:<uid>` (raw int) or null when unset or unreadable (fail open). */
  async currentSessionVersion(userId: number): Promise<number | null> {
    try {
      const v = await this.store.cache((r) => r.get(this.store.key(`session:version:${userId}`)));
      return v === null ? null : Number(v);
    } catch {
      return null;
    }
  }

  /** At login: read the session version, creating it (1) when absent. Cache errors fail open. */
  async sessionVersionForLogin(userId: number): Promise<number> {
    const key = this.store.key(`session:version:${userId}`);
    try {
      await this.store.cache((r) => r.set(key, '1', 'EX', SESSION_VERSION_TTL_S, 'NX'));
      const v = await this.store.cache((r) => r.get(key));
      return v === null ? 1 : Number(v);
    } catch {
      return 1;
    }
  }

  /** Sliding 24 h activity window refreshed on an authenticated handshake. Errors are ignored. */
  async touchSessionActivity(userId: number): Promise<void> {
    try {
      const now = String(Math.floor(Date.now() / 1000));
      await this.store.cache((r) => r.set(this.store.key(`session:activity:${userId}`), now, 'EX', 86400));
      await this.store.cache((r) => r.set(this.store.key(`session:debounce:${userId}`), '1', 'EX', 60));
    } catch {
      /* fails open like the real code */
    }
  }

  /** Parse a raw Cookie header the way the WS middleware does (split on "; "), or leniently for HTTP. */
  static parseCookies(header: string | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    if (!header) return out;
    for (const part of header.split(/;\s*/)) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const k = part.slice(0, eq).trim();
      if (!(k in out)) out[k] = part.slice(eq + 1).trim();
    }
    return out;
  }
}
