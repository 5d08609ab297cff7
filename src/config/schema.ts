/**
 * The configuration schema. Defaults describe the AllThrive *local compose* stack exactly as
 * shared/target-system.md gives it (§2, §4, §6, §7), so an empty file diagnoses a stock `make up`.
 *
 * Every leaf carries a description: the README's configuration reference is generated from this file
 * (`npm run docs`), so the documentation cannot drift from the code.
 */
import { z } from 'zod';
import { alertsSchema } from './alerts';
import { policySchema } from './policy-schema';

// No JIT: zod compiles a specialised parser (new Function) for each object schema on its first parse, which
// pays off only after many parses of one schema. ws-doctor parses its config once per process, and each action's
// arguments a few times an hour: compiling made a one-shot `ws-doctor status` ~10 % slower (hyperfine, 40 runs: 218 → 198 ms) and saves nothing.
z.config({ jitless: true });

/** An http(s) URL: `z.url()` alone also takes `javascript:`, `file:` or `data:` URLs. */
const httpUrl = () => z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

const ms = (def: number, what: string) => z.number().int().positive().default(def).describe(what);

export const backendSchema = z
  .strictObject({
    url: httpUrl()
      // fetch refuses URLs with credentials: say so at start instead of failing every HTTP check later.
      .refine((u) => !/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(u), 'must not contain user:password@ (not supported for the backend)')
      .default('http://localhost:8000')
      .describe('Base URL of the Django ASGI server (web service).'),
    wsUrl: z
      .url({ protocol: /^wss?$/, error: 'expected a ws:// or wss:// URL' })
      .optional()
      .describe('Base URL for WebSocket probes; derived from `url` (http→ws, https→wss) when unset.'),
    origin: z
      .string()
      .optional()
      .describe('Origin header sent on the chat handshake. Unset = no Origin (the consumer lets that pass, §3.1).'),
    forwardedProto: z
      .enum(['https'])
      .optional()
      .describe('Send `X-Forwarded-Proto: https` on HTTP probes (behind a TLS-terminating proxy).'),
    paths: z
      .strictObject({
        health: z.string().default('/api/v1/health/').describe('Liveness endpoint (constant 200, check 1).'),
        dbHealth: z.string().default('/api/v1/db/health/').describe('Django + DB health endpoint (check 2).'),
        login: z.string().default('/api/v1/auth/login/').describe('Login endpoint; tokens arrive as cookies.'),
        wsToken: z.string().default('/api/v1/auth/ws-connection-token/').describe('Connection-token endpoint (POST).'),
        wsHealth: z.string().default('/ws/health/').describe('WebSocket edge probe path (check 3).'),
        wsChat: z.string().default('/ws/chat/').describe('Chat WebSocket prefix; the probe appends `probe-<ts>/`.'),
      })
      .prefault({}),
    serviceAccount: z
      .strictObject({
        email: z.string().default('ws-doctor@example.com').describe('Login of the probe user (email or username).'),
        password: z
          .string()
          .optional()
          .describe('Password of the probe user. Prefer env `WS_DOCTOR_SERVICE_PASSWORD` or `WS_DOCTOR_<ENV>_SERVICE_PASSWORD`.'),
      })
      .prefault({}),
    loginPerMinute: z
      .number()
      .int()
      .positive()
      .max(10)
      .default(5)
      .describe('Most logins per minute the bot allows itself (the server limits 10/min per IP, §2.1).'),
    cookieReuseSeconds: z
      .number()
      .int()
      .positive()
      .max(900)
      .default(840)
      .describe('How long a login cookie is reused (access JWT lives 15 min).'),
    timeoutMs: ms(
      3000,
      'Timeout of one HTTP request or WebSocket step of a probe; keep it below `checks.timeoutMs` so the check reports the timeout itself.',
    ),
  })
  .prefault({});

export const redisSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' })
      .default('redis://localhost:6379')
      .describe('Redis server, without a DB number (the DBs are below). Local compose publishes no port: map one or run the bot in the compose network.'),
    password: z.string().optional().describe('AUTH password. Prefer env `WS_DOCTOR_<ENV>_REDIS_PASSWORD`.'),
    dbs: z
      .strictObject({
        broker: z.number().int().min(0).max(15).default(0).describe('Celery broker DB (queue `celery`).'),
        cache: z.number().int().min(0).max(15).default(2).describe('Django cache DB holding connection tokens (`CACHE_URL`).'),
        cacheFallback: z
          .number()
          .int()
          .min(0)
          .max(15)
          .default(4)
          .describe('Cache DB Django falls back to when `CACHE_URL` is unset; a token found here is config drift.'),
        channelLayer: z.number().int().min(0).max(15).default(3).describe('Channels layer DB (`asgi:group:*`).'),
      })
      .prefault({}),
    cacheKeyPrefix: z.string().default('allthrive:1:').describe('Django cache key prefix (KEY_PREFIX:VERSION:).'),
    channelLayerPrefix: z.string().default('asgi').describe('channels_redis key prefix.'),
    commandTimeoutMs: ms(2000, 'Longest wait for one Redis command before a check calls Redis unreachable.'),
    scanLimit: z
      .number()
      .int()
      .positive()
      .default(10000)
      .describe('Most keys one SCAN-based count walks before it stops and reports a partial count (never `KEYS`).'),
  })
  .prefault({});

export const metricsSchema = z
  .strictObject({
    paths: z
      .array(z.string())
      .min(1)
      .default(['/metricsmetrics', '/metrics'])
      .describe('Paths probed for the django-prometheus exporter; the first healthy one wins (§6).'),
    scrapePath: z
      .string()
      .default('/metrics')
      .describe('Path Prometheus scrapes (`monitoring/prometheus.yml`); when only another path serves metrics the check warns (R12).'),
  })
  .prefault({});

export const prometheusSchema = z
  .strictObject({
    url: httpUrl().default('http://localhost:9090').describe('Prometheus server.'),
    job: z.string().default('django').describe('Scrape job of the web service.'),
    enabled: z.boolean().default(true).describe('Probe Prometheus target health.'),
    timeoutMs: ms(3000, 'Timeout of one Prometheus API request.'),
  })
  .prefault({});

export const dockerSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Inspect containers and logs through the Docker Engine API.'),
    socketPath: z.string().default('/var/run/docker.sock').describe('Engine socket (ignored when `host` is set).'),
    host: z.string().optional().describe('Engine TCP host instead of the socket.'),
    port: z.number().int().positive().optional().describe('Engine TCP port, with `host`.'),
    project: z.string().default('allthriveai').describe('Compose project name (label `com.docker.compose.project`).'),
    expectedServices: z
      .array(z.string())
      .default(['web', 'redis', 'celery', 'celery-beat', 'db', 'frontend'])
      .describe('Services that must exist.'),
    criticalServices: z
      .array(z.string())
      .default(['web', 'redis', 'celery', 'db'])
      .describe('Services whose absence or failure makes the stack down (the rest: degraded).'),
    logService: z.string().default('web').describe('Service whose logs carry the WS markers.'),
    logWindowSeconds: z.number().int().positive().default(600).describe('Log window scanned by the log check.'),
    frontendPort: z.number().int().positive().default(3000).describe('Port the Vite front end serves on (guide Issue 2).'),
    frontendService: z.string().default('frontend').describe('Compose service of the containerised front end (guide Issue 2).'),
    frontendProcessPattern: z
      .string()
      .default('^vite(\\.js)?$')
      .describe(
        'Regular expression matched against the program a local process runs (argv[0], or the script after node/npx/sh -c) to find a front-end dev server outside Docker.',
      ),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(3000)
      .describe('Longest wait for one Engine API call, a log scan included; keep it below `checks.timeoutMs` so the check reports `unknown` itself.'),
    logTailLines: z
      .number()
      .int()
      .positive()
      .default(50000)
      .describe('Most recent log lines one scan asks the engine for (bounds the work on long logs; the window is then reported as truncated).'),
    logMinEvents: z
      .number()
      .int()
      .positive()
      .default(3)
      .describe('Fewest events (tokens generated, handshakes) a log ratio needs before it can raise a finding.'),
    logEvidenceLines: z.number().int().min(0).max(20).default(5).describe('Matching log lines (redacted) returned as evidence.'),
    reloadLoopStarts: z
      .number()
      .int()
      .positive()
      .default(3)
      .describe('ASGI server start lines within the log window at or above which the server is in a reload loop.'),
    restartCountWarn: z
      .number()
      .int()
      .positive()
      .default(5)
      .describe('RestartCount at or above which a recently started container is in a restart loop.'),
    recentStartSeconds: z
      .number()
      .int()
      .positive()
      .default(300)
      .describe('A container started less than this long ago counts as "recently started" for the restart-loop rule.'),
  })
  .prefault({});

export const thresholdsSchema = z
  .strictObject({
    redisPingWarnMs: z.number().positive().default(50).describe('Redis PING latency above which the check warns.'),
    redisMemoryWarnPercent: z.number().min(0).max(100).default(60).describe('used_memory / maxmemory warn level.'),
    redisMemoryFailPercent: z.number().min(0).max(100).default(80).describe('used_memory / maxmemory fail level.'),
    celeryQueueWarn: z.number().int().nonnegative().default(100).describe('`LLEN celery` warn level.'),
    celeryQueueFail: z.number().int().nonnegative().default(1000).describe('`LLEN celery` fail level.'),
    leakedCounterMin: z.number().int().positive().default(5).describe('A `ws_connections:user:*` value at or above this is a leaked counter (403s).'),
    tokenLatencyWarnMs: z.number().positive().default(1000).describe('Token issuance latency warn level.'),
    handshakeWarnMs: z.number().positive().default(1000).describe('Chat handshake (to `connected`) warn level.'),
    channelRoundTripWarnMs: z
      .number()
      .positive()
      .default(1000)
      .describe('Channel-layer round trip (`group_send` → frame on the probe socket) warn level.'),
    tokenTtlMaxSeconds: z.number().int().positive().default(60).describe('Largest TTL a fresh token key may have.'),
    rejectRatioWarn: z.number().min(0).max(1).default(0.2).describe('Handshake reject ratio in logs above which it warns.'),
    tokenConsumeRatioWarn: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('consumed/generated token ratio in logs below which it warns (SSL-redirect / proxy signature).'),
  })
  .prefault({});

export const checksSchema = z
  .strictObject({
    deadlineMs: ms(5000, 'Overall deadline of one status run.'),
    timeoutMs: ms(4000, 'Default per-check timeout (never beyond the deadline).'),
    timeouts: z.record(z.string(), z.number().int().positive()).default({}).describe('Per-check timeout overrides, by check name.'),
    disabled: z.array(z.string()).default([]).describe('Check names not to run.'),
    thresholds: thresholdsSchema,
  })
  .prefault({});

export const environmentSchema = z
  .strictObject({
    description: z.string().optional().describe('Shown in status headers.'),
    backend: backendSchema,
    redis: redisSchema,
    metrics: metricsSchema,
    prometheus: prometheusSchema,
    docker: dockerSchema,
    checks: checksSchema,
  });

export const slackSchema = z
  .strictObject({
    mode: z
      .enum(['auto', 'socket', 'http', 'off'])
      .default('auto')
      .describe('`auto`: Socket Mode when an app token is set, HTTP when a signing secret is set, else the console.'),
    botToken: z.string().optional().describe('Bot token `xoxb-…`. Prefer env `SLACK_BOT_TOKEN`.'),
    signingSecret: z.string().optional().describe('HTTP mode signing secret. Prefer env `SLACK_SIGNING_SECRET`.'),
    appToken: z.string().optional().describe('Socket Mode app-level token `xapp-…`. Prefer env `SLACK_APP_TOKEN`.'),
    port: z.number().int().positive().default(3000).describe('HTTP mode listen port.'),
    host: z.string().default('0.0.0.0').describe('HTTP mode listen address (`127.0.0.1` behind a local TLS proxy).'),
    apiUrl: httpUrl().optional().describe('Web API base URL override (tests point this at the local stand-in).'),
    command: z.string().default('/ws').describe('Slash command name.'),
  })
  .prefault({});

export const stateSchema = z
  .strictObject({
    store: z
      .enum(['embedded', 'redis'])
      .default('embedded')
      .describe(
        'Where the bot keeps what it must remember (history, pending approvals, locks, alert states, silences, audit). `embedded`: a SQLite file in `stateDir`, no server; `redis`: a shared Redis for several replicas.',
      ),
    redis: z
      .strictObject({
        url: z
          .string()
          .regex(/^rediss?:\/\/[^/]+\/\d+$/, 'must be redis://host:port/<db> (the DB number is required)')
          .optional()
          .describe(
            'For `store: redis`: a Redis that is NOT the one being diagnosed — another instance, or another DB of it than the watched broker/cache/channel-layer DBs (0/2/3/4 on the same host:port are refused: the bot must remember while that Redis is down or being flushed). Password: env `WS_DOCTOR_STATE_REDIS_PASSWORD`.',
          ),
        keyPrefix: z.string().min(1).default('wsd:').describe('Prefix of every key the state store writes.'),
        commandTimeoutMs: ms(1000, 'Longest wait for one state-store command before it counts as unreachable.'),
      })
      .prefault({}),
  })
  .prefault({});

/** node-cron is required only when a pattern is given (a default is not validated): a one-shot CLI never loads it. */
const validateCron = (p: string): boolean => (require('node-cron') as typeof import('node-cron')).validate(p);

const cronPattern = (def: string, what: string) =>
  z
    .string()
    .refine((p) => validateCron(p), 'must be a cron pattern: 5 fields (minute hour day month weekday) or 6 with seconds first')
    .default(def)
    .describe(what);

export const scheduleSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Run the scheduled jobs while the bot runs as a Slack app (never in the console or one-shot commands).'),
    channel: z.string().optional().describe('Slack channel id for verdict changes and the digest; unset = jobs run and remember, nothing is posted.'),
    envs: z.array(z.string()).default([]).describe('Environments the scheduled status and digest cover; empty = every environment.'),
    status: cronPattern('*/5 * * * *', 'When the full status runs (posts only when a verdict changes).'),
    digest: cronPattern('0 9 * * *', 'When the daily digest is posted (uptime per check, incidents, remediations).'),
    cleanup: cronPattern('* * * * *', 'When expired silences, approvals and other timed-out state are removed.'),
    timezone: z.string().default('UTC').describe('IANA time zone of the cron patterns (e.g. `Europe/Berlin`).'),
    leaseTtlMs: ms(
      30000,
      'Scheduler lease TTL across replicas: a dead leader\'s jobs move to another replica within it. Keep it below the shortest job interval.',
    ),
  })
  .prefault({});

export const telemetrySchema = z
  .strictObject({
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .optional()
      .describe(
        'Port of `/metrics`, `/healthz` and `/readyz` (0 = any free port). Unset: 9464 in Slack modes, off in the console. Env `WS_DOCTOR_METRICS_PORT`, flag `--metrics-port`.',
      ),
    host: z.string().default('0.0.0.0').describe('Listen address of the metrics and health endpoints (`127.0.0.1` to keep them on the host).'),
    shutdownTimeoutMs: ms(20000, 'Longest a SIGTERM stop may take (running work finishes or is recorded as interrupted) before the process exits anyway.'),
    cliSocket: z
      .boolean()
      .default(true)
      .describe(
        'The running bot answers `ws-doctor status` of the same user and config on this machine (same file and content, same secrets in the environment) over a Unix socket only that user may reach: a fresh run with warm code and open connections, so cron\'s and CI\'s one-shot status starts in a fraction of the time. Read-only; any doubt and the CLI runs the checks itself (`status --standalone` always does). false: the bot opens no socket.',
      ),
  })
  .prefault({});

export const configSchema = z
  .strictObject({
    defaultEnv: z.string().default('local').describe('Environment used when `--env` is not given.'),
    environments: z
      .record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'environment names are lower-case words'), environmentSchema)
      .default({ local: environmentSchema.parse({}) })
      .describe('One entry per environment; every key below has the local-compose default.'),
    slack: slackSchema,
    alerts: alertsSchema,
    policy: policySchema,
    telemetry: telemetrySchema,
    schedule: scheduleSchema,
    stateDir: z
      .string()
      .default('.ws-doctor')
      .describe('The bot\'s own folder, outside the Redis it watches: the embedded state store (`state.sqlite`) and the button key.'),
    state: stateSchema,
  })
  .superRefine((cfg, ctx) => {
    const st = cfg.state;
    if (st.store === 'redis' && !st.redis.url) {
      ctx.addIssue({ code: 'custom', path: ['state', 'redis', 'url'], message: 'is required when state.store is redis (redis://host:port/<db>)' });
    }
    if (st.redis.url) {
      const clash = watchedRedisClash(st.redis.url, cfg.environments);
      if (clash) ctx.addIssue({ code: 'custom', path: ['state', 'redis', 'url'], message: clash });
    }
    if (!(cfg.defaultEnv in cfg.environments)) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultEnv'],
        message: `names no environment; expected one of: ${Object.keys(cfg.environments).join(', ')}`,
      });
    }
  });

/**
 * Why a state-store Redis URL may not be used: it is one of the DBs of a Redis the bot watches (same host:port,
 * loopback names treated alike). Those DBs belong to the app — the broker, the token cache, the channel layer —
 * and are exactly what the bot diagnoses and may flush or restart; its approvals, locks and audit must survive that.
 */
export function watchedRedisClash(url: string, environments: Record<string, { redis: { url: string; dbs: Record<string, number> } }>): string | undefined {
  const mine = redisEndpoint(url);
  if (!mine) return undefined;
  for (const [name, env] of Object.entries(environments)) {
    const watched = redisEndpoint(env.redis.url);
    if (!watched || watched.hostPort !== mine.hostPort) continue;
    const dbs = Object.entries(env.redis.dbs);
    const hit = dbs.find(([, db]) => db === mine.db);
    if (hit) {
      return `is DB ${mine.db} of the Redis environment "${name}" watches (${hit[0]}; its app DBs: ${dbs.map(([k, v]) => `${k} ${v}`).join(', ')}): the bot's own state must not live where the app keeps its data — it must survive that Redis being down, flushed or restarted. Use another Redis instance, or a free DB of this one (e.g. /${firstFree(dbs.map(([, v]) => v))})`;
    }
  }
  return undefined;
}

function redisEndpoint(url: string): { hostPort: string; db: number } | undefined {
  try {
    const u = new URL(url);
    const host = ['localhost', '127.0.0.1', '[::1]', '::1'].includes(u.hostname) ? 'loopback' : u.hostname.toLowerCase();
    const db = Number(u.pathname.replace(/^\//, '') || '0');
    return { hostPort: `${host}:${u.port || '6379'}`, db: Number.isInteger(db) ? db : 0 };
  } catch {
    return undefined;
  }
}

const firstFree = (used: number[]): number => [...Array(16).keys()].find((d) => !used.includes(d)) ?? 15;

export type Config = z.output<typeof configSchema>;
export type EnvConfig = z.output<typeof environmentSchema>;
export type SlackConfig = z.output<typeof slackSchema>;
export type TelemetryConfig = z.output<typeof telemetrySchema>;
