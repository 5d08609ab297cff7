/**
 * The two WebSocket consumers the demo serves (target-system §3, §3.1, §12):
 *
 * - `HealthCheckConsumer` (`/ws/health/`): accept, one frame `{"status":"ok","message":"WebSocket healthy"}`, close 1000.
 * - `ChatConsumer` (`/ws/chat/<id>/`): origin check → anonymous check → connection limits (non-DEBUG) →
 *   project id check → `group_add` (DB 3) → accept → counter +1 → `connected` frame; ping → pong; a simulated
 *   Celery reply for `{"message": …}`; disconnect: `group_discard`, counter −1.
 *
 * `connect()` decides the handshake; the upgrade server turns its answer into 101 / raw 403 / raw 500.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type WebSocket from 'ws';
import type { FaultSwitches } from './faults';
import { pyIsoNow, type DemoLogger } from './logs';
import type { DemoMetrics } from './metrics';
import { allowedOriginHosts, isOriginAllowed } from './origin';
import { CHANNEL_LAYER_PREFIX, type DemoStore } from './store';
import type { Timers } from './timers';
import type { DemoUser } from './users';
import type { WsScope } from './ws-auth';

export const GROUP_EXPIRY_S = 86400;
export const CONNECTION_COUNTER_TTL_S = 86400;
export const CONNECTION_RATE_WINDOW_S = 60;
export const MAX_CONNECTIONS_PER_MINUTE = 10;
export const MAX_CONCURRENT_CONNECTIONS = 5;
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_MESSAGES_PER_HOUR = 50;

export type ConnectOutcome = { kind: 'accept' } | { kind: 'reject' } | { kind: 'error'; error: Error };

export interface ConsumerDeps {
  store: DemoStore;
  faults: FaultSwitches;
  log: DemoLogger;
  metrics: DemoMetrics;
  timers: Timers;
  debug: boolean;
  allowedOrigins: ReadonlySet<string>;
  /** channels_redis `client_prefix` of this server process. */
  clientPrefix: string;
  /** In-process view of channel groups, for the simulated Celery replies (group_send). */
  groups: Map<string, Set<ChatSession>>;
}

export function newClientPrefix(): string {
  return randomBytes(16).toString('hex');
}

export const HEALTH_FRAME = JSON.stringify({ status: 'ok', message: 'WebSocket healthy' });

/** `HealthCheckConsumer`: one frame, then a normal close. */
export function runHealthConsumer(ws: WebSocket): void {
  ws.send(HEALTH_FRAME, () => ws.close(1000));
}

export class ChatSession {
  readonly channelName: string;
  readonly groupName: string;
  private ws: WebSocket | undefined;
  private inGroup = false;
  private chain: Promise<void> = Promise.resolve();
  private disconnected = false;

  constructor(
    private readonly deps: ConsumerDeps,
    readonly scope: WsScope,
    readonly user: Readonly<DemoUser> | null,
    readonly conversationId: string,
  ) {
    this.channelName = `specific.${deps.clientPrefix}!${randomBytes(16).toString('hex')}`;
    this.groupName = `chat_${conversationId}`;
  }

  private get counterKey(): string {
    return this.deps.store.key(`ws_connections:user:${this.user?.id}`);
  }

  /**
   * Everything before `accept()`, in the real consumer's order and with its log texts (core/agents/consumers.py,
   * core/agents/security.py). Exceptions become `{kind:'error'}` (HTTP 500 at the handshake).
   */
  async connect(): Promise<ConnectOutcome> {
    const { log, faults, store, debug } = this.deps;
    const user = this.user;
    try {
      // (1) origin: a missing Origin passes; `origin-rejected` empties CORS_ALLOWED_ORIGINS (hard-coded domains stay).
      const origin = this.scope.origin ?? '';
      const allowedSet = faults.isOn('origin-rejected') ? allowedOriginHosts([]) : this.deps.allowedOrigins;
      const allowed = origin !== '' && isOriginAllowed(origin, allowedSet);
      log.info(
        `WebSocket connect attempt: origin=${pyRepr(origin)}, host=${pyRepr(this.scope.host)}, origin_allowed=${allowed ? 'True' : 'False'}, user=${user?.id ?? 'None'}`,
      );
      if (origin && !allowed) {
        log.warning(
          `WebSocket rejected - unauthorized origin: origin=${pyRepr(origin)}, allowed_domains={${[...allowedSet].map(pyRepr).join(', ')}}, host=${pyRepr(this.scope.host)}`,
        );
        return { kind: 'reject' };
      }
      // (2) anonymous
      if (!user) {
        log.warning(`Unauthenticated WebSocket connection attempt for conversation ${this.conversationId}`);
        return { kind: 'reject' };
      }
      // (3) RateLimiter: connection rate, then concurrency; both skipped entirely with DEBUG on.
      if (!debug) {
        const rateKey = store.key(`ws_rate:user:${user.id}`);
        const recent = Number((await store.cache((r) => r.get(rateKey))) ?? 0);
        if (recent >= MAX_CONNECTIONS_PER_MINUTE) {
          log.warning(`[SECURITY] User ${user.id} exceeded connection rate limit`);
          log.warning(`WebSocket connection rate limit exceeded for user ${user.id}`);
          return { kind: 'reject' };
        }
        if (recent === 0) await store.cache((r) => r.set(rateKey, '1', 'EX', CONNECTION_RATE_WINDOW_S));
        else await store.cache((r) => r.incr(rateKey));
        const open = Number((await store.cache((r) => r.get(this.counterKey))) ?? 0);
        if (open >= MAX_CONCURRENT_CONNECTIONS) {
          log.warning(`[SECURITY] User ${user.id} exceeded WebSocket connection limit: ${open}`);
          log.warning(`WebSocket connection limit exceeded for user ${user.id}: Maximum ${MAX_CONCURRENT_CONNECTIONS} concurrent connections allowed`);
          return { kind: 'reject' };
        }
      }
      // (4) project conversations need a numeric project id
      const m = /^project-(.*)$/.exec(this.conversationId);
      if (m && !/^\d+/.test(m[1] as string)) {
        log.warning(`Invalid project conversation ID format: ${this.conversationId}`);
        return { kind: 'reject' };
      }
      // (5) group_add before accept
      await store.channel(async (r) => {
        const key = `${CHANNEL_LAYER_PREFIX}:group:${this.groupName}`;
        await r.zadd(key, Date.now() / 1000, this.channelName);
        await r.expire(key, GROUP_EXPIRY_S);
      });
      this.inGroup = true;
      let members = this.deps.groups.get(this.groupName);
      if (!members) this.deps.groups.set(this.groupName, (members = new Set()));
      members.add(this);
      return { kind: 'accept' };
    } catch (err) {
      return { kind: 'error', error: err instanceof Error ? err : new Error(String(err)) };
    }
  }

  /** After the 101: counter +1, `WebSocket connected`, the `connected` frame; then serve messages. */
  accepted(ws: WebSocket): void {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      const raw = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      this.enqueue(() => this.receive(raw, isBinary));
    });
    ws.on('close', (code) => this.enqueue(() => this.disconnect(code)));
    ws.on('error', () => undefined);
    this.enqueue(async () => {
      const user = this.user as Readonly<DemoUser>;
      // increment_websocket_connection: skipped with DEBUG on, like every RateLimiter method.
      if (!this.deps.debug) {
        try {
          await this.deps.store.cache(async (r) => {
            await r.incr(this.counterKey);
            await r.expire(this.counterKey, CONNECTION_COUNTER_TTL_S);
          });
        } catch (err) {
          this.deps.log.error(`Failed to track connection for user=${user.id}: ${(err as Error).message}`);
        }
      }
      this.deps.log.info(`WebSocket connected: user=${user.id}, conversation=${this.conversationId}`);
      this.sendJson({ event: 'connected', conversation_id: this.conversationId, timestamp: pyIsoNow() });
    });
  }

  /**
   * `disconnect(code)`: also runs for handshakes rejected before accept (Daphne reports code 1006), which is
   * why a rejected handshake of a user with an open socket decrements that user's counter (§12).
   */
  async disconnect(code: number): Promise<void> {
    if (this.disconnected) return;
    this.disconnected = true;
    const { store, log } = this.deps;
    this.deps.groups.get(this.groupName)?.delete(this);
    if (this.deps.groups.get(this.groupName)?.size === 0) this.deps.groups.delete(this.groupName);
    if (this.inGroup) {
      try {
        await store.channel((r) => r.zrem(`${CHANNEL_LAYER_PREFIX}:group:${this.groupName}`, this.channelName));
      } catch {
        /* channel layer gone: nothing to discard */
      }
    }
    // decrement_websocket_connection (DEBUG off only): also for a handshake refused before accept (§13).
    if (this.user && !this.deps.debug) {
      try {
        await store.cache(async (r) => {
          if (!(await r.exists(this.counterKey))) return;
          if ((await r.decr(this.counterKey)) <= 0) await r.del(this.counterKey);
        });
      } catch {
        /* cache gone */
      }
    }
    log.info(`WebSocket disconnected: user=${this.user?.id ?? 'None'}, code=${code}`);
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch(() => undefined);
  }

  private sendJson(payload: unknown): number {
    const text = JSON.stringify(payload);
    if (this.ws && this.ws.readyState === this.ws.OPEN) this.ws.send(text);
    return Buffer.byteLength(text);
  }

  private sendError(error: string): void {
    this.sendJson({ event: 'error', error, timestamp: pyIsoNow() });
  }

  private async receive(raw: Buffer, _isBinary: boolean): Promise<void> {
    const user = this.user as Readonly<DemoUser>;
    const { log, store, debug, metrics } = this.deps;
    if (raw.length > MAX_MESSAGE_BYTES) {
      log.warning(`[SECURITY] Message size exceeded: user=${user.id}, size=${raw.length} bytes`);
      return this.sendError(`Message too large. Maximum size is ${MAX_MESSAGE_BYTES / 1024}KB.`);
    }
    let data: Record<string, unknown>;
    try {
      const v = JSON.parse(raw.toString('utf8')) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      data = v as Record<string, unknown>;
    } catch {
      return this.sendError('Invalid message format');
    }
    if (data.type === 'ping') {
      this.sendJson({ event: 'pong', timestamp: pyIsoNow() });
      return;
    }
    const message = typeof data.message === 'string' ? data.message.trim() : '';
    if (!message) return this.sendError('Empty message');
    if (!debug) {
      const key = store.key(`rate_limit:messages:user:${user.id}`);
      try {
        const n = await store.cache(async (r) => {
          await r.set(key, '0', 'EX', 3600, 'NX');
          return await r.incr(key);
        });
        if (n > MAX_MESSAGES_PER_HOUR) {
          log.warning(`[SECURITY] User ${user.id} exceeded message rate limit (${MAX_MESSAGES_PER_HOUR}/hour)`);
          metrics.rateLimitHits.inc({ user_id: String(user.id), limit_type: 'websocket_message' });
          return this.sendError('Rate limit exceeded. Try again in 60 minutes.');
        }
      } catch {
        return this.sendError('Failed to process message. Please try again.');
      }
    }
    const taskId = randomUUID();
    this.sendJson({ event: 'task_queued', task_id: taskId, timestamp: pyIsoNow() });
    this.simulateCeleryReply(message);
  }

  /** What the Celery task would publish with `group_send(chat_<id>, {"type": "chat.message", …})`. */
  private simulateCeleryReply(message: string): void {
    const conversation_id = this.conversationId;
    const reply = `Demo reply to: ${message.slice(0, 200)}`;
    const words = reply.split(/(?<= )/);
    const events: Array<Record<string, unknown>> = [
      { event: 'processing_started', conversation_id },
      ...words.map((chunk) => ({ event: 'chunk', chunk, conversation_id })),
      { event: 'completed', conversation_id, project_created: false },
    ];
    events.forEach((e, i) => this.deps.timers.after(50 + i * 20, () => this.groupSend({ type: 'chat.message', ...e })));
  }

  private groupSend(payload: Record<string, unknown>): void {
    for (const member of this.deps.groups.get(this.groupName) ?? []) member.chatMessage(payload);
  }

  /** The consumer's `chat_message` handler: forward the whole event dict (also called by the channel-layer reader). */
  chatMessage(payload: Record<string, unknown>): void {
    const event = String(payload.event);
    this.deps.log.info(`[WS_SEND] Forwarding to client: event=${event}, conversation=${this.conversationId}`);
    const bytes = this.sendJson(payload);
    this.deps.log.info(`[WS_SENT] Successfully sent to client: event=${event}, bytes=${bytes}`);
  }
}

/** Python's repr() of a str, as an f-string `{x!r}` prints it. */
export function pyRepr(s: string): string {
  return s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
