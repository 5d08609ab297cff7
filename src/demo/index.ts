/**
 * The demo stack: an AllThrive-compatible backend (HTTP + WebSocket on one port, storage in a real Redis) with
 * fault switches. It is what `npm run demo` runs and what the checks' integration tests run against, so it
 * honours the real contract of target-system.md: paths, status codes, bodies, Redis key layout and TTLs,
 * frames and log line text.
 *
 *   const backend = await startDemoBackend({ redisUrl });
 *   backend.faults.set('redis-down', true);
 *   …
 *   await backend.stop();
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { AuthService } from './auth';
import { ChannelLayerReader } from './channel-layer-reader';
import { FaultEffects } from './fault-effects';
import { createFaultSwitches, type FaultName, type FaultSwitches } from './faults';
import { DjangoHttpApp } from './http-app';
import { JwtSigner } from './jwt';
import { DemoLogBuffer, DemoLogger } from './logs';
import { DemoMetrics } from './metrics';
import { allowedOriginHosts, DEFAULT_CORS_ALLOWED_ORIGINS } from './origin';
import { DEFAULT_DBS, DemoStore, type DemoRedisDbs } from './store';
import { Timers } from './timers';
import { ConnectionTokenService } from './token-service';
import { DEFAULT_DEMO_USERS, UserDirectory, type DemoUser } from './users';
import { WsAuthMiddleware } from './ws-auth';
import { newClientPrefix, type ChatSession } from './ws-consumers';
import { AsgiWebSocketServer } from './ws-upgrade';

export { FAULT_DESCRIPTIONS, FAULT_NAMES, isFaultName, type FaultName, type FaultSwitches } from './faults';
export { DemoLogBuffer, type DemoLogEntry, type LogStream } from './logs';
export { DEMO_NORMAL_USER, DEMO_SERVICE_ACCOUNT, type DemoUser } from './users';
export { CACHE_KEY_PREFIX, CHANNEL_LAYER_PREFIX, type DemoRedisDbs } from './store';
export { TOKEN_TTL_S } from './token-service';
export { DEFAULT_CORS_ALLOWED_ORIGINS } from './origin';

export interface DemoBackendOptions {
  /** Redis server URL without a DB number (the backend picks DBs 2/3/4 itself). */
  redisUrl: string;
  /** 0/undefined = a free port. */
  port?: number;
  /** Listen address, default 127.0.0.1. */
  host?: string;
  /** Users that can log in; default: DEMO_SERVICE_ACCOUNT and DEMO_NORMAL_USER. */
  users?: Array<{ id: number; username: string; email: string; password: string }>;
  /** true (default) = local compose: DEBUG=True, uvicorn log style, connection/message limits off, no Secure cookies. */
  debug?: boolean;
  /** Receives every log line as it is written. */
  logSink?: (line: string) => void;
  /** Delay of the `slow-handshake` fault, default 3000 ms. */
  slowHandshakeMs?: number;
  /** CORS_ALLOWED_ORIGINS, default http://localhost:3000 and http://127.0.0.1:3000 (also feeds the chat origin rule). */
  corsAllowedOrigins?: string[];
  /** Login rate limit per IP per minute (django-ratelimit), default 10. Raise it in tests that log in often. */
  loginRatePerMinute?: number;
  /** DRF throttle rates per minute, default anon 100 (per IP: login, db health) and user 1000. Raise them for load tests. */
  drfRatesPerMinute?: { anon?: number; user?: number };
  /** Delay before a handshake-time exception is answered with HTTP 500, default 700 ms. */
  lateErrorMs?: number;
  /** Redis DBs: cache 2, cacheFallback 4 (used under `wrong-cache-db`), channelLayer 3. */
  dbs?: Partial<DemoRedisDbs>;
  /** Pid of the redis-server this program started, for the `redis-hang` fault (SIGSTOP/SIGCONT); read at each use. */
  redisPid?: () => number | undefined;
  /** Ring buffer size in lines, default 5000. */
  logCapacity?: number;
  /** COOKIE_DOMAIN, default `localhost`. */
  cookieDomain?: string;
}

export interface DemoBackend {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `ws://127.0.0.1:<port>` */
  readonly wsUrl: string;
  readonly port: number;
  readonly faults: FaultSwitches;
  readonly logs: DemoLogBuffer;
  readonly users: ReadonlyArray<Readonly<DemoUser>>;
  readonly debug: boolean;
  readonly redisUrl: string;
  readonly dbs: Readonly<DemoRedisDbs>;
  /** A valid access JWT for a user (as the login cookie would carry), e.g. to test cookie/`?token=` auth. */
  mintAccessToken(userId: number, opts?: { lifetimeS?: number }): string;
  stop(): Promise<void>;
}

export async function startDemoBackend(opts: DemoBackendOptions): Promise<DemoBackend> {
  const debug = opts.debug ?? true;
  const host = opts.host ?? '127.0.0.1';
  const dbs: DemoRedisDbs = { ...DEFAULT_DBS, ...opts.dbs };
  const users = new UserDirectory(opts.users ?? DEFAULT_DEMO_USERS);
  const logs = new DemoLogBuffer(opts.logCapacity ?? 5000, opts.logSink);
  const log = new DemoLogger(logs, debug);
  const timers = new Timers();
  const corsAllowedOrigins = opts.corsAllowedOrigins ?? [...DEFAULT_CORS_ALLOWED_ORIGINS];

  let store: DemoStore;
  const effects = new FaultEffects(opts.redisUrl, () => store, () => users.probeUser().id, opts.redisPid);
  const faults = createFaultSwitches((name: FaultName, on: boolean) => effects.apply(name, on));
  store = new DemoStore(opts.redisUrl, faults, dbs);

  const jwt = new JwtSigner();
  const auth = new AuthService(users, jwt, store, faults);
  const metrics = new DemoMetrics();
  const tokens = new ConnectionTokenService(store, faults, log);
  const httpApp = new DjangoHttpApp(
    { store, faults, log, metrics, auth, tokens },
    {
      debug,
      corsAllowedOrigins,
      loginRatePerMinute: opts.loginRatePerMinute ?? 10,
      drfRatesPerMinute: { anon: opts.drfRatesPerMinute?.anon ?? 100, user: opts.drfRatesPerMinute?.user ?? 1000 },
      cookieDomain: opts.cookieDomain ?? 'localhost',
    },
  );
  const groups = new Map<string, Set<ChatSession>>();
  const clientPrefix = newClientPrefix();
  // Messages published to the channel layer in channels_redis' format (a Celery worker, ws-doctor's round trip).
  const layerReader = new ChannelLayerReader({
    redisUrl: opts.redisUrl,
    db: dbs.channelLayer,
    clientPrefix,
    faults,
    deliver(channel, event) {
      for (const members of groups.values()) {
        for (const s of members) if (s.channelName === channel) return (s.chatMessage(event), true);
      }
      return false;
    },
  });
  const wsServer = new AsgiWebSocketServer(
    {
      store,
      faults,
      log,
      metrics,
      timers,
      debug,
      allowedOrigins: allowedOriginHosts(corsAllowedOrigins),
      clientPrefix,
      groups,
    },
    new WsAuthMiddleware(auth, tokens, log),
    { debug, slowHandshakeMs: opts.slowHandshakeMs ?? 3000, lateErrorMs: opts.lateErrorMs ?? 700 },
  );

  const redisReady = await store.ready(3000);
  layerReader.start();

  const server = http.createServer({ requestTimeout: 0 }, (req, res) => httpApp.handle(req, res));
  server.keepAliveTimeout = 5000;
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket, head) => wsServer.handleUpgrade(req, socket, head));
  server.on('clientError', (_err, socket) => socket.destroy());

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await layerReader.stop();
    await store.close();
    throw err;
  }
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 0);
  const publicHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  logStartup(log, debug, host, port);
  if (!redisReady) log.warning(`Redis at ${new URL(opts.redisUrl).host} not reachable at startup; the cache will connect when it is`);

  let stopped: Promise<void> | undefined;
  return {
    url: `http://${publicHost}:${port}`,
    wsUrl: `ws://${publicHost}:${port}`,
    port,
    faults,
    logs,
    users: users.all,
    debug,
    redisUrl: opts.redisUrl,
    dbs,
    mintAccessToken(userId, o) {
      const u = users.byId(userId);
      if (!u) throw new Error(`no demo user ${userId}`);
      return jwt.sign(u.id, 'access', 1, o?.lifetimeS);
    },
    stop() {
      stopped ??= (async () => {
        if (debug) {
          log.uvicorn('INFO', 'Shutting down');
          log.uvicorn('INFO', 'Waiting for application shutdown.');
          log.uvicorn('INFO', 'Application shutdown complete.');
          log.uvicorn('INFO', `Finished server process [${process.pid}]`);
        } else log.info('Killed 0 pending application instances');
        // Server-wide faults (a paused or full redis-server) must not outlive the backend that set them.
        for (const f of ['redis-hang', 'redis-oom'] as const) faults.set(f, false);
        await faults.settled();
        await effects.close();
        timers.clearAll();
        wsServer.close();
        await layerReader.stop();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
        await closed;
        await faults.settled();
        await store.close();
      })();
      return stopped;
    },
  };
}

function logStartup(log: DemoLogger, debug: boolean, host: string, port: number): void {
  if (debug) {
    log.buffer.push('🚀 Starting AllThrive AI backend...', 'stdout');
    log.buffer.push('🔧 Development mode: Starting with uvicorn (hot reload enabled)...', 'stdout');
    log.uvicorn('INFO', "Will watch for changes in these directories: ['/app']");
    log.uvicorn('INFO', `Uvicorn running on http://${host}:${port} (Press CTRL+C to quit)`);
    log.uvicorn('INFO', `Started reloader process [1] using WatchFiles`);
    log.uvicorn('INFO', `Started server process [${process.pid}]`);
    log.uvicorn('INFO', 'Waiting for application startup.');
    log.uvicorn('INFO', "ASGI 'lifespan' protocol appears unsupported.");
    log.uvicorn('INFO', 'Application startup complete.');
  } else {
    log.info(`Starting server at tcp:port=${port}:interface=${host}`);
    log.info('HTTP/2 support not enabled (install the http2 and tls Twisted extras)');
    log.info(`Configuring endpoint tcp:port=${port}:interface=${host}`);
    log.info(`Listening on TCP address ${host}:${port}`);
  }
}
