/**
 * `JWTAuthMiddleware` (core/agents/middleware.py, target-system §2.3): authenticates a WebSocket handshake by
 * (1) `?connection_token=` — validate and consume, no fallback on failure; else (2) the `access_token` cookie
 * from the raw Cookie header; else (3) `?token=<JWT>`. Authorization headers are ignored. A cache error during
 * token validation is logged and the user becomes anonymous.
 */
import type { AuthService } from './auth';
import type { DemoLogger } from './logs';
import type { ConnectionTokenService } from './token-service';
import type { DemoUser } from './users';

export interface WsScope {
  /** Path without query, e.g. `/ws/chat/probe-1/`. */
  path: string;
  /** Path with query, as uvicorn logs it. */
  pathWithQuery: string;
  query: URLSearchParams;
  cookieHeader: string | undefined;
  origin: string | undefined;
  host: string;
  /** `ip:port` of the client. */
  client: string;
}

export class WsAuthMiddleware {
  constructor(
    private readonly auth: AuthService,
    private readonly tokens: ConnectionTokenService,
    private readonly log: DemoLogger,
  ) {}

  /**
   * The authenticated user or null (anonymous). Throws only for failures outside the token branch (a DB error
   * on the JWT path), which the server turns into HTTP 500.
   */
  async authenticate(scope: WsScope): Promise<Readonly<DemoUser> | null> {
    const ct = scope.query.get('connection_token');
    if (ct !== null) {
      try {
        const owner = await this.tokens.validate(ct);
        if (!owner) {
          this.log.warning(`[WS_AUTH] Invalid connection token for path=${scope.path}`);
          return null;
        }
        const user = this.auth.lookupUser(owner.userId);
        if (!user) {
          this.log.warning(`[WS_AUTH] User ${owner.userId} from connection token not found or inactive`);
          return null;
        }
        await this.auth.touchSessionActivity(user.id);
        this.log.info(`[WS_AUTH] Authenticated via connection token: user=${user.username}, path=${scope.path}`);
        return user;
      } catch (err) {
        this.log.error(`Unexpected error validating connection token: ${err instanceof Error ? err.message : String(err)}`);
        return null;
      }
    }
    const cookie = cookieValue(scope.cookieHeader, 'access_token');
    const jwt = cookie ?? scope.query.get('token') ?? undefined;
    if (!jwt) return null; // "No auth found" is DEBUG: invisible
    const r = await this.auth.authenticateAccessToken(jwt);
    if (!r.ok) return null; // invalid JWT is DEBUG too
    await this.auth.touchSessionActivity(r.user.id);
    this.log.info(`[WS_AUTH] Authenticated via JWT: user=${r.user.username}, path=${scope.path}`);
    return r.user;
  }
}

/** The middleware's own cookie parsing: split on "; " exactly. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split('; ')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq) === name) return part.slice(eq + 1);
  }
  return undefined;
}
