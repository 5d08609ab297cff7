/**
 * The Channels peer with its own redis-server, plus the faults tests inject on it. A fault is either a
 * deployment setting (the peer is restarted with it: a wrong CACHE_URL, a missing route, ALLOWED_HOSTS, …) or
 * something done to the real Redis / server process (SIGSTOP = hung, CONFIG SET maxmemory = OOM, a leaked
 * counter). Names match the demo backend's fault switches (src/demo/faults.ts) where both have the fault.
 *
 * `botEnv()` is the ws-doctor environment that watches this stack; a fault may change what the bot is
 * configured with too (e.g. the browser Origin it sends, `backend.forwardedProto` behind a TLS proxy).
 */
import Redis from 'ioredis';
import { environmentSchema, type EnvConfig } from '../../src/config/schema';
import { freePort } from '../../src/util/net';
import { startChannelsPeer, type ChannelsPeer } from './daphne';
import { startRedisServer, type RedisProcess } from './redis';

export const PEER_PROBE_USER = { id: 7, email: 'ws-doctor@example.com', password: 'probe-password' } as const;

export type PeerFaultName =
  | 'redis-stopped'
  | 'redis-hang'
  | 'redis-oom'
  | 'chat-route-missing'
  | 'disallowed-host'
  | 'cache-unreachable'
  | 'channel-layer-down'
  | 'wrong-cache-db'
  | 'ssl-redirect'
  | 'ssl-header-ignored'
  | 'origin-rejected'
  | 'token-expired'
  | 'token-ttl-short'
  | 'rate-limited'
  | 'leaked-counter'
  | 'metrics-path-missing'
  | 'backend-hang'
  | 'channel-layer-db-mismatch'
  | 'chat-handler-missing'
  | 'metrics-wrong-path';

export interface BotOverrides {
  origin?: string;
  forwardedProto?: 'https';
  /** Where the team's Prometheus scrapes; default `/metricsmetrics` (where the exporter answers). */
  scrapePath?: string;
}

interface FaultPlan {
  description: string;
  /** DEBUG of the deployment (default true = local compose). */
  debug?: boolean;
  /** Settings the peer is (re)started with. */
  settings?: (s: ChannelsStack) => Promise<Record<string, string>> | Record<string, string>;
  bot?: BotOverrides;
  /** Done after the peer runs with the settings. */
  apply?: (s: ChannelsStack) => Promise<void>;
  heal?: (s: ChannelsStack) => Promise<void>;
}

/** A port nothing listens on (the kernel answers RST: "Connection refused"). */
async function closedPort(): Promise<number> {
  return await freePort();
}

const cacheKey = (k: string): string => `allthrive:1:${k}`;

export const PEER_FAULTS: Readonly<Record<PeerFaultName, FaultPlan>> = {
  'redis-stopped': {
    description: 'redis-server stopped: backend and bot both get "Connection refused"',
    apply: async (s) => await s.redis.stop(),
    heal: async (s) => {
      s.redis = await startRedisServer({ port: s.redisPort });
    },
  },
  'redis-hang': {
    description: 'redis-server SIGSTOPped: TCP connects, no command is ever answered (backend and bot)',
    apply: async (s) => void process.kill(s.redis.pid, 'SIGSTOP'),
    heal: async (s) => void process.kill(s.redis.pid, 'SIGCONT'),
  },
  'redis-oom': {
    description: 'maxmemory 1 byte + noeviction: every write answers "OOM command not allowed"',
    apply: async (s) => {
      await s.admin().config('SET', 'maxmemory-policy', 'noeviction');
      await s.admin().config('SET', 'maxmemory', '1');
    },
    heal: async (s) => void (await s.admin().config('SET', 'maxmemory', '0')),
  },
  'chat-route-missing': {
    description: 'the deployed routing has no ws/chat/ route: "No route found for path" → HTTP 500, Redis healthy',
    settings: () => ({ WSD_ROUTES: 'no-chat' }),
  },
  'disallowed-host': {
    description: "ALLOWED_HOSTS lacks the bot's Host → HTTP 400 (DisallowedHost) on every Django view",
    settings: () => ({ ALLOWED_HOSTS: 'api.allthrive.example' }),
  },
  'cache-unreachable': {
    description: "web's CACHE_URL points at a port nothing listens on; the bot's Redis and the channel layer are fine",
    settings: async () => ({ CACHE_URL: `redis://127.0.0.1:${await closedPort()}/2` }),
  },
  'channel-layer-down': {
    description: "web's REDIS_URL (channel layer) points at a closed port: group_add raises → HTTP 500 at the handshake",
    settings: async () => ({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}/3` }),
  },
  'wrong-cache-db': {
    description: 'CACHE_URL unset: the Django cache lives in DB 4 instead of DB 2',
    settings: (s) => ({ CACHE_URL: `${s.redisUrl}/4` }),
  },
  'ssl-redirect': {
    description: 'DEBUG off (SECURE_SSL_REDIRECT on, SECURE_PROXY_SSL_HEADER set) and no X-Forwarded-Proto reaches Django → 301 to itself',
    debug: false,
  },
  'ssl-header-ignored': {
    description: 'DEBUG off, SECURE_PROXY_SSL_HEADER removed: 301 even with X-Forwarded-Proto: https',
    debug: false,
    settings: () => ({ WSD_PROXY_SSL_HEADER: '0' }),
    bot: { forwardedProto: 'https' },
  },
  'origin-rejected': {
    description: "CORS_ALLOWED_ORIGINS lacks the front end's origin the bot sends → pre-accept 403 (token consumed first)",
    settings: () => ({ CORS_ALLOWED_ORIGINS: 'https://app.allthrive.example' }),
    bot: { origin: 'http://localhost:3000' },
  },
  'token-expired': {
    description: 'tokens live 1 ms: gone before the handshake → "[WS_TOKEN] Invalid or expired token" + 403',
    settings: () => ({ WSD_TOKEN_TTL: '0.001' }),
  },
  'token-ttl-short': {
    description: 'tokens live 1 s while the endpoint advertises expires_in 60',
    settings: () => ({ WSD_TOKEN_TTL: '1' }),
  },
  'rate-limited': {
    description: 'DEBUG off, the probe user at the connection-rate limit (ws_rate:user:<id> = 10) → pre-accept 403',
    debug: false,
    bot: { forwardedProto: 'https' },
    apply: async (s) => void (await s.cache().set(cacheKey(`ws_rate:user:${PEER_PROBE_USER.id}`), '10', 'EX', 60)),
  },
  'leaked-counter': {
    description: 'DEBUG off, ws_connections:user:<probe id> leaked at 5 → pre-accept 403 (and the probe decrements it)',
    debug: false,
    bot: { forwardedProto: 'https' },
    apply: async (s) => void (await s.cache().set(cacheKey(`ws_connections:user:${PEER_PROBE_USER.id}`), '5', 'EX', 86400)),
  },
  'metrics-path-missing': {
    description: 'no exporter mounted: /metricsmetrics and /metrics both 404',
    settings: () => ({ WSD_METRICS: 'none' }),
  },
  'channel-layer-db-mismatch': {
    description: "web's REDIS_URL without a DB (.env.example: DB 0) while Celery and the bot use DB 3: groups live where nobody publishes",
    settings: (s) => ({ REDIS_URL: `${s.redisUrl}/0` }),
  },
  'chat-handler-missing': {
    description: 'the chat consumer has no chat_message handler: Celery events are taken off the layer and kill the socket',
    settings: () => ({ WSD_CHAT_FORWARD: 'off' }),
  },
  'metrics-wrong-path': {
    description: 'the real default: the exporter answers only at /metricsmetrics while Prometheus scrapes /metrics',
    bot: { scrapePath: '/metrics' },
  },
  'backend-hang': {
    description: 'Daphne SIGSTOPped: connections are accepted by the kernel, nothing is answered',
    apply: async (s) => s.peer.pause(),
    heal: async (s) => s.peer.resume(),
  },
};

export const PEER_FAULT_NAMES = Object.keys(PEER_FAULTS) as PeerFaultName[];

export class ChannelsStack {
  redis!: RedisProcess;
  peer!: ChannelsPeer;
  redisPort = 0;
  private active: PeerFaultName | undefined;
  private adminClient: Redis | undefined;
  private cacheClient: Redis | undefined;
  private bot: BotOverrides = {};

  static async start(): Promise<ChannelsStack> {
    const s = new ChannelsStack();
    s.redis = await startRedisServer();
    s.redisPort = s.redis.port;
    s.peer = await startChannelsPeer({ redisUrl: s.redis.url });
    return s;
  }

  get redisUrl(): string {
    return `redis://127.0.0.1:${this.redisPort}`;
  }

  admin(): Redis {
    return (this.adminClient ??= new Redis(this.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 }));
  }

  cache(): Redis {
    return (this.cacheClient ??= new Redis(`${this.redisUrl}/2`, { lazyConnect: false, maxRetriesPerRequest: 1 }));
  }

  /**
   * Inject one fault (undoing the previous one first). The peer is restarted only when the deployment it needs
   * (DEBUG + settings) differs from the one running, so a series of faults costs one restart each at most.
   */
  async inject(name: PeerFaultName): Promise<void> {
    const plan = PEER_FAULTS[name];
    if (!plan) throw new Error(`unknown Channels peer fault "${String(name)}"; known: ${PEER_FAULT_NAMES.join(', ')}`);
    await this.undoRuntime();
    await this.deploy(plan.debug ?? true, plan.settings ? await plan.settings(this) : {});
    this.bot = plan.bot ?? {};
    this.active = name;
    await plan.apply?.(this);
  }

  /** Undo the active fault and return to the healthy deployment. */
  async heal(): Promise<void> {
    await this.undoRuntime();
    await this.deploy(true, {});
  }

  /** Undo what the active fault did to Redis or the process, and the limiter state it left. */
  private async undoRuntime(): Promise<void> {
    const name = this.active;
    this.active = undefined;
    this.bot = {};
    if (!name) return;
    await PEER_FAULTS[name].heal?.(this);
    await this.cache().del(cacheKey(`ws_rate:user:${PEER_PROBE_USER.id}`), cacheKey(`ws_connections:user:${PEER_PROBE_USER.id}`));
  }

  private deployment = JSON.stringify({ debug: true, settings: {} });

  private async deploy(debug: boolean, settings: Record<string, string>): Promise<void> {
    const wanted = JSON.stringify({ debug, settings });
    if (wanted === this.deployment) return;
    const port = this.peer.port;
    await this.peer.stop();
    this.peer = await startChannelsPeer({ redisUrl: this.redisUrl, port, debug, settings });
    this.deployment = wanted;
  }

  /** The ws-doctor environment watching this stack (docker and Prometheus off: no engine, no scrape here). */
  botEnv(extra: { checks?: Record<string, unknown>; backend?: Record<string, unknown> } = {}): EnvConfig {
    return environmentSchema.parse({
      description: 'Channels peer (Daphne + channels_redis)',
      backend: {
        url: this.peer.url,
        serviceAccount: { email: PEER_PROBE_USER.email, password: PEER_PROBE_USER.password },
        ...(this.bot.origin ? { origin: this.bot.origin } : {}),
        ...(this.bot.forwardedProto ? { forwardedProto: this.bot.forwardedProto } : {}),
        ...extra.backend,
      },
      redis: { url: this.redisUrl },
      metrics: { scrapePath: this.bot.scrapePath ?? '/metricsmetrics' },
      prometheus: { enabled: false },
      docker: { enabled: false },
      ...(extra.checks ? { checks: extra.checks } : {}),
    });
  }

  async stop(): Promise<void> {
    await this.heal().catch(() => undefined);
    this.adminClient?.disconnect();
    this.cacheClient?.disconnect();
    await this.peer?.stop();
    await this.redis?.stop();
  }
}
