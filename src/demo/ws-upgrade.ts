/**
 * The WebSocket side of the ASGI server: `ProtocolTypeRouter` → `JWTAuthMiddlewareStack(URLRouter(...))`.
 *
 * Handshake answers as Daphne gives them (target-system §3, §12):
 * - accepted → 101 (via the `ws` package, `noServer`);
 * - closed before accept → raw `HTTP/1.1 403 Access denied\r\n\r\n` (no headers, no body);
 * - exception before accept (unknown route, `group_add` failing) → raw `HTTP/1.1 500 Internal server error\r\n\r\n`,
 *   arriving late (~0.7 s, Daphne's application checker).
 * Django's SecurityMiddleware never sees WebSocket upgrades: no SSL redirect here.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FaultSwitches } from './faults';
import type { DemoLogger } from './logs';
import { RedisConnectionError, REDIS_TRACEBACK_FRAMES } from './store';
import type { Timers } from './timers';
import { WsAuthMiddleware, type WsScope } from './ws-auth';
import { ChatSession, runHealthConsumer, type ConsumerDeps } from './ws-consumers';

export interface WsServerOptions {
  debug: boolean;
  slowHandshakeMs: number;
  /** Delay before a handshake-time exception is answered with 500. */
  lateErrorMs: number;
}

const REJECT_403 = 'HTTP/1.1 403 Access denied\r\n\r\n';
const REJECT_500 = 'HTTP/1.1 500 Internal server error\r\n\r\n';

const CHAT_ROUTE = /^\/ws\/chat\/([^/]+)\/$/;
const HEALTH_ROUTE = '/ws/health/';

export class AsgiWebSocketServer {
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4 * 1024 * 1024 });
  private readonly held = new Set<Duplex>();

  constructor(
    private readonly deps: ConsumerDeps & { faults: FaultSwitches; log: DemoLogger; timers: Timers },
    private readonly middleware: WsAuthMiddleware,
    private readonly opts: WsServerOptions,
  ) {}

  /** Node 'upgrade' listener. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    if (this.deps.faults.isOn('backend-hang')) {
      this.held.add(socket);
      socket.once('close', () => this.held.delete(socket));
      return;
    }
    void this.route(req, socket, head).catch(() => socket.destroy());
  }

  /** Close every open WebSocket and held socket. */
  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    for (const s of this.held) s.destroy();
    this.held.clear();
    this.wss.close();
  }

  private scopeOf(req: IncomingMessage): WsScope {
    const pathWithQuery = req.url ?? '/';
    const q = pathWithQuery.indexOf('?');
    const ip = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    return {
      path: q >= 0 ? pathWithQuery.slice(0, q) : pathWithQuery,
      pathWithQuery,
      query: new URLSearchParams(q >= 0 ? pathWithQuery.slice(q + 1) : ''),
      cookieHeader: req.headers.cookie,
      origin: typeof req.headers.origin === 'string' ? req.headers.origin : undefined,
      host: req.headers.host ?? '',
      client: `${ip}:${req.socket.remotePort ?? 0}`,
    };
  }

  private async route(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const started = Date.now();
    const scope = this.scopeOf(req);
    const { log } = this.deps;
    log.wsConnecting(scope.client, scope.path);

    if (scope.path === HEALTH_ROUTE) {
      return this.accept(req, socket, head, scope, (ws) => {
        runHealthConsumer(ws);
        ws.once('close', () => {
          log.wsClosed(scope.client, scope.path);
          // The channel-layer receive loop dies with Redis, server-side only: the client saw a healthy probe.
          if (this.deps.faults.isOn('redis-down') || this.deps.faults.isOn('channel-layer-down')) {
            this.logException(new RedisConnectionError('Error 111 connecting to redis:6379. Connection refused.'));
          }
        });
      });
    }

    // `chat-route-missing`: the chat pattern is gone from the URL router (a bad deploy), Redis untouched.
    const chat = this.deps.faults.isOn('chat-route-missing') ? null : CHAT_ROUTE.exec(scope.path);
    if (!chat) {
      const routePath = scope.path.replace(/^\//, '');
      const err = Object.assign(new Error(`No route found for path '${routePath}'.`), { pyType: 'ValueError' });
      return this.fail(socket, scope, err, started);
    }
    let conversationId: string;
    try {
      conversationId = decodeURIComponent(chat[1] as string);
    } catch {
      conversationId = chat[1] as string;
    }

    if (this.deps.faults.isOn('slow-handshake')) {
      if (!(await this.deps.timers.sleep(this.opts.slowHandshakeMs))) return void socket.destroy();
    }

    let session: ChatSession;
    try {
      const user = await this.middleware.authenticate(scope);
      session = new ChatSession(this.deps, scope, user, conversationId);
    } catch (err) {
      return this.fail(socket, scope, err as Error, started);
    }
    const outcome = await session.connect();
    if (outcome.kind === 'error') return this.fail(socket, scope, outcome.error, started);
    if (outcome.kind === 'reject') {
      this.reject(socket, scope);
      await session.disconnect(1006);
      return;
    }
    if (socket.destroyed || !socket.writable) {
      await session.disconnect(1006);
      return;
    }
    this.accept(req, socket, head, scope, (ws) => session.accepted(ws));
  }

  private accept(req: IncomingMessage, socket: Duplex, head: Buffer, scope: WsScope, onOpen: (ws: WebSocket) => void): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.deps.log.wsAccepted(scope.client, scope.path, scope.pathWithQuery);
      if (scope.path !== HEALTH_ROUTE) ws.once('close', () => this.deps.log.wsClosed(scope.client, scope.path));
      onOpen(ws);
    });
  }

  private reject(socket: Duplex, scope: WsScope): void {
    this.deps.log.wsRejected(scope.client, scope.path, scope.pathWithQuery, 403);
    if (!socket.destroyed) socket.end(REJECT_403, () => socket.destroy());
  }

  /** An exception before accept: logged by the server, answered 500 late. */
  private async fail(socket: Duplex, scope: WsScope, err: Error, started: number): Promise<void> {
    const wait = this.opts.lateErrorMs - (Date.now() - started);
    if (wait > 0 && !(await this.deps.timers.sleep(wait))) return void socket.destroy();
    this.logException(err);
    this.deps.log.wsRejected(scope.client, scope.path, scope.pathWithQuery, 500);
    if (!socket.destroyed) socket.end(REJECT_500, () => socket.destroy());
  }

  /** Daphne: `Exception inside application: <msg>`; uvicorn: `Exception in ASGI application`; both + traceback. */
  private logException(err: Error): void {
    const pyType = (err as { pyType?: string }).pyType ?? (/^OOM command not allowed/.test(err.message) ? 'redis.exceptions.OutOfMemoryError' : 'Exception');
    const frames =
      err instanceof RedisConnectionError
        ? ['  File "/usr/local/lib/python3.12/site-packages/channels_redis/core.py", line 522, in group_add', ...REDIS_TRACEBACK_FRAMES]
        : ['  File "/usr/local/lib/python3.12/site-packages/channels/routing.py", line 134, in __call__'];
    if (this.opts.debug) {
      this.deps.log.uvicorn('ERROR', 'Exception in ASGI application');
      this.deps.log.buffer.push('Traceback (most recent call last):', 'stderr');
      for (const f of frames) this.deps.log.buffer.push(f, 'stderr');
      this.deps.log.buffer.push(`${pyType}: ${err.message}`, 'stderr');
    } else {
      this.deps.log.exception(`Exception inside application: ${err.message}`, pyType, err.message, frames);
    }
  }
}
