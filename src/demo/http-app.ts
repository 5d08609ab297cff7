/**
 * The HTTP side of the web container (Django + DRF behind uvicorn/Daphne), target-system §2.1, §6, §9.1, §12:
 *
 *   HealthCheckMiddleware (/api/v1/health/, constant 200)  →  CORS  →  SecurityMiddleware (ssl-redirect)
 *   →  URL routing: db health, login, ws-connection-token, metrics  →  Django 404 / APPEND_SLASH.
 *
 * DRF views authenticate, check permissions and throttles (which read the cache) before the method check and
 * the view body, so a dead Redis turns authenticated requests into Django's 500 page while an unauthenticated
 * token request is still a 401 — as observed on the running code.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { AuthService, DatabaseUnavailableError } from './auth';
import { djangoCookie, notFoundPage, serverErrorPage } from './django-pages';
import type { FaultSwitches } from './faults';
import { ACCESS_LIFETIME_S, REFRESH_LIFETIME_S } from './jwt';
import type { DemoLogger } from './logs';
import type { DemoMetrics } from './metrics';
import { REDIS_TRACEBACK_FRAMES, RedisConnectionError, type DemoStore } from './store';
import { checkDrfThrottles, loginRateLimited, throttledDetail } from './throttle';
import { ConnectionTokenService, TOKEN_TTL_S } from './token-service';
import type { DemoUser } from './users';

export interface HttpAppOptions {
  debug: boolean;
  corsAllowedOrigins: readonly string[];
  loginRatePerMinute: number;
  /** DRF default throttle rates per minute (anon 100, user 1000). */
  drfRatesPerMinute: { anon: number; user: number };
  cookieDomain: string;
}

export interface HttpAppDeps {
  store: DemoStore;
  faults: FaultSwitches;
  log: DemoLogger;
  metrics: DemoMetrics;
  auth: AuthService;
  tokens: ConnectionTokenService;
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  pathWithQuery: string;
  ip: string;
  client: string;
  cookies: Record<string, string>;
  body: Buffer;
  started: number;
  view: string;
  extraHeaders: Record<string, string | string[]>;
}

type Handler = (ctx: Ctx) => Promise<void>;

const MAX_BODY = 1024 * 1024;
const HEALTH_PATH = '/api/v1/health/';

const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' };
const TOKEN_NOT_VALID = {
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid or expired' }],
};
const USER_NOT_FOUND = { detail: 'User not found', code: 'user_not_found' };

export class DjangoHttpApp {
  private readonly routes: Record<string, { view: string; handler: Handler }>;

  constructor(
    private readonly deps: HttpAppDeps,
    private readonly opts: HttpAppOptions,
  ) {
    this.routes = {
      '/api/v1/db/health/': { view: 'db_health_check', handler: (c) => this.dbHealth(c) },
      '/api/v1/auth/login/': { view: 'login', handler: (c) => this.login(c) },
      '/api/v1/auth/ws-connection-token/': { view: 'ws_connection_token', handler: (c) => this.wsConnectionToken(c) },
      '/metricsmetrics': { view: 'prometheus-django-metrics', handler: (c) => this.metricsView(c, '/metricsmetrics') },
      '/metrics': { view: 'prometheus-django-metrics', handler: (c) => this.metricsView(c, '/metrics') },
    };
  }

  /** Node 'request' listener. Requests under `backend-hang` are left unanswered (the socket is destroyed on stop). */
  handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.deps.faults.isOn('backend-hang')) {
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      void this.dispatch(req, res, Buffer.concat(chunks)).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const rawUrl = req.url ?? '/';
    const path = rawUrl.split('?')[0] || '/';
    const ip = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const ctx: Ctx = {
      req,
      res,
      method: (req.method ?? 'GET').toUpperCase(),
      path,
      pathWithQuery: rawUrl,
      ip,
      client: `${ip}:${req.socket.remotePort ?? 0}`,
      cookies: AuthService.parseCookies(req.headers.cookie),
      body,
      started: Date.now(),
      view: '<unnamed view>',
      extraHeaders: {},
    };
    this.deps.metrics.requestStarted();

    // HealthCheckMiddleware runs before everything else (SecurityMiddleware included).
    if (path === HEALTH_PATH) {
      ctx.view = 'health_check';
      return this.json(ctx, 200, { status: 'healthy' });
    }

    // CommonMiddleware → request.get_host(): a Host outside ALLOWED_HOSTS is a 400 on every Django view.
    if (this.deps.faults.isOn('disallowed-host')) {
      const host = String(req.headers.host ?? '');
      const bare = host.replace(/:\d+$/, '');
      this.deps.log.error(`Invalid HTTP_HOST header: '${host}'. You may need to add '${bare}' to ALLOWED_HOSTS.`);
      return this.send(ctx, 400, '\n<!doctype html>\n<html lang="en">\n<head>\n  <title>Bad Request (400)</title>\n</head>\n<body>\n  <h1>Bad Request (400)</h1><p></p>\n</body>\n</html>\n', 'text/html; charset=utf-8');
    }

    this.applyCors(ctx);
    if (ctx.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      ctx.extraHeaders['access-control-allow-headers'] = 'accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with';
      ctx.extraHeaders['access-control-allow-methods'] = 'DELETE, GET, OPTIONS, PATCH, POST, PUT';
      ctx.extraHeaders['access-control-max-age'] = '86400';
      return this.send(ctx, 200, '', 'text/html; charset=utf-8');
    }

    // SecurityMiddleware: SECURE_SSL_REDIRECT with SECURE_PROXY_SSL_HEADER = X-Forwarded-Proto: https.
    // `ssl-header-ignored`: the setting was removed, so even a proxy's header does not count as https.
    const viaHttps = !this.deps.faults.isOn('ssl-header-ignored') && String(req.headers['x-forwarded-proto'] ?? '').toLowerCase() === 'https';
    if ((this.deps.faults.isOn('ssl-redirect') || this.deps.faults.isOn('ssl-header-ignored')) && !viaHttps) {
      ctx.extraHeaders.location = `https://${req.headers.host ?? 'localhost'}${rawUrl}`;
      return this.send(ctx, 301, '', 'text/html; charset=utf-8');
    }

    const route = this.routes[path];
    if (route) {
      ctx.view = route.view;
      try {
        return await route.handler(ctx);
      } catch (err) {
        return this.serverError(ctx, err);
      }
    }

    // CommonMiddleware APPEND_SLASH.
    if (!path.endsWith('/') && (this.routes[`${path}/`] || `${path}/` === HEALTH_PATH)) {
      if (ctx.method === 'GET' || ctx.method === 'HEAD') {
        const q = rawUrl.slice(path.length);
        ctx.extraHeaders.location = `${path}/${q}`;
        return this.send(ctx, 301, '', 'text/html; charset=utf-8');
      }
      return this.serverError(
        ctx,
        Object.assign(new Error(`You called this URL via ${ctx.method}, but the URL doesn't end in a slash and you have APPEND_SLASH set.`), {
          pyType: 'RuntimeError',
        }),
      );
    }
    return this.send(ctx, 404, notFoundPage(this.opts.debug, path), 'text/html; charset=utf-8');
  }

  // ---- views -------------------------------------------------------------------------------------------

  /** `/api/v1/db/health/`: a DRF view (anonymous throttles read the cache), then a DB round trip. */
  private async dbHealth(ctx: Ctx): Promise<void> {
    if (!(await this.drfInitial(ctx, undefined))) return;
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return this.methodNotAllowed(ctx, 'GET, HEAD, OPTIONS');
    if (this.deps.faults.isOn('db-down')) {
      return this.json(ctx, 503, {
        status: 'error',
        database: 'unavailable',
        error: new DatabaseUnavailableError().message.split('\n')[0],
      });
    }
    return this.json(ctx, 200, { status: 'ok' });
  }

  /** `POST /api/v1/auth/login/`: django-ratelimit 10/min/IP, then DRF, then credentials → cookies only. */
  private async login(ctx: Ctx): Promise<void> {
    if (ctx.method === 'POST' && (await loginRateLimited(this.deps.store, ctx.ip, this.opts.loginRatePerMinute))) {
      return this.json(ctx, 429, { success: false, error: 'Too many login attempts. Please try again later.' });
    }
    if (!(await this.drfInitial(ctx, undefined))) return;
    if (ctx.method !== 'POST') return this.methodNotAllowed(ctx, 'POST, OPTIONS');
    const data = this.parseJson(ctx);
    if (data === undefined) return;
    const login = typeof data.email === 'string' ? data.email : typeof data.username === 'string' ? data.username : '';
    const password = typeof data.password === 'string' ? data.password : '';
    if (!login || !password) {
      return this.json(ctx, 400, { success: false, error: 'Email and password are required.' });
    }
    const user = this.deps.auth.checkPassword(login, password);
    if (!user) return this.json(ctx, 401, { success: false, error: 'Invalid email or password.' });

    const sv = await this.deps.auth.sessionVersionForLogin(user.id);
    const access = this.deps.auth.jwt.sign(user.id, 'access', sv);
    const refresh = this.deps.auth.jwt.sign(user.id, 'refresh', sv);
    const cookieOpts = { domain: this.opts.cookieDomain, secure: !this.opts.debug };
    ctx.extraHeaders['set-cookie'] = [
      djangoCookie('access_token', access, { ...cookieOpts, maxAge: ACCESS_LIFETIME_S }),
      djangoCookie('refresh_token', refresh, { ...cookieOpts, maxAge: REFRESH_LIFETIME_S }),
    ];
    return this.json(ctx, 200, {
      success: true,
      message: 'Login successful',
      data: { user: publicUser(user) },
    });
  }

  /** `POST /api/v1/auth/ws-connection-token/` (core/auth/views_token.py). */
  private async wsConnectionToken(ctx: Ctx): Promise<void> {
    const auth = await this.authenticate(ctx);
    if (auth === 'invalid') return this.json(ctx, 401, TOKEN_NOT_VALID, { 'www-authenticate': 'Bearer realm="api"' });
    if (auth === 'user_not_found') return this.json(ctx, 401, USER_NOT_FOUND, { 'www-authenticate': 'Bearer realm="api"' });
    if (!auth) return this.json(ctx, 401, NOT_PROVIDED, { 'www-authenticate': 'Bearer realm="api"' });
    if (!(await this.drfInitial(ctx, auth.id))) return;
    if (ctx.method !== 'POST') return this.methodNotAllowed(ctx, 'POST, OPTIONS');
    const data = ctx.body.length ? this.parseJson(ctx) : {};
    if (data === undefined) return;
    const connectionId = typeof data.connection_id === 'string' && data.connection_id ? data.connection_id : randomUUID();
    const { store, log, faults, tokens } = this.deps;

    // Cache health check: write then read back `_ws_token_health_check` (TTL 5 s).
    let readBack: string | null;
    try {
      const key = store.key('_ws_token_health_check');
      await store.cache((r) => r.set(key, Buffer.from('80059506000000000000008c026f6b942e', 'hex'), 'EX', 5)); // pickle of 'ok'
      readBack = faults.isOn('token-503') ? null : await store.cache((r) => r.get(key));
    } catch (err) {
      const details = errMessage(err);
      log.error(`[WS_TOKEN_API] Redis connection error: ${details}`);
      return this.json(ctx, 503, { error: 'Cache service error', code: 'CACHE_ERROR', details });
    }
    if (readBack === null) {
      log.error('[WS_TOKEN_API] Redis health check failed - cache not responding');
      return this.json(ctx, 503, { error: 'Cache service unavailable', code: 'CACHE_UNAVAILABLE' });
    }

    let token: string;
    try {
      token = await tokens.generate({ userId: auth.id, username: auth.username, connectionId });
    } catch (err) {
      const details = errMessage(err);
      log.error(`[WS_TOKEN_API] Token generation failed for user=${auth.username} (id=${auth.id}): ${details}`);
      return this.json(ctx, 500, { error: 'Token generation failed', code: 'TOKEN_GENERATION_ERROR', details });
    }
    log.info(`[WS_TOKEN_API] Generated connection token for user=${auth.username} (id=${auth.id}), connection_id=${connectionId}`);
    return this.json(ctx, 200, { connection_token: token, expires_in: TOKEN_TTL_S, connection_id: connectionId });
  }

  private async metricsView(ctx: Ctx, path: '/metricsmetrics' | '/metrics'): Promise<void> {
    const { faults, metrics } = this.deps;
    const served = !faults.isOn('metrics-path-missing') && (path === '/metricsmetrics' || !faults.isOn('metrics-wrong-path'));
    if (!served) {
      ctx.view = path === '/metrics' ? 'profile' : '<unnamed view>';
      return this.send(ctx, 404, notFoundPage(this.opts.debug, path), 'text/html; charset=utf-8');
    }
    // The registry is rendered before this request is counted, as django-prometheus's middleware does.
    return this.send(ctx, 200, await metrics.render(), metrics.contentType);
  }

  // ---- DRF machinery -----------------------------------------------------------------------------------

  /**
   * JWTAuthentication (Authorization: Bearer …), with CookieJWTAuthenticationMiddleware copying a *valid*
   * `access_token` cookie into the header when none is sent. Returns the user, null (no credentials),
   * 'invalid' (bad bearer / session version) or 'user_not_found'. DB errors propagate (→ 500).
   */
  private async authenticate(ctx: Ctx): Promise<Readonly<DemoUser> | null | 'invalid' | 'user_not_found'> {
    let header = ctx.req.headers.authorization;
    const cookie = ctx.cookies.access_token;
    if (!header && cookie && this.deps.auth.isValidAccessToken(cookie)) header = `Bearer ${cookie}`;
    if (!header) return null;
    const parts = header.trim().split(/\s+/);
    if (parts[0] !== 'Bearer') return null; // other schemes: not this authenticator's business
    if (parts.length !== 2) return 'invalid';
    const r = await this.deps.auth.authenticateAccessToken(parts[1] as string);
    if (r.ok) return r.user;
    return r.reason === 'user_not_found' ? 'user_not_found' : 'invalid';
  }

  /** DRF `check_throttles` (after auth and permissions). Answers 429 itself and returns false when throttled. */
  private async drfInitial(ctx: Ctx, userId: number | undefined): Promise<boolean> {
    const r = await checkDrfThrottles(this.deps.store, { userId, ip: ctx.ip }, this.opts.drfRatesPerMinute);
    if (r.allowed) return true;
    const wait = r.waitS ?? 60;
    await this.json(ctx, 429, { detail: throttledDetail(wait) }, { 'retry-after': String(Math.ceil(wait)) });
    return false;
  }

  private methodNotAllowed(ctx: Ctx, allow: string): Promise<void> {
    return this.json(ctx, 405, { detail: `Method "${ctx.method}" not allowed.` }, { allow });
  }

  /** request.data for JSON bodies; answers DRF's 400 and returns undefined on a parse error. */
  private parseJson(ctx: Ctx): Record<string, unknown> | undefined {
    if (ctx.body.length === 0) return {};
    try {
      const v = JSON.parse(ctx.body.toString('utf8')) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    } catch (err) {
      void this.json(ctx, 400, { detail: `JSON parse error - ${errMessage(err)}` });
      return undefined;
    }
  }

  // ---- responses ---------------------------------------------------------------------------------------

  private applyCors(ctx: Ctx): void {
    const origin = ctx.req.headers.origin;
    if (origin && this.opts.corsAllowedOrigins.includes(origin)) {
      ctx.extraHeaders['access-control-allow-origin'] = origin;
      ctx.extraHeaders['access-control-allow-credentials'] = 'true';
    }
  }

  private json(ctx: Ctx, status: number, body: unknown, headers: Record<string, string> = {}): Promise<void> {
    Object.assign(ctx.extraHeaders, headers);
    if (ctx.view !== 'health_check') ctx.extraHeaders.vary = 'Accept, origin';
    return this.send(ctx, status, JSON.stringify(body), 'application/json');
  }

  /** An unhandled exception: Django's 500 page, `Internal Server Error: <path>` + traceback in the log. */
  private serverError(ctx: Ctx, err: unknown): Promise<void> {
    const pyType =
      err instanceof RedisConnectionError || err instanceof DatabaseUnavailableError
        ? err.pyType
        : ((err as { pyType?: string }).pyType ?? 'Exception');
    const message = errMessage(err);
    const frames =
      err instanceof RedisConnectionError
        ? ['  File "/usr/local/lib/python3.12/site-packages/rest_framework/throttling.py", line 134, in allow_request', ...REDIS_TRACEBACK_FRAMES]
        : ['  File "/usr/local/lib/python3.12/site-packages/django/core/handlers/exception.py", line 55, in inner'];
    this.deps.log.exception(`Internal Server Error: ${ctx.path}`, pyType, message, frames);
    this.deps.metrics.exception(pyType.split('.').pop() ?? pyType, ctx.view);
    return this.send(ctx, 500, serverErrorPage(this.opts.debug, ctx.path, pyType, message), 'text/html; charset=utf-8', true);
  }

  private async send(ctx: Ctx, status: number, body: string, contentType: string, alreadyLogged = false): Promise<void> {
    const { res } = ctx;
    if (res.headersSent || res.destroyed) return;
    const buf = Buffer.from(body, 'utf8');
    const headers: Record<string, string | string[] | number> = {
      'content-type': contentType,
      'content-length': buf.length,
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
      'cross-origin-opener-policy': 'same-origin',
      server: this.opts.debug ? 'uvicorn' : 'daphne',
      ...ctx.extraHeaders,
    };
    res.writeHead(status, headers);
    res.end(ctx.method === 'HEAD' ? undefined : buf);
    if (status >= 400 && !alreadyLogged && ctx.view !== 'health_check') {
      // Django's `log_response` uses the standard reason phrases, which Node ships too.
      const reason = http.STATUS_CODES[status] ?? 'Error';
      this.deps.log.app(status >= 500 ? 'ERROR' : 'WARNING', `${reason}: ${ctx.path}`);
    }
    this.deps.metrics.observe(ctx.view, ctx.method, status, (Date.now() - ctx.started) / 1000);
    this.deps.log.httpAccess(ctx.client, ctx.method, ctx.pathWithQuery, status, buf.length);
  }
}

function publicUser(u: Readonly<DemoUser>) {
  return { id: u.id, username: u.username, email: u.email, first_name: '', last_name: '', role: 'explorer', is_active: true };
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
